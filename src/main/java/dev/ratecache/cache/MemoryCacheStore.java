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
 * Redis-compatible pattern invalidation. Thread-safe.
 */
final class MemoryCacheStore implements CacheStore {
  /** Rough bytes of bookkeeping per entry beyond its key and value. */
  private static final int OVERHEAD = 96;

  private record Entry(String value, long ttlNanos) {}

  private final Cache<String, Entry> cache;

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
  public boolean delete(String key) {
    return cache.asMap().remove(key) != null;
  }

  @Override
  public long deleteMatching(String pattern) {
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

  /** Drops everything (when Redis is back, so no stale entry outlives the outage). */
  void clear() {
    cache.invalidateAll();
  }

  /** Approximate bytes held, after pending maintenance. */
  long weightedSize() {
    cache.cleanUp();
    return cache.policy().eviction().flatMap(e -> e.weightedSize().stream().boxed().findFirst())
        .orElse(0L);
  }
}
