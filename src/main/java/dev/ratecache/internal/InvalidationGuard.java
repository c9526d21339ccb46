package dev.ratecache.internal;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Keeps a copy read before an invalidation from standing after it. A reader takes a {@link
 * #mark()} before it reads the source (Redis) and stores what it read with {@link
 * #storeIfUnchanged}; an invalidation forgets what it makes stale inside {@link #invalidate}. A
 * store that began before an invalidation is either forgotten by it or, if it landed after the
 * forgetting, undone by itself, so nothing read before an invalidation outlives it. Lock-free: a
 * store costs two volatile reads, so it sits on the hot path of every decision. Used by the near
 * cache, the rate limiter's memory of rejected clients and its remembered bucket states.
 * Thread-safe.
 */
public final class InvalidationGuard {
  private final AtomicLong invalidations = new AtomicLong();

  /** The position to hand to {@link #storeIfUnchanged}: take it before reading the source. */
  public long mark() {
    return invalidations.get();
  }

  /**
   * Runs {@code forget} as one invalidation. The count advances first, so a store running
   * concurrently either sees it and undoes itself, or is done before {@code forget} runs.
   */
  public void invalidate(Runnable forget) {
    invalidations.incrementAndGet();
    forget.run();
  }

  /**
   * Runs {@code store} unless an invalidation began since {@code mark}; runs {@code undo} if one
   * began while it stored (undoing may drop a newer copy too: that costs a read, never a stale
   * answer).
   *
   * @return whether what was stored stands
   */
  public boolean storeIfUnchanged(long mark, Runnable store, Runnable undo) {
    if (invalidations.get() != mark) {
      return false;
    }
    store.run();
    if (invalidations.get() != mark) {
      undo.run();
      return false;
    }
    return true;
  }
}
