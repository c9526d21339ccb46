package dev.ratecache.internal;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a copy read before an invalidation from standing after it, and from being seen after it.
 * A reader takes a {@link #mark()} before it reads the source (Redis) and stores what it read
 * with {@link #storeIfUnchanged}; an invalidation forgets what it makes stale inside {@link
 * #invalidate}. A store announces itself (one of {@value #STRIPES} counters, by thread) and then
 * checks that no invalidation began since its mark; an invalidation advances the count, waits
 * until no announced store is still running, then forgets. So a store either sees the
 * invalidation and stores nothing, or has landed before the forgetting and is forgotten with the
 * rest: no reader can see a copy that an invalidation which has returned made stale. (Before, a
 * store that landed after the forgetting undid itself a moment later, and a reader in between saw
 * the stale copy; Lincheck found that interleaving: {@code InvalidationGuardLincheckTest}.)
 *
 * <p>Lock-free for stores: two volatile reads and two atomic adds on the thread's own stripe, on
 * the hot path of every decision. An invalidation waits only for stores already past their check
 * (each a map insert), spinning. Used by the near cache, the rate limiter's memory of rejected
 * clients and its remembered bucket states. Thread-safe; {@code store} must not invalidate.
 */
public final class InvalidationGuard {
  static final int STRIPES = 16;

  private final AtomicLong invalidations = new AtomicLong();
  /** Stores running now, per stripe (padded: one counter per 64-byte line). */
  private final AtomicIntegerArray running = new AtomicIntegerArray(STRIPES * 16);

  /** The position to hand to {@link #storeIfUnchanged}: take it before reading the source. */
  public long mark() {
    return invalidations.get();
  }

  /**
   * Runs {@code forget} as one invalidation: after every store that could not see it has landed,
   * so that {@code forget} removes what they stored and nothing stale is seen after this returns.
   */
  public void invalidate(Runnable forget) {
    invalidations.incrementAndGet();
    for (int i = 0; i < STRIPES; i++) {
      while (running.get(i * 16) != 0) {
        Thread.onSpinWait(); // a store past its check: one insert away from done
      }
    }
    forget.run();
  }

  /**
   * Runs {@code store} unless an invalidation began since {@code mark}.
   *
   * @return whether it stored
   */
  public boolean storeIfUnchanged(long mark, Runnable store) {
    if (invalidations.get() != mark) {
      return false;
    }
    int stripe = ((int) Thread.currentThread().getId() & (STRIPES - 1)) * 16;
    running.incrementAndGet(stripe);
    try {
      if (invalidations.get() != mark) {
        return false; // an invalidation began: it may already be forgetting
      }
      store.run();
      return true;
    } finally {
      running.decrementAndGet(stripe);
    }
  }
}
