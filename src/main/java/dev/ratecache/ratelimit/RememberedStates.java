package dev.ratecache.ratelimit;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Predicate;

/**
 * The bucket state this instance last wrote, per bucket, for at most {@code maxAgeNanos}: a
 * fixed table of {@code capacity} slots where each key may sit in one of two slots chosen by its
 * hash; a new key takes whichever of its two is empty or holds the older state.
 *
 * <p>Losing a state is harmless (the next decision on that bucket costs what a bucket this instance
 * does not remember costs: the swap that finds the state), so the table does no eviction work at
 * all: a put is one allocation and one volatile write, a get two volatile reads. A cache with
 * exact eviction (Caffeine, as before) cost more than the Redis command itself when every
 * request brings a new key, as a public API's long tail of clients does. Two choices per key keep
 * keys that share a slot from pushing each other out while the table is far from full (10,000
 * buckets in 100,000 slots: about 1 in 10 would share their one slot, about 1 in 200 both).
 * Memory is bounded by {@code capacity}, whatever the clients send. Thread-safe.
 */
final class RememberedStates {
  /** {@code doubtful}: never decided from, only a bound for the fallback ({@link #get(String, long)}). */
  private record Slot(String key, byte[] state, long writtenAt, boolean doubtful) {}

  private final AtomicReferenceArray<Slot> slots;
  private final long maxAgeNanos;

  RememberedStates(int capacity, long maxAgeNanos) {
    if (capacity < 2) {
      throw new IllegalArgumentException("capacity must be at least 2");
    }
    this.slots = new AtomicReferenceArray<>(capacity);
    this.maxAgeNanos = maxAgeNanos;
  }

  /**
   * The state last written for {@code key}, if remembered and younger than the maximum age,
   * doubtful or not.
   */
  byte[] get(String key, long nowNanos) {
    Slot s = newest(key, nowNanos);
    return s == null ? null : s.state;
  }

  /**
   * The state to decide from: {@link #get(String, long)}, only if it was written after {@code
   * writtenAfter} and is not doubtful.
   */
  byte[] get(String key, long nowNanos, long writtenAfter) {
    Slot s = newest(key, nowNanos);
    return s == null || s.writtenAt <= writtenAfter || s.doubtful ? null : s.state;
  }

  private Slot newest(String key, long nowNanos) {
    int h = hash(key);
    Slot a = live(slots.get(first(h)), key, nowNanos);
    Slot b = live(slots.get(second(h)), key, nowNanos);
    return a == null ? b : b == null || a.writtenAt >= b.writtenAt ? a : b;
  }

  void put(String key, byte[] state, long nowNanos) {
    put(key, state, nowNanos, false);
  }

  /**
   * Keeps {@code state} for {@code key}; a {@code doubtful} one (written while an invalidation
   * ran) is never decided from, but bounds what the fallback starts from.
   */
  void put(String key, byte[] state, long nowNanos, boolean doubtful) {
    int h = hash(key);
    int i = first(h);
    int j = second(h);
    Slot a = slots.get(i);
    Slot b = slots.get(j);
    Slot fresh = new Slot(key, state, nowNanos, doubtful);
    if (a != null && a.key.equals(key)) {
      slots.set(i, fresh);
      clear(j, b, key);
    } else if (b != null && b.key.equals(key)) {
      slots.set(j, fresh);
    } else if (a == null || (b != null && a.writtenAt <= b.writtenAt)) {
      slots.set(i, fresh);
    } else {
      slots.set(j, fresh);
    }
  }

  void remove(String key) {
    int h = hash(key);
    int i = first(h);
    int j = second(h);
    clear(i, slots.get(i), key);
    clear(j, slots.get(j), key);
  }

  /** Forgets every bucket whose key matches (a walk over the table, for an operator's reset). */
  void removeIf(Predicate<String> key) {
    for (int i = 0; i < slots.length(); i++) {
      Slot s = slots.get(i);
      if (s != null && key.test(s.key)) {
        slots.compareAndSet(i, s, null);
      }
    }
  }

  private void clear(int i, Slot seen, String key) {
    if (seen != null && seen.key.equals(key)) {
      slots.compareAndSet(i, seen, null);
    }
  }

  private Slot live(Slot s, String key, long nowNanos) {
    return s != null && s.key.equals(key) && nowNanos >= s.writtenAt
        && nowNanos - s.writtenAt < maxAgeNanos ? s : null;
  }

  private static int hash(String key) {
    int h = key.hashCode() * 0x9E3779B9; // spreads keys that differ only in their last characters
    return h ^ (h >>> 16);
  }

  private int first(int h) {
    return Math.floorMod(h, slots.length());
  }

  private int second(int h) {
    // Another slot from the other bits, never the first one.
    int n = slots.length();
    return Math.floorMod(first(h) + 1 + Math.floorMod(Integer.rotateLeft(h, 16), n - 1), n);
  }
}
