package dev.ratecache.cache;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * Where cached JSON lives: Redis (shared by every instance) or this instance's memory. One
 * contract, tested against both.
 */
interface CacheStore {
  /**
   * What a read saw at a key: the value, or {@code null} for a miss, and the store's token of
   * what the key held, which a load started from this read passes to {@link #putIfUnchanged}.
   */
  record Seen(String value, Object token, long freshUntil, long storedAt) {
    /** What a read saw with no stale window: fresh for as long as it is stored. */
    Seen(String value, Object token) {
      this(value, token, Long.MAX_VALUE, 0);
    }

    /** Fresh at {@code now} (epoch ms): a value, and not past its soft TTL. */
    boolean freshAt(long now) {
      return value != null && now < freshUntil;
    }
  }

  /** The value at {@code key}, or {@code null}. */
  String get(String key);

  /** The value at {@code key}, or {@code null}, with what the key held. */
  Seen observe(String key);

  /**
   * Stores {@code value} at {@code key} for {@code ttl} only if nothing invalidated the key since
   * {@code seen} was read in this store (so a load that an invalidation overtook is not stored);
   * true if stored.
   */
  boolean putIfUnchanged(String key, String value, Duration ttl, Seen seen);

  /** Stores {@code value} at {@code key} for {@code ttl}. */
  void put(String key, String value, Duration ttl);

  /** The values found among {@code keys}; missing keys are absent from the map. */
  Map<String, String> getAll(Collection<String> keys);

  /** Stores every entry for {@code ttl}. */
  void putAll(Map<String, String> entries, Duration ttl);

  /**
   * Invalidates {@code key}; true if a value was there. A load that read the key before this
   * cannot store its value afterwards.
   */
  boolean delete(String key);

  /** Removes every key matching a Redis glob pattern; returns how many. (Memory: invalidates.) */
  long deleteMatching(String pattern);

  /** Milliseconds {@code key} has left to live, or -2 if absent (as {@code PTTL}). */
  long ttlMillis(String key);
}
