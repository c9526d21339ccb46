package dev.ratecache.ratelimit;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * How a decision on a bucket this instance does not remember goes out. Usually such a bucket does
 * not exist yet (a public API's long tail of clients), and a plain {@code SET ... NX GET} creates
 * it for less Redis work than any script; but in a fleet whose instances take turns on each
 * client, it usually exists, and then the swap script, which decides in Redis, saves the second
 * round trip that {@code SET ... NX GET} would need. So the outcome of every such decision is
 * counted, and over each window of {@value #WINDOW} of them, more than one in eight finding the
 * bucket already there switches the next window to the script, fewer switches it back.
 * Thread-safe; a window's count may be off by a decision or two under contention, which only
 * shifts the switch by as much.
 */
final class ColdBuckets {
  static final int WINDOW = 256;

  private final AtomicInteger seen = new AtomicInteger();
  private final AtomicInteger existed = new AtomicInteger();
  private volatile boolean expectExisting;

  /** Whether buckets this instance does not remember have lately mostly existed already. */
  boolean expectExisting() {
    return expectExisting;
  }

  /** Counts one decision on a bucket this instance did not remember. */
  void record(boolean bucketExisted) {
    if (bucketExisted) {
      existed.incrementAndGet();
    }
    if (seen.incrementAndGet() == WINDOW) {
      int found = existed.getAndSet(0);
      seen.set(0);
      expectExisting = found * 8 > WINDOW;
    }
  }
}
