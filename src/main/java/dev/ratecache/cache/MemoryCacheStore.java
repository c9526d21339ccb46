package dev.ratecache.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.ratecache.internal.GlobPattern;
import dev.ratecache.internal.Time;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Cached JSON in this instance's memory: a Caffeine cache in which each entry expires after its
 * own TTL and the total size is bounded in bytes (least recently used entries go first), with
 * Redis-compatible pattern invalidation. A load's write ({@link #putIfUnchanged}) is refused if
 * anything was invalidated in this store since the load's read: one counter for all keys, coarse
 * but exact (the store serves only while Redis is unavailable). Thread-safe.
 */
final class MemoryCacheStore implements CacheStore {
  /** Rough bytes of bookkeeping per entry beyond its key and value. */
  private static final int OVERHEAD = 96;

  private record Entry(String value, long ttlNanos) {}

  private final Cache<String, Entry> cache;
  /** Invalidations so far; a write compares it under the lock with what its read saw. */
  private long invalidations;

  MemoryCacheStore(long maxBytes, Clock clock) {
    this.cache = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .weigher((String k, Entry e) -> (int) Math.min(Integer.MAX_VALUE,
            2L * k.length() + 2L * e.value().length() + OVERHEAD))
        .expireAfter(Expiry.writing((String k, Entry e) -> Duration.ofNanos(e.ttlNanos())))
        .ticker(Time.ticker(clock))
        .build();
  }

  @Override
  public String get(String key) {
    Entry e = cache.getIfPresent(key);
    return e == null ? null : e.value();
  }

  @Override
  public synchronized Seen observe(String key) {
    return new Seen(get(key), invalidations);
  }

  @Override
  public synchronized boolean putIfUnchanged(String key, String value, Duration ttl, Seen seen) {
    if (!(seen.token() instanceof Long count) || count != invalidations) {
      return false;
    }
    put(key, value, ttl);
    return true;
  }

  @Override
  public void put(String key, String value, Duration ttl) {
    cache.put(key, new Entry(value, ttl.toNanos()));
  }

  @Override
  public Map<String, String> getAll(Collection<String> keys) {
    Map<String, String> found = new LinkedHashMap<>();
    cache.getAllPresent(keys).forEach((k, e) -> found.put(k, e.value()));
    return found;
  }

  @Override
  public void putAll(Map<String, String> entries, Duration ttl) {
    entries.forEach((k, v) -> put(k, v, ttl));
  }

  @Override
  public synchronized boolean delete(String key) {
    invalidations++;
    return cache.asMap().remove(key) != null;
  }

  @Override
  public synchronized long deleteMatching(String pattern) {
    invalidations++;
    long removed = 0;
    for (String key : cache.asMap().keySet()) {
      if (GlobPattern.matches(pattern, key) && cache.asMap().remove(key) != null) {
        removed++;
      }
    }
    return removed;
  }

  @Override
  public long ttlMillis(String key) {
    return cache.policy().expireVariably()
        .flatMap(p -> p.getExpiresAfter(key, TimeUnit.MILLISECONDS).stream().boxed().findFirst())
        .orElse(-2L);
  }

  /**
   * Removes every entry carrying the tag named {@code name} (stored with {@link Tags}'s envelope
   * of names); returns how many. Work bounded by the store's size.
   */
  synchronized long deleteTagged(String name) {
    invalidations++;
    long removed = 0;
    for (Map.Entry<String, Entry> e : cache.asMap().entrySet()) {
      Tags.Parsed p = Tags.of(e.getValue().value());
      if (!p.stamp().isEmpty() && p.carries(name) && cache.asMap().remove(e.getKey()) != null) {
        removed++;
      }
    }
    return removed;
  }

  /** Drops everything (when Redis is back, so no stale entry outlives the outage). */
  synchronized void clear() {
    invalidations++;
    cache.invalidateAll();
  }

  /** Approximate bytes held, after pending maintenance. */
  long weightedSize() {
    cache.cleanUp();
    return cache.policy().eviction().flatMap(e -> e.weightedSize().stream().boxed().findFirst())
        .orElse(0L);
  }
}
