package dev.ratecache.cache;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * What the JAX-RS response cache ({@link CachedQueryFeature}) needs of a {@link QueryCache}
 * beyond its typed API: raw JSON by key, per-user variants of a shared key (indexed, so that they
 * can be invalidated without scanning the keyspace), and one load per key at a time.
 * Thread-safe.
 */
final class ResponseStore {
  private final CacheStores stores;
  private final SingleFlight flights;
  private final long budget;

  /** @param budget bytes a route may newly store per TTL window; 0 for no bound */
  ResponseStore(CacheStores stores, SingleFlight flights, long budget) {
    this.stores = stores;
    this.flights = flights;
    this.budget = budget;
  }

  /** What a read sees at {@code key}: its raw JSON or {@code null}, counting a hit or a miss. */
  CacheStore.Seen observe(String key) {
    return stores.observe(key);
  }

  /** {@link #observe(String)} of a response a write from this read tags with {@code tags}. */
  CacheStore.Seen observe(String key, List<String> tags) {
    return stores.observe(key, tags);
  }

  /** Stores a load's raw JSON unless the key was invalidated since {@code seen} was read. */
  void putJson(String key, String json, Duration ttl, Duration window, CacheStore.Seen seen) {
    stores.putIfUnchanged(key, json, ttl, window, seen);
  }

  /** A read counted as a hit that is taken as a miss (a stale entry not served). */
  void countAsMiss(String key) {
    stores.countAsMiss(key);
  }

  /**
   * Whether a new entry of {@code bytes} fits the budget of the route {@code routeId} for the
   * current window of {@code ttl} (and charges it if so): what clients can make a route store is
   * bounded, whatever keys they mint. Always true on the memory store, bounded by itself.
   */
  boolean withinBudget(String routeId, long bytes, Duration ttl) {
    if (budget <= 0) {
      return true;
    }
    return Boolean.TRUE.equals(stores.redisOnly(CacheKeys.category(routeId),
        r -> r.charge(dev.ratecache.internal.KeySpace.BUDGETS
            + dev.ratecache.internal.Hashing.sha256Short(routeId), bytes, ttl, budget), true));
  }

  /** One load per key at a time, for cold requests. */
  SingleFlight flights() {
    return flights;
  }

  /** One user's variant of a shared key: {@code <key>:user:<escaped user>}. */
  static String userVariant(String key, String user) {
    return key + ":user:" + CacheKeys.escape(user);
  }

  /**
   * The index of a key's user variants: {@code <key>:user:%v}, a sorted set of the variants by
   * when they expire. {@link CacheKeys#escape} writes {@code %} only before two hexadecimal digits,
   * so no variant can collide with it, and it falls under the same {@code <key>:user:*} pattern as
   * the variants.
   */
  static String variantIndex(String key) {
    return key + ":user:%v";
  }

  /** The index of earlier versions, a plain set: still read when invalidating, never written. */
  static String legacyVariantIndex(String key) {
    return key + ":user:%";
  }

  /**
   * Stores one user's variant of {@code base}, recording it so it can be invalidated, unless the
   * variant was invalidated since {@code seen} was read.
   */
  void putVariant(String base, String key, String value, Duration given, Duration window,
      CacheStore.Seen seen) {
    if (!(seen.token() instanceof RedisCacheStore.Token)) {
      // read from memory: written to memory only
      stores.putIfUnchanged(key, value, given, window, seen);
      return;
    }
    String category = CacheKeys.category(key);
    CacheStores.Stored s = stores.stored(value, given, window, CacheStores.tagged(seen));
    String json = s.text();
    Duration ttl = s.ttl();
    Boolean stored = stores.redisOnly(category,
        r -> r.putVariant(variantIndex(base), key, json, ttl, seen), false);
    if (Boolean.TRUE.equals(stored)) {
      stores.announce(List.of(key));
    }
  }

  /**
   * Whether {@code variant}, a {@code Vary} variant of {@code entry} living {@code life}, may be
   * stored: it is one of the at most {@code max} variants the entry keeps (counted in Redis
   * across the fleet). Always true on the memory store, bounded by itself.
   */
  boolean admitVariant(String entry, String variant, Duration life, int max) {
    return !Boolean.FALSE.equals(stores.redisOnly(CacheKeys.category(entry),
        r -> r.admitVariant(entry + ":vary:%n", variant, life, max), true));
  }

  /**
   * Removes every user's variant of {@code base} from Redis (through the variant index, without
   * scanning the keyspace) and from the memory store; returns how many were removed.
   */
  long invalidateVariants(String base) {
    long fromMemory = stores.memory().deleteMatching(base + ":user:*")
        + stores.memory().deleteMatching(base + ":vary:*");
    Set<String> fromRedis = stores.deleteVariantsFromRedis(base);
    stores.announce(fromRedis);
    return fromMemory + fromRedis.size();
  }
}
