package dev.ratecache.cache;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Redis-or-memory switch of one cache: every read and write goes to Redis while it is
 * usable, else (or when a call fails) to the bounded memory store, counted per TTL category; reads
 * go through the near cache when it is on; writes are announced to every instance. When Redis
 * comes back UP the memory store is emptied, so nothing written during an outage outlives it.
 * Thread-safe.
 */
final class CacheStores {
  private static final Logger log = LoggerFactory.getLogger(CacheStores.class);

  /** One TTL category's counters. */
  static final class Counters {
    final LongAdder hits = new LongAdder();
    final LongAdder misses = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder fallback = new LongAdder();
  }

  private final RedisConnector connector;
  private final RedisCacheStore redis;
  private final MemoryCacheStore memory;
  private final NearCache near;
  private final Map<String, Counters> counters = new ConcurrentHashMap<>();
  private final AutoCloseable healthRegistration;

  /**
   * @param redis the Redis store, or {@code null} when Redis is switched off
   * @param near the near cache, or {@code null} when it is off
   */
  CacheStores(RedisConnector connector, RedisCacheStore redis, MemoryCacheStore memory,
      NearCache near) {
    this.connector = connector;
    this.redis = redis;
    this.memory = memory;
    this.near = near;
    this.healthRegistration = connector.health().onTransition(t -> {
      if (t.to() == RedisHealth.State.UP) {
        memory.clear();
      }
    });
  }

  /** Whether Redis is in use right now (switched on and not known down). */
  boolean isRedisUsable() {
    return redis != null && connector.isAvailable();
  }

  /** The Redis store, or {@code null} when Redis is switched off. */
  RedisCacheStore redis() {
    return redis;
  }

  MemoryCacheStore memory() {
    return memory;
  }

  /** The near cache, or {@code null} when it is off. */
  NearCache near() {
    return near;
  }

  /**
   * What a read sees at {@code key} (the near copy, else Redis, else the memory store), counting
   * a hit or a miss: the JSON or {@code null}, and what a load started from this read passes to
   * {@link #putIfUnchanged}.
   */
  CacheStore.Seen observe(String key) {
    String category = CacheKeys.category(key);
    CacheStore.Seen seen = near != null ? nearOrRedis(category, key) : null;
    if (seen == null) {
      seen = withStore(category, s -> s.observe(key));
    }
    Counters c = counters(category);
    (seen.value() != null ? c.hits : c.misses).increment();
    return seen;
  }

  /**
   * The near copy, else Redis (keeping what it returns as a copy); {@code null} when Redis is
   * down or failed, so that the caller falls back to memory.
   */
  private CacheStore.Seen nearOrRedis(String category, String key) {
    if (!connector.isAvailable()) {
      return null;
    }
    String copy = near.get(key);
    if (copy != null) {
      return new CacheStore.Seen(copy, null);
    }
    long mark = near.mark();
    long epoch = near.epoch();
    CacheStore.Seen seen = redisOnly(category, r -> r.observe(key), null);
    if (seen != null && seen.value() != null) {
      near.offer(key, seen.value(), mark, epoch);
    }
    return seen;
  }

  /**
   * Stores a load's JSON if nothing invalidated the key since {@code seen} was read, in the store
   * that read it (a read from Redis writes to Redis only, one from memory to memory only); true
   * if stored, and then announced.
   */
  boolean putIfUnchanged(String key, String json, Duration ttl, CacheStore.Seen seen) {
    String category = CacheKeys.category(key);
    boolean stored = seen.token() instanceof RedisCacheStore.Token
        ? Boolean.TRUE.equals(redisOnly(category, r -> r.putIfUnchanged(key, json, ttl, seen),
            false))
        : memory.putIfUnchanged(key, json, ttl, seen);
    if (stored) {
      announce(List.of(key));
    }
    return stored;
  }

  /** Stores JSON the caller knows to be current, unconditionally, and announces it. */
  void putJson(String key, String json, Duration ttl) {
    withStore(CacheKeys.category(key), s -> {
      s.put(key, json, ttl);
      return null;
    });
    announce(List.of(key));
  }

  /**
   * After a write or removal in Redis: drops this instance's near copies and tells the others
   * (always, so that instances with a near cache hear of writes by instances without one, as in
   * a rolling deployment that turns it on).
   */
  void announce(Collection<String> keys) {
    if (keys.isEmpty() || redis == null) {
      return;
    }
    if (near != null) {
      keys.forEach(near::changed);
    }
    connector.events().publishKeys(keys);
  }

  /** Runs {@code op} on Redis if it is up, else (or if it fails) on the memory store. */
  <T> T withStore(String category, Function<CacheStore, T> op) {
    if (redis != null && connector.isAvailable()) {
      try {
        return op.apply(redis);
      } catch (RuntimeException e) {
        counters(category).errors.increment();
      }
    }
    counters(category).fallback.increment();
    return op.apply(memory);
  }

  /** Runs {@code op} on Redis if it is up; {@code otherwise} if Redis is down or fails. */
  <T> T redisOnly(String category, Function<RedisCacheStore, T> op, T otherwise) {
    if (redis != null && connector.isAvailable()) {
      try {
        return op.apply(redis);
      } catch (RuntimeException e) {
        counters(category).errors.increment();
      }
    }
    return otherwise;
  }

  Counters counters(String category) {
    return counters.computeIfAbsent(category, c -> new Counters());
  }

  /** Counters per TTL category since start. */
  CacheStats stats() {
    Map<String, CacheStats.CategoryStats> out = new LinkedHashMap<>();
    counters.forEach((category, c) -> out.put(category, new CacheStats.CategoryStats(
        c.hits.sum(), c.misses.sum(), c.errors.sum(), c.fallback.sum())));
    return new CacheStats(out);
  }

  /** Reads served from the near cache since start (0 when it is off). */
  long nearHits() {
    return near == null ? 0 : near.hits();
  }

  void close() {
    if (redis != null) {
      redis.generations().close();
    }
    try {
      healthRegistration.close();
    } catch (Exception e) {
      log.debug("Removing the health listener failed", e);
    }
    if (near != null) {
      try {
        near.close();
      } catch (Exception e) {
        log.debug("Closing the near cache failed", e);
      }
    }
  }
}
