package dev.ratecache.internal;

import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Keeps a copy taken before an invalidation from being stored after it. A reader takes a
 * {@link #mark()} before it reads the source (Redis), and stores what it read with {@link
 * #storeIfUnchanged}; an invalidation forgets what it makes stale inside {@link #invalidate},
 * which advances the mark. A store runs only if no invalidation began since the mark, and never
 * concurrently with one, so nothing read before an invalidation outlives it. Used by the near
 * cache and by the rate limiter's memory of rejected clients. Thread-safe.
 */
public final class InvalidationGuard {
  private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
  private volatile long invalidations;

  /** The position to hand to {@link #storeIfUnchanged}: take it before reading the source. */
  public long mark() {
    return invalidations;
  }

  /** Runs {@code forget} as one invalidation: no store interleaves with it or follows unseen. */
  public void invalidate(Runnable forget) {
    lock.writeLock().lock();
    try {
      forget.run();
      invalidations++;
    } finally {
      lock.writeLock().unlock();
    }
  }

  /**
   * Runs {@code store} unless an invalidation happened since {@code mark}.
   *
   * @return whether it ran
   */
  public boolean storeIfUnchanged(long mark, Runnable store) {
    lock.readLock().lock();
    try {
      if (invalidations != mark) {
        return false;
      }
      store.run();
      return true;
    } finally {
      lock.readLock().unlock();
    }
  }
}
