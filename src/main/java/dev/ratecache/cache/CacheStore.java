package dev.ratecache.cache;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;

/**
 * Where cached JSON lives: Redis (shared by every instance) or this instance's memory. One
 * contract, tested against both.
 */
interface CacheStore {
  /** The value at {@code key}, or {@code null}. */
  String get(String key);

  /** Stores {@code value} at {@code key} for {@code ttl}. */
  void put(String key, String value, Duration ttl);

  /** The values found among {@code keys}; missing keys are absent from the map. */
  Map<String, String> getAll(Collection<String> keys);

  /** Stores every entry for {@code ttl}. */
  void putAll(Map<String, String> entries, Duration ttl);

  /** Removes {@code key}; true if it was there. */
  boolean delete(String key);

  /** Removes every key matching a Redis glob pattern; returns how many. */
  long deleteMatching(String pattern);

  /** Milliseconds {@code key} has left to live, or -2 if absent (as {@code PTTL}). */
  long ttlMillis(String key);
}
