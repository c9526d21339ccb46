package dev.ratecache.cache;

import dev.ratecache.internal.GlobPattern;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.SettingValues;
import dev.ratecache.internal.SettingsCatalog;
import dev.ratecache.internal.ThrottledLog;
import dev.ratecache.internal.Time;
import dev.ratecache.json.JsonCodec;
import dev.ratecache.json.TypeToken;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A transparent cache for query results, stored as JSON in Redis with per-entry TTLs.
 *
 * <p>While Redis is unavailable every operation uses a bounded in-memory store that honours each
 * entry's TTL; when Redis returns, Redis is used again and the memory store is emptied, so nothing
 * written during the outage outlives it. A Redis failure never becomes an error for the caller:
 * the worst case is a miss. Counters are kept per TTL category (see {@link CacheKeys#category}).
 *
 * <pre>{@code
 * User u = cache.getOrLoad(DefaultKeyScheme.userByEmail(email), ttl.of(CacheTtl.USER), User.class,
 *     () -> db.findUser(email));
 * cache.invalidateMatching(DefaultKeyScheme.USER_PATTERN);
 * }</pre>
 *
 * <p>Thread-safe. Build one per application and share it.
 *
 * <p>(Longer than most files here for a reason: the typed API and its public {@link Builder}.
 * The Redis-or-memory switch, counters and near cache are {@code CacheStores}; what the JAX-RS
 * response cache needs is {@code ResponseStore}; one load per key is {@code SingleFlight}.)
 */
public final class QueryCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(QueryCache.class);

  /** Loads a value on a miss. */
  @FunctionalInterface
  public interface Loader<T> {
    T load() throws Exception;
  }

  /** A loader threw a checked exception; its cause is what it threw. */
  public static final class LoadException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LoadException(String key, Throwable cause) {
      super("Loading " + key + " failed: " + cause, cause);
    }
  }

  private final RedisConnector connector;
  private final boolean ownsConnector;
  private final JsonCodec codec;
  private final CacheTtl ttls;
  private final ThrottledLog throttled;
  private final SingleFlight flights;
  private final com.github.benmanes.caffeine.cache.Ticker ticker;
  private final Duration tombstoneTtl;
  private final CacheStores stores;
  private final ResponseStore responses;
  private final Duration loadWait;
  private final Duration staleWhileRevalidate;
  private final Duration staleIfError;
  private final boolean fleetLoads;
  private final String holderPrefix = Long.toString(
      java.util.concurrent.ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36) + ":";
  private final java.util.concurrent.atomic.AtomicLong holders =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.LongAdder staleRevalidating =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder staleError =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder refreshesSkipped =
      new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder fleetWaits =
      new java.util.concurrent.atomic.LongAdder();
  /** Background refreshes (stale-while-revalidate): two threads, a bounded queue. */
  private final java.util.concurrent.ThreadPoolExecutor refresher;

  private QueryCache(Builder b) {
    this.codec = b.codec != null ? b.codec : JsonCodec.standard();
    this.ttls = b.ttls != null ? b.ttls : CacheTtl.fromLookup(b.env);
    this.ownsConnector = b.connector == null;
    this.connector = b.connector != null ? b.connector : RedisConnector.shared(
        b.redisSettings != null ? b.redisSettings : RedisSettings.fromLookup(b.env));
    this.throttled = new ThrottledLog(log, Duration.ofSeconds(30), b.clock);
    Duration nearTtl = b.nearTtl != null ? b.nearTtl
        : Duration.ofMillis(numberFromEnv(NEAR_TTL_SETTING, b.env, 0));
    long nearBytes = b.nearMaxBytes > 0 ? b.nearMaxBytes
        : numberFromEnv(NEAR_MAX_BYTES_SETTING, b.env, 1024);
    Duration loadWait = b.loadWait != null ? b.loadWait
        : Duration.ofMillis(numberFromEnv(LOAD_WAIT_SETTING, b.env, 1));
    this.loadWait = loadWait;
    this.staleWhileRevalidate = b.staleWhileRevalidate != null ? b.staleWhileRevalidate
        : Duration.ofMillis(numberFromEnv(STALE_WHILE_REVALIDATE_SETTING, b.env, 0));
    this.staleIfError = b.staleIfError != null ? b.staleIfError
        : Duration.ofMillis(numberFromEnv(STALE_IF_ERROR_SETTING, b.env, 0));
    this.fleetLoads = b.fleetLoads != null ? b.fleetLoads
        : fleetLoadsFromEnv(b.env);
    Clock clock = b.clock;
    Duration failureMemory = b.failureMemory != null ? b.failureMemory
        : Duration.ofMillis(numberFromEnv(FAILURE_MEMORY_SETTING, b.env, 0));
    this.ticker = Time.ticker(clock);
    this.flights = new SingleFlight(loadWait, failureMemory, 100_000, ticker);
    // An invalidated key stays a tombstone this long: longer than any entry lives, and than a
    // load may take before its value is stored (a slower load is not stored at all).
    Duration tombstone = Duration.ofSeconds(60);
    Duration window = staleWindow(staleWhileRevalidate, staleIfError);
    for (Duration ttl : ttls.asMap().values()) {
      tombstone = ttl.plus(window).compareTo(tombstone) > 0 ? ttl.plus(window) : tombstone;
    }
    this.tombstoneTtl = loadWait.multipliedBy(2).compareTo(tombstone) > 0
        ? loadWait.multipliedBy(2) : tombstone;
    RedisCacheStore redis = connector.settings().enabled()
        ? new RedisCacheStore(connector, tombstoneTtl, clock) : null;
    NearCache near = redis != null && !nearTtl.isZero()
        ? new NearCache(connector.events(), nearTtl, nearBytes, b.clock) : null;
    this.stores = new CacheStores(connector, redis,
        new MemoryCacheStore(b.memoryMaxBytes, b.clock), near, b.observer);
    long jitter = b.ttlJitterPercent >= 0 ? b.ttlJitterPercent
        : numberFromEnv(TTL_JITTER_SETTING, b.env, 0);
    if (jitter > 50) {
      throw new dev.ratecache.ConfigurationException(TTL_JITTER_SETTING,
          "must be 0 to 50 (percent), got " + jitter);
    }
    stores.jitterPercent((int) jitter);
    long routeBudget = b.routeBudget >= 0 ? b.routeBudget
        : numberFromEnv(ROUTE_BUDGET_SETTING, b.env, 0);
    this.responses = new ResponseStore(stores, flights, routeBudget);
    stores.clock(clock);
    Duration tagRetention = b.tagRetention != null ? b.tagRetention
        : Duration.ofMillis(numberFromEnv(TAG_RETENTION_SETTING, b.env, 1000));
    stores.tagRetention(tagRetention, tombstoneTtl);
    long compressFrom = b.compressionThreshold >= 0 ? b.compressionThreshold
        : numberFromEnv(COMPRESSION_SETTING, b.env, 0);
    if (compressFrom > Compression.MAX_EXPANDED) {
      throw new dev.ratecache.ConfigurationException(COMPRESSION_SETTING,
          "must be at most " + Compression.MAX_EXPANDED + " bytes (0: off), got " + compressFrom);
    }
    if (redis != null) {
      redis.compression(new Compression((int) compressFrom));
    }
    this.refresher = new java.util.concurrent.ThreadPoolExecutor(0, 2, 30,
        java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(256),
        r -> {
          Thread t = new Thread(r, "ratecache-cache-refresh");
          t.setDaemon(true);
          return t;
        }, new java.util.concurrent.ThreadPoolExecutor.AbortPolicy());
  }

  /** How long past its TTL an entry is kept: the longer of the two stale windows. */
  static Duration staleWindow(Duration whileRevalidate, Duration ifError) {
    return whileRevalidate.compareTo(ifError) > 0 ? whileRevalidate : ifError;
  }

  /**
   * The longest a caller waits for another caller's load of the same key, in milliseconds
   * (default 5000); after it, the caller loads for itself.
   */
  public static final String LOAD_WAIT_SETTING = "CACHE_LOAD_WAIT_MS";

  /**
   * How long a failed load of a key is remembered, in milliseconds (default 0: only the callers
   * already waiting for it share the failure); callers meanwhile get the failure without loading.
   */
  public static final String FAILURE_MEMORY_SETTING = "CACHE_FAILURE_MEMORY_MS";

  /**
   * Bytes of new entries one {@code @CachedQuery} route may store in Redis per TTL window
   * (default 64 MiB; 0 for no bound): a client minting keys cannot fill Redis.
   */
  public static final String ROUTE_BUDGET_SETTING = "CACHE_ROUTE_BUDGET_BYTES";

  /** The setting that turns the near cache on: its TTL in milliseconds (0, the default, is off). */
  public static final String NEAR_TTL_SETTING = "CACHE_NEAR_TTL_MS";
  /**
   * Each entry's TTL is shortened by a random 0 to this many percent (0, the default, to 50), so
   * entries written together (a warm-up, a deploy) do not expire together.
   */
  public static final String TTL_JITTER_SETTING = "CACHE_TTL_JITTER_PERCENT";

  /** The most bytes the near cache holds (default 16 MiB). */
  public static final String NEAR_MAX_BYTES_SETTING = "CACHE_NEAR_MAX_BYTES";

  /**
   * Stale-while-revalidate (RFC 5861), in milliseconds (default 0: off): for this long after an
   * entry's TTL, {@code getOrLoad} and {@code @CachedQuery} serve it at once while one refresh
   * per fleet runs.
   */
  public static final String STALE_WHILE_REVALIDATE_SETTING = "CACHE_STALE_WHILE_REVALIDATE_MS";

  /**
   * Stale-if-error (RFC 5861), in milliseconds (default 0: off): for this long after an entry's
   * TTL, a load that fails (the loader threw, the resource answered 5xx) is answered with it.
   */
  public static final String STALE_IF_ERROR_SETTING = "CACHE_STALE_IF_ERROR_MS";

  /**
   * Whether a miss is loaded once per fleet (default {@code true}): the first instance takes a
   * lease in Redis, the others wait for its value up to {@link #LOAD_WAIT_SETTING}.
   */
  public static final String FLEET_LOADS_SETTING = "CACHE_FLEET_LOADS";

  /**
   * The longest a tagged entry lives, in milliseconds (default 86400000, one day): a tag's
   * invalidation is kept in Redis this long (plus a load's longest life), so a tagged entry's
   * TTL plus stale window is cut to it.
   */
  public static final String TAG_RETENTION_SETTING = "CACHE_TAG_RETENTION_MS";

  /**
   * Values of at least this many bytes (UTF-8) are stored in Redis compressed with LZ4 (default
   * 4096; 0 turns it off), when that makes them smaller. Compressed and plain entries coexist:
   * every instance reads both, whatever its own setting.
   */
  public static final String COMPRESSION_SETTING = "CACHE_COMPRESS_MIN_BYTES";

  /** Why a stale entry was served ({@code ratecache.cache.stale{reason}}). */
  public enum StaleReason {
    /** Past its TTL within stale-while-revalidate: served while one refresh runs. */
    REVALIDATING,
    /** Past its TTL within stale-if-error: the load failed. */
    ERROR
  }

  /**
   * A whole number of at least {@code min} from the environment, or the setting's default from
   * the one list of settings ({@link SettingsCatalog}, also what the docs show).
   */
  private static long numberFromEnv(String name, Function<String, String> env, long min) {
    String v = env.apply(name);
    return v == null || v.isBlank() ? SettingsCatalog.defaultNumber(name)
        : SettingValues.atLeast(name, v, min);
  }

  private static boolean fleetLoadsFromEnv(Function<String, String> env) {
    String v = env.apply(FLEET_LOADS_SETTING);
    return v == null || v.isBlank() || SettingValues.bool(FLEET_LOADS_SETTING, v);
  }

  /** A builder: Redis from the environment, default TTLs, 64 MiB of memory fallback. */
  public static Builder builder() {
    return new Builder();
  }

  // ------------------------------------------------------------------ reads

  /** The cached value at {@code key}, if any and if it decodes as {@code type}. */
  public <T> Optional<T> get(String key, Class<T> type) {
    return Optional.ofNullable(read(key, TypeToken.of(type)));
  }

  /**
   * The cached value at {@code key} as a generic type, such as a list of rows: {@code
   * get(key, new TypeToken<List<Row>>() {})}.
   */
  public <T> Optional<T> get(String key, TypeToken<T> type) {
    return Optional.ofNullable(read(key, type));
  }

  /**
   * The cached value, or the loader's result, stored for {@code ttl}. Within this instance one
   * load per key runs at a time; concurrent callers for the same key wait for its result. A
   * {@code null} result is returned but not cached.
   *
   * @throws LoadException if the loader throws a checked exception (runtime exceptions are
   *     rethrown as they are), to this caller and every caller waiting on the same load
   */
  public <T> T getOrLoad(String key, Duration ttl, Class<T> type, Loader<? extends T> loader) {
    return load(key, ttl, TypeToken.of(type), loader);
  }

  /** {@link #getOrLoad(String, Duration, Class, Loader)} for a generic type. */
  public <T> T getOrLoad(String key, Duration ttl, TypeToken<T> type,
      Loader<? extends T> loader) {
    return load(key, ttl, type, loader);
  }

  /** {@link #getOrLoad(String, Duration, Class, Loader)} with the key's category TTL. */
  public <T> T getOrLoad(String key, Class<T> type, Loader<? extends T> loader) {
    return load(key, ttls.forKey(key), TypeToken.of(type), loader);
  }

  /**
   * The cached values among {@code keys}, in one round trip per Redis node; missing or
   * undecodable keys are absent from the result.
   */
  public <T> Map<String, T> getAll(Collection<String> keys, Class<T> type) {
    return readAll(keys, TypeToken.of(type));
  }

  /** {@link #getAll(Collection, Class)} for a generic type. */
  public <T> Map<String, T> getAll(Collection<String> keys, TypeToken<T> type) {
    return readAll(keys, type);
  }

  /**
   * The JSON text stored at {@code key}, as stored, if any: for bridges that keep their own type
   * information in the value (the Spring {@code CacheManager} of the starter). Counted as a hit or
   * a miss like every read.
   */
  public Optional<String> getJson(String key) {
    String json = fresh(key, stores.observe(key));
    return json == null || json.equals(ABSENT) ? Optional.empty() : Optional.of(json);
  }

  /** What {@code seen} holds if fresh; a stale entry reads as a miss (it has no loader here). */
  private String fresh(String key, CacheStore.Seen seen) {
    if (seen.value() == null || seen.freshAt(stores.nowMillis())) {
      return seen.value();
    }
    stores.countAsMiss(key);
    return null;
  }

  /**
   * {@link #getOrLoad(String, Duration, Class, Loader)} for JSON text the caller writes and reads
   * itself: the same single flight, and the loaded text is stored only if nothing invalidated the
   * key meanwhile. The text is stored as it is; it must be JSON.
   */
  public String getOrLoadJson(String key, Duration ttl, Loader<String> loader) {
    return load(key, ttl, RAW, loader);
  }

  /**
   * {@link #getOrLoad(String, Duration, Class, Loader)} that also caches an absence (negative
   * caching): a loader's {@link Optional#empty()} (no such row) is stored for {@code absentTtl},
   * so a client asking again and again for an id that does not exist reaches the database once
   * per {@code absentTtl}, not per request. Within its TTL the absence is returned without
   * loading, on every instance; an invalidation of the key removes it as it removes a value.
   * {@code getOrLoad} and {@code get} read a stored absence as a miss.
   *
   * @param absentTtl how long an absence is stored: short, since a row created meanwhile without
   *     an invalidation of its key stays unseen that long
   * @throws IllegalArgumentException if {@code absentTtl} is not positive
   */
  public <T> Optional<T> getOrLoadOptional(String key, Duration ttl, Duration absentTtl,
      Class<T> type, Loader<Optional<T>> loader) {
    if (absentTtl == null || absentTtl.isNegative() || absentTtl.isZero()) {
      throw new IllegalArgumentException("absentTtl must be positive, got " + absentTtl);
    }
    TypeToken<T> token = TypeToken.of(type);
    Optional<T> got = load(key, ttl, new Format<Optional<T>>() {
      @Override
      public Optional<T> decode(String k, String json) {
        if (ABSENT.equals(json)) {
          return Optional.empty();
        }
        T value = QueryCache.this.decode(k, json, token);
        return value == null ? null : Optional.of(value);
      }

      @Override
      public String encode(Optional<T> value) {
        return value.isPresent() ? codec.encode(value.get()) : ABSENT;
      }

      @Override
      public Duration ttl(Optional<T> value, Duration given) {
        return value.isPresent() ? given : absentTtl;
      }
    }, loader);
    return got == null ? Optional.empty() : got;
  }

  // ------------------------------------------------------------------ writes

  /**
   * Stores JSON text the caller wrote itself (see {@link #getJson}) at {@code key} for {@code
   * ttl}, as it is.
   *
   * @throws NullPointerException if {@code json} is null
   */
  public void putJson(String key, String json, Duration ttl) {
    stores.putJson(key, Objects.requireNonNull(json, "json"), ttl, staleWindow());
  }

  /** Caches {@code value} as JSON at {@code key} for {@code ttl}. */
  public void put(String key, Object value, Duration ttl) {
    stores.putJson(key, codec.encode(value), ttl, staleWindow());
  }

  /** Caches {@code value} for its key's category TTL. */
  public void put(String key, Object value) {
    put(key, value, ttls.forKey(key));
  }

  /** Caches every entry for {@code ttl}, in one round trip per Redis node. */
  public void putAll(Map<String, ?> entries, Duration ttl) {
    Map<String, String> json = new LinkedHashMap<>();
    entries.forEach((k, v) -> json.put(k, codec.encode(v)));
    String category = entries.isEmpty() ? CacheTtl.OTHER
        : CacheKeys.category(entries.keySet().iterator().next());
    // With TTL jitter, in a few groups of one jittered TTL each (one round trip per group and
    // node), so that a warm-up's entries do not expire together.
    Map<Duration, Map<String, String>> groups = new LinkedHashMap<>();
    List<Duration> ttlsOfGroups = new java.util.ArrayList<>();
    for (int i = 0; i < (stores.jitters() ? 8 : 1); i++) {
      ttlsOfGroups.add(stores.jittered(ttl));
    }
    int n = 0;
    for (Map.Entry<String, String> e : json.entrySet()) {
      groups.computeIfAbsent(ttlsOfGroups.get(n++ % ttlsOfGroups.size()),
          d -> new LinkedHashMap<>()).put(e.getKey(), e.getValue());
    }
    Duration window = staleWindow();
    stores.withStore(category, store -> {
      groups.forEach((groupTtl, group) -> {
        if (window.isZero()) {
          store.putAll(group, groupTtl);
          return;
        }
        Map<String, String> enveloped = new LinkedHashMap<>();
        group.forEach((k, v) -> enveloped.put(k, stores.stored(v, groupTtl, window).text()));
        store.putAll(enveloped, groupTtl.plus(window));
      });
      return null;
    });
    stores.announce(json.keySet());
  }

  /**
   * Removes {@code key} from Redis and from the memory store, for every instance; true if it was
   * in either. If Redis, or the cluster master of the key, cannot be reached, the removal is kept
   * (bounded) and made as soon as it serves again, before this instance reads the key from it, so
   * the value it still holds is not served again after the outage. Keys not read through this
   * cache ({@code rate_limit:} buckets, {@code ratecache:}) are deleted outright: invalidating a
   * bucket resets that client's limit.
   */
  public boolean invalidate(String key) {
    boolean inMemory = stores.memory().delete(key);
    boolean inRedis = stores.deleteFromRedis(key);
    stores.announce(List.of(key));
    return inMemory || inRedis;
  }

  /**
   * Invalidates every entry whose key matches a Redis glob pattern, such as {@link
   * CacheKeys#USER_PATTERN}, for every instance, at once and in O(1): the pattern's namespace
   * (its literal start, {@code query:user:}) gets a new generation, one {@code HINCRBY}, and
   * every entry written before reads as a miss until its TTL removes it (see {@link
   * Generations}); no keyspace scan runs on the caller's thread. The memory store and near
   * copies are cleared of matching keys. Keys that are not read through this cache
   * ({@code rate_limit:}, {@code ratecache:}) are removed outright, by a sweep.
   *
   * @return how many keys were removed outright (from memory, and any {@code rate_limit:} or
   *     {@code ratecache:} keys); invalidated Redis entries are not counted
   * @throws IllegalArgumentException if the pattern is empty
   */
  public long invalidateMatching(String pattern) {
    if (pattern == null || pattern.isEmpty()) {
      throw new IllegalArgumentException("pattern must not be empty");
    }
    long removed = stores.memory().deleteMatching(pattern);
    RedisCacheStore redis = stores.redis();
    if (redis != null) {
      redis.generations().invalidate(pattern);
      if (GlobPattern.mayMatchPrefix(pattern, KeySpace.RATE_LIMIT)
          || GlobPattern.mayMatchPrefix(pattern, KeySpace.LIBRARY)) {
        Long swept = stores.redisOnly(CacheKeys.category(pattern), r -> r.deleteMatching(pattern),
            0L);
        removed += swept == null ? 0 : swept; // the sweep tells every instance itself
      } else {
        connector.events().publish(new Invalidation.Pattern(pattern)); // near copies, everywhere
      }
    }
    if (stores.near() != null) {
      stores.near().changedMatching(pattern);
    }
    return removed;
  }

  // ------------------------------------------------------------------ tags

  /**
   * This cache's reads and writes of entries that belong to {@code tags} (surrogate keys, such
   * as {@code "user:42"}), for {@link #invalidateTag}: {@code cache.tagged("user:42",
   * "org:7").getOrLoad(key, ttl, Row.class, loader)}. A tagged entry lives at most the tag
   * retention ({@link #TAG_RETENTION_SETTING}); see {@link Tags} for how it is kept.
   *
   * @throws IllegalArgumentException if a tag is null or blank, or there are more than 8
   */
  public Tagged tagged(String... tags) {
    return tagged(List.of(tags));
  }

  /** {@link #tagged(String...)} of a collection. */
  public Tagged tagged(Collection<String> tags) {
    return new Tagged(Tags.names(tags));
  }

  /**
   * Invalidates every entry tagged {@code tag}, on every instance, at once: one write in Redis
   * (the tag's new version), whatever the number of entries; they read as misses from then on
   * and expire by their TTL. The memory store and near copies drop them. If Redis cannot be
   * reached the invalidation is kept (bounded) and made when it serves, and entries carrying the
   * tag are not read from Redis meanwhile.
   *
   * @throws IllegalArgumentException if {@code tag} is null or blank
   */
  public void invalidateTag(String tag) {
    stores.invalidateTag(Tags.name(tag));
  }

  /**
   * The reads and writes of entries that belong to a set of tags (see {@link #tagged}). A value
   * of its cache's; as thread-safe and cheap as it.
   */
  public final class Tagged {
    private final List<String> names;

    private Tagged(List<String> names) {
      this.names = names;
    }

    /**
     * {@link QueryCache#getOrLoad(String, Duration, Class, Loader)}: the entry is stored with
     * the tags, as their versions were before the load, so an invalidation of one during the
     * load leaves it a miss.
     */
    public <T> T getOrLoad(String key, Duration ttl, Class<T> type, Loader<? extends T> loader) {
      return load(key, ttl, typed(TypeToken.of(type)), loader, names);
    }

    /** {@link #getOrLoad(String, Duration, Class, Loader)} for a generic type. */
    public <T> T getOrLoad(String key, Duration ttl, TypeToken<T> type,
        Loader<? extends T> loader) {
      return load(key, ttl, typed(type), loader, names);
    }

    /** {@link #getOrLoad(String, Duration, Class, Loader)} with the key's category TTL. */
    public <T> T getOrLoad(String key, Class<T> type, Loader<? extends T> loader) {
      return load(key, ttls.forKey(key), typed(TypeToken.of(type)), loader, names);
    }

    /** Caches {@code value} as JSON at {@code key} for {@code ttl}, with the tags. */
    public void put(String key, Object value, Duration ttl) {
      stores.putJson(key, codec.encode(value), ttl, staleWindow(), names);
    }

    /** Caches {@code value} for its key's category TTL, with the tags. */
    public void put(String key, Object value) {
      put(key, value, ttls.forKey(key));
    }

    /** The tags, as stored (a long or unusual one as its hash). */
    public List<String> tags() {
      return names;
    }
  }

  // ------------------------------------------------------------------ introspection


  /** The TTLs in use. */
  public CacheTtl ttls() {
    return ttls;
  }

  /** The connector in use. */
  public RedisConnector connector() {
    return connector;
  }

  /** The codec in use. */
  public JsonCodec codec() {
    return codec;
  }

  /** Milliseconds {@code key} has left in the store in use, or -2 if absent. */
  public long ttlMillis(String key) {
    return stores.withStore(CacheKeys.category(key), s -> s.ttlMillis(key));
  }

  /** Releases the Redis client if this cache created it. */
  @Override
  public void close() {
    refresher.shutdownNow();
    stores.close();
    if (ownsConnector) {
      connector.close();
    }
  }

  /** Reads served from the near cache since start (0 when it is off). */
  public long nearCacheHits() {
    return stores.nearHits();
  }

  // ------------------------------------------------------------------ internals






  private <T> T read(String key, TypeToken<T> type) {
    return decode(key, fresh(key, stores.observe(key)), type);
  }

  /** How loaded values become stored text and back: through the codec, or as they are. */
  private interface Format<T> {
    T decode(String key, String json);

    String encode(T value);

    /** How long a loaded {@code value} is stored: {@code ttl}, or shorter for an absence. */
    default Duration ttl(T value, Duration ttl) {
      return ttl;
    }
  }

  /** What {@link #getOrLoadOptional} stores for a value the loader found absent. */
  static final String ABSENT = "{\"@ratecache.absent\":1}";

  private static final Format<String> RAW = new Format<>() {
    @Override
    public String decode(String key, String json) {
      return json;
    }

    @Override
    public String encode(String value) {
      return value;
    }
  };

  private <T> Format<T> typed(TypeToken<T> type) {
    return new Format<>() {
      @Override
      public T decode(String key, String json) {
        return QueryCache.this.decode(key, json, type);
      }

      @Override
      public String encode(T value) {
        return codec.encode(value);
      }
    };
  }

  /** {@code json} as {@code type}; {@code null} (counted as a miss) if absent or undecodable. */
  private <T> T decode(String key, String json, TypeToken<T> type) {
    if (json == null || json.equals(ABSENT)) {
      return null; // nothing, or an absence only getOrLoadOptional reads as one
    }
    try {
      return codec.decode(json, type);
    } catch (IllegalArgumentException e) {
      CacheStores.Counters c = stores.counters(CacheKeys.category(key));
      c.hits.decrement();
      c.misses.increment();
      c.errors.increment();
      throttled.warn("Cached value at " + key + " is not a " + type + "; treated as a miss", e);
      return null;
    }
  }


  private <T> Map<String, T> readAll(Collection<String> keys, TypeToken<T> type) {
    List<String> list = List.copyOf(keys);
    if (list.isEmpty()) {
      return Map.of();
    }
    String category = CacheKeys.category(list.get(0));
    Map<String, String> found = stores.writePending(list)
        ? stores.withStore(category, s -> s.getAll(list))
        : stores.memory().getAll(list); // Redis still holds what was invalidated
    Map<String, T> out = new LinkedHashMap<>();
    for (String k : list) {
      CacheStores.Counters c = stores.counters(CacheKeys.category(k));
      Freshness f = Freshness.of(found.get(k));
      String json = f == null || !f.freshAt(stores.nowMillis()) ? null : f.json();
      if (json == null) {
        c.misses.increment();
        continue;
      }
      try {
        out.put(k, codec.decode(json, type));
        c.hits.increment();
      } catch (IllegalArgumentException e) {
        c.misses.increment();
        c.errors.increment();
        throttled.warn("Cached value at " + k + " is not a " + type + "; treated as a miss", e);
      }
    }
    return out;
  }

  /**
   * A cached value, else one load per key at a time in this instance. The load's value is stored
   * only if nothing invalidated the key between the read that missed and the store (see {@link
   * CacheStores#putIfUnchanged}); callers that waited for another caller's load read the cache
   * again instead of taking its value, so none of them returns a value that an invalidation
   * which ended before it asked had removed.
   */
  private <T> T load(String key, Duration ttl, TypeToken<T> type, Loader<? extends T> loader) {
    return load(key, ttl, typed(type), loader);
  }

  private <T> T load(String key, Duration ttl, Format<T> format, Loader<? extends T> loader) {
    return load(key, ttl, format, loader, List.of());
  }

  /** {@link #load(String, Duration, Format, Loader)} of an entry tagged {@code tags} (names). */
  private <T> T load(String key, Duration ttl, Format<T> format, Loader<? extends T> loader,
      List<String> tags) {
    Objects.requireNonNull(loader, "loader");
    CacheStore.Seen seen = stores.observe(key, tags);
    T cached = format.decode(key, seen.value());
    if (cached == null) {
      return loadOnce(key, ttl, format, loader, seen, tags);
    }
    long now = stores.nowMillis();
    if (seen.freshAt(now)) {
      return cached;
    }
    if (within(seen, now, staleWhileRevalidate)) {
      staleRevalidating.increment();
      revalidate(key, ttl, format, loader, seen);
      return cached;
    }
    stores.countAsMiss(key); // too stale to serve but on error: loaded as a miss is
    try {
      return loadOnce(key, ttl, format, loader, seen, tags);
    } catch (RuntimeException failed) {
      if (within(seen, stores.nowMillis(), staleIfError)) {
        staleError.increment();
        throttled.warn("stale:" + CacheKeys.category(key), "Loading " + key + " failed; served"
            + " its value stored " + ageSeconds(seen) + " s ago (stale-if-error): " + failed,
            null);
        return cached;
      }
      throw failed;
    }
  }

  /** Whether what {@code seen} read is within {@code window} past its TTL at {@code now}. */
  static boolean within(CacheStore.Seen seen, long now, Duration window) {
    return seen.value() != null && !window.isZero() && seen.freshUntil() != Long.MAX_VALUE
        && now - seen.freshUntil() < window.toMillis();
  }

  private long ageSeconds(CacheStore.Seen seen) {
    long now = stores.nowMillis();
    return seen.storedAt() <= 0 || now <= seen.storedAt() ? 0 : (now - seen.storedAt()) / 1000;
  }

  /** One load per key in this instance (and per fleet on Redis); waiters re-read the cache. */
  private <T> T loadOnce(String key, Duration ttl, Format<T> format, Loader<? extends T> loader,
      CacheStore.Seen seen, List<String> tags) {
    SingleFlight.Ticket ticket = flights.begin(key);
    if (ticket instanceof SingleFlight.Follower follower) {
      try {
        follower.await();
        seen = stores.observe(key, tags); // what the leader stored, if it is still current
        T cached = format.decode(key, seen.value());
        if (cached != null && seen.freshAt(stores.nowMillis())) {
          return cached;
        }
      } catch (java.util.concurrent.ExecutionException e) {
        throw e.getCause() instanceof RuntimeException r ? r : new LoadException(key, e.getCause());
      } catch (java.util.concurrent.TimeoutException slowLeader) {
        // The other load is slow or hung: load for ourselves rather than wait on it for ever.
      }
      return loadAndPut(key, ttl, format, loader, seen);
    }
    SingleFlight.Leader leader = (SingleFlight.Leader) ticket;
    try {
      T loaded = loadForFleet(key, ttl, format, loader, seen);
      leader.complete(loaded);
      return loaded;
    } catch (RuntimeException | Error e) {
      leader.fail(e);
      throw e;
    }
  }

  /**
   * This instance's one load of {@code key}: with {@link #FLEET_LOADS_SETTING} on and the key
   * read from Redis, only after taking the fleet's lease on it; if another instance holds the
   * lease, its value is awaited (read again with a growing pause, at most the load wait) and
   * loaded here only if it does not come.
   */
  private <T> T loadForFleet(String key, Duration ttl, Format<T> format,
      Loader<? extends T> loader, CacheStore.Seen seen) {
    if (!fleetLoads || !(seen.token() instanceof RedisCacheStore.Token)) {
      return loadAndPut(key, ttl, format, loader, seen);
    }
    String holder = takeLease(key, seen);
    if (holder != null) { // taken, or not to be had (Redis did not answer): load here
      try {
        return loadAndPut(key, ttl, format, loader, seen);
      } finally {
        giveBack(key, holder);
      }
    }
    CacheStore.Seen latest = awaitOther(key, seen);
    T value = format.decode(key, latest.value());
    if (value != null && latest.freshAt(stores.nowMillis())) {
      return value;
    }
    return loadAndPut(key, ttl, format, loader, latest);
  }

  /**
   * The fleet's lease on loading {@code key}: a holder to {@link #giveBack}, {@code ""} if this
   * instance loads without one (fleet loads off, the key not read from Redis, Redis failed), or
   * {@code null} if another instance holds it.
   */
  String takeLease(String key, CacheStore.Seen seen) {
    if (!fleetLoads || !(seen.token() instanceof RedisCacheStore.Token)) {
      return "";
    }
    String holder = holderPrefix + holders.incrementAndGet();
    Boolean leased = stores.lease(key, holder, loadWait);
    return leased == null ? "" : leased ? holder : null;
  }

  /** Gives back a lease {@link #takeLease} took. */
  void giveBack(String key, String holder) {
    if (holder != null && !holder.isEmpty()) {
      stores.release(key, holder);
    }
  }

  /**
   * Waits for the instance holding the lease on {@code key} to store it: reads again with a
   * growing pause (0.5 to 50 ms) until a fresh value is there, the lease is given back or lapses,
   * Redis fails, or the load wait ends; returns the last read (its value fresh if it came).
   */
  CacheStore.Seen awaitOther(String key, CacheStore.Seen seen) {
    fleetWaits.increment();
    long deadline = System.nanoTime() + loadWait.toNanos();
    long pauseMicros = 500;
    CacheStore.Seen latest = seen;
    while (System.nanoTime() < deadline) {
      try {
        java.util.concurrent.TimeUnit.MICROSECONDS.sleep(pauseMicros);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      pauseMicros = Math.min(pauseMicros * 2, 50_000);
      CacheStore.Seen again = stores.observeQuietly(key, seen);
      if (again == null) {
        break; // Redis failed meanwhile: load here
      }
      latest = again;
      if (again.freshAt(stores.nowMillis())) {
        return again;
      }
      if (!Boolean.TRUE.equals(stores.leased(key))) {
        break; // the holder is done without a value we can use (failed, or not stored)
      }
    }
    return latest;
  }

  /**
   * Stale-while-revalidate: one refresh of {@code key} in the background, unless one runs here
   * already or another instance holds the fleet's lease; the caller does not wait for it.
   */
  private <T> void revalidate(String key, Duration ttl, Format<T> format,
      Loader<? extends T> loader, CacheStore.Seen seen) {
    SingleFlight.Ticket ticket = flights.begin(key);
    if (!(ticket instanceof SingleFlight.Leader leader)) {
      return; // a load of this key runs here already
    }
    String holder = takeLease(key, seen);
    if (holder == null) {
      leader.complete(null); // another instance refreshes it
      return;
    }
    try {
      refresher.execute(() -> {
        try {
          leader.complete(loadAndPut(key, ttl, format, loader, seen));
        } catch (RuntimeException | Error e) {
          leader.complete(null); // served stale meanwhile; the next caller after its TTL retries
          throttled.warn("refresh:" + CacheKeys.category(key), "Refreshing " + key + " failed;"
              + " its stale value stays served within stale-while-revalidate: " + e, null);
        } finally {
          giveBack(key, holder);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException full) {
      refreshesSkipped.increment(); // 256 refreshes queued: this one waits for a later caller
      leader.complete(null);
      giveBack(key, holder);
    }
  }

  private <T> T loadAndPut(String key, Duration ttl, Format<T> format,
      Loader<? extends T> loader, CacheStore.Seen seen) {
    long start = ticker.read();
    T loaded;
    try {
      loaded = loader.load();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new LoadException(key, e);
    }
    if (loaded != null && !outlivedTombstones(start)) {
      String json = format.encode(loaded);
      // An absence lives its own short TTL, never served stale (the row may exist by now).
      stores.putIfUnchanged(key, json, format.ttl(loaded, ttl),
          ABSENT.equals(json) ? Duration.ZERO : staleWindow(), seen);
    }
    return loaded;
  }

  /** How long past its TTL an entry of this cache is kept (0 with no stale window). */
  Duration staleWindow() {
    return staleWindow(staleWhileRevalidate, staleIfError);
  }

  /** Epoch milliseconds on the clock that dates entries. */
  long nowMillis() {
    return stores.nowMillis();
  }

  /** The stale-while-revalidate window (for the JAX-RS response cache). */
  Duration staleWhileRevalidate() {
    return staleWhileRevalidate;
  }

  /** The stale-if-error window (for the JAX-RS response cache). */
  Duration staleIfError() {
    return staleIfError;
  }

  /** Counts a stale entry served, for the JAX-RS response cache. */
  void servedStale(StaleReason reason) {
    (reason == StaleReason.ERROR ? staleError : staleRevalidating).increment();
  }

  /** Stale entries served since start, by why. */
  public long staleServed(StaleReason reason) {
    return (reason == StaleReason.ERROR ? staleError : staleRevalidating).sum();
  }

  /** Misses that waited for another instance's load instead of loading (fleet single-flight). */
  public long fleetWaits() {
    return fleetWaits.sum();
  }

  /** Nanoseconds now, on this cache's clock: when a load starts. */
  long loadStart() {
    return ticker.read();
  }

  /**
   * Whether a load that started at {@code loadStart} took longer than a tombstone lives: then an
   * invalidation during it may have left no trace, and its value is not stored.
   */
  boolean outlivedTombstones(long loadStart) {
    return ticker.read() - loadStart >= tombstoneTtl.toNanos();
  }

  /** Counters per TTL category since start. */
  public CacheStats stats() {
    return stores.stats();
  }

  /** The Redis-or-memory switch (for tests in this package). */
  CacheStores stores() {
    return stores;
  }

  /** Raw JSON, per-user variants and single flights, for the JAX-RS response cache. */
  ResponseStore responses() {
    return responses;
  }




  /** Builds a {@link QueryCache}. Not thread-safe. */
  public static final class Builder {
    private RedisConnector connector;
    private RedisSettings redisSettings;
    private JsonCodec codec;
    private CacheTtl ttls;
    private Clock clock = Clock.systemUTC();
    private long memoryMaxBytes = 64L * 1024 * 1024;
    private Duration nearTtl;
    private long nearMaxBytes;
    private Function<String, String> env = System::getenv;
    private Duration loadWait;
    private Duration failureMemory;
    private long routeBudget = -1;
    private LookupObserver observer = LookupObserver.NONE;
    private int ttlJitterPercent = -1;
    private Duration staleWhileRevalidate;
    private Duration staleIfError;
    private Boolean fleetLoads;
    private Duration tagRetention;
    private long compressionThreshold = -1;

    private Builder() {}

    /**
     * Stores values of at least {@code bytes} (UTF-8) in Redis compressed with LZ4, when that
     * makes them smaller; 0 turns it off (values already compressed are still read). Default
     * {@code CACHE_COMPRESS_MIN_BYTES}, else 4096.
     *
     * @throws dev.ratecache.ConfigurationException if negative or over 256 MiB
     */
    public Builder compressionThreshold(int bytes) {
      if (bytes < 0 || bytes > Compression.MAX_EXPANDED) {
        throw new dev.ratecache.ConfigurationException(COMPRESSION_SETTING,
            "must be 0 (off) to " + Compression.MAX_EXPANDED + " bytes, got " + bytes);
      }
      this.compressionThreshold = bytes;
      return this;
    }

    /**
     * The longest a tagged entry lives ({@link #tagged}): a tag's invalidation is kept in Redis
     * this long (plus a load's longest life), and a tagged entry's TTL plus stale window is cut
     * to it. Default {@code CACHE_TAG_RETENTION_MS}, else one day.
     *
     * @throws dev.ratecache.ConfigurationException if shorter than a second
     */
    public Builder tagRetention(Duration retention) {
      if (retention == null || retention.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new dev.ratecache.ConfigurationException(TAG_RETENTION_SETTING,
            "must be at least 1000 ms, got " + retention);
      }
      this.tagRetention = retention;
      return this;
    }

    /**
     * Stale-while-revalidate (RFC 5861): for {@code window} after an entry's TTL, {@code
     * getOrLoad} returns it at once and one refresh per fleet runs in the background (two
     * threads, 256 queued; past that a refresh waits for a later caller). An invalidated entry
     * is never served, stale or not. {@link Duration#ZERO} is off. Default {@code
     * CACHE_STALE_WHILE_REVALIDATE_MS}, else off. Entries are dated by this cache's clock:
     * instances' clocks must agree to within what staleness means to you.
     */
    public Builder staleWhileRevalidate(Duration window) {
      this.staleWhileRevalidate = nonNegative(STALE_WHILE_REVALIDATE_SETTING, window);
      return this;
    }

    /**
     * Stale-if-error (RFC 5861): for {@code window} after an entry's TTL, a load that fails
     * ({@code getOrLoad}'s loader throws) returns the entry instead of the failure, counted
     * ({@link #staleServed}, {@code ratecache.cache.stale{reason=error}}) and logged, so an
     * outage cannot hide behind the cache. {@link Duration#ZERO} is off. Default {@code
     * CACHE_STALE_IF_ERROR_MS}, else off.
     */
    public Builder staleIfError(Duration window) {
      this.staleIfError = nonNegative(STALE_IF_ERROR_SETTING, window);
      return this;
    }

    /**
     * Whether a miss on Redis is loaded once per fleet: the first instance takes a lease in
     * Redis for at most the load wait; the others read again with a growing pause (0.5 to 50
     * ms) until its value is there, the lease is given back or lapses, or the load wait ends,
     * then load themselves. What a holder stores is compared with what its read saw, so a slow
     * one cannot overwrite a newer value. Costs a round trip to take the lease and one to give
     * it back per miss. On the memory fallback it is one load per instance. Default {@code
     * CACHE_FLEET_LOADS}, else on.
     */
    public Builder fleetLoads(boolean on) {
      this.fleetLoads = on;
      return this;
    }

    private static Duration nonNegative(String setting, Duration d) {
      if (d == null || d.isNegative()) {
        throw new dev.ratecache.ConfigurationException(setting, "must not be negative, got " + d);
      }
      return d;
    }

    /**
     * Shortens each entry's TTL by a random 0 to {@code percent} percent (0 to 50; default
     * {@code CACHE_TTL_JITTER_PERCENT}, else 0), so entries written together do not expire
     * together.
     *
     * @throws IllegalArgumentException if the percent is outside 0-50
     */
    public Builder ttlJitter(int percent) {
      if (percent < 0 || percent > 50) {
        throw new IllegalArgumentException("TTL jitter must be 0 to 50 percent, got " + percent);
      }
      this.ttlJitterPercent = percent;
      return this;
    }

    /**
     * Told of every lookup (for tracing: the starter's Micrometer Observation); default none.
     * What it throws is logged, never the caller's.
     */
    public Builder observer(LookupObserver observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /**
     * Bytes of new entries one {@code @CachedQuery} route may store in Redis per window of its
     * TTL (counted in Redis, so across instances): past it, responses are served but not stored
     * until the window ends, so clients that mint keys ({@code ?userId=<random>}) cost a fixed
     * amount of memory, at most about twice this per route, and cannot push the limiter's buckets
     * out. Default {@code CACHE_ROUTE_BUDGET_BYTES}, else 64 MiB; 0 for no bound.
     */
    public Builder routeBudget(long bytes) {
      if (bytes < 0) {
        throw new dev.ratecache.ConfigurationException(ROUTE_BUDGET_SETTING,
            "must not be negative, got " + bytes);
      }
      this.routeBudget = bytes;
      return this;
    }

    /**
     * How long a failed load ({@code getOrLoad}'s loader threw, or a {@code @CachedQuery} method
     * answered 5xx or threw) is remembered for its key: callers meanwhile receive the same
     * failure without loading, so a stampede on a failing key costs one load per period. Callers
     * already waiting for the failed load share its failure whatever this says. Default {@code
     * CACHE_FAILURE_MEMORY_MS}, else zero (off).
     */
    public Builder failureMemory(Duration memory) {
      if (memory == null || memory.isNegative()) {
        throw new dev.ratecache.ConfigurationException(FAILURE_MEMORY_SETTING,
            "must not be negative, got " + memory);
      }
      this.failureMemory = memory;
      return this;
    }

    /**
     * The longest a caller waits for another caller's load of the same key ({@code getOrLoad},
     * and cold {@code @CachedQuery} requests); after it, the caller loads for itself, so a hung
     * loader delays others by this much at most. Default {@code CACHE_LOAD_WAIT_MS}, else 5 s.
     */
    public Builder loadWait(Duration wait) {
      if (wait == null || wait.isNegative() || wait.isZero()) {
        throw new dev.ratecache.ConfigurationException(LOAD_WAIT_SETTING,
            "must be positive, got " + wait);
      }
      this.loadWait = wait;
      return this;
    }

    /**
     * Keeps copies of entries read from Redis in this instance's memory for up to {@code ttl},
     * served without a round trip and dropped as soon as any instance using this library changes
     * or invalidates the key (over Redis pub/sub). {@link Duration#ZERO} turns it off. Default:
     * {@code CACHE_NEAR_TTL_MS} from the environment, else off.
     *
     * <p>A copy can be served up to {@code ttl} after a change that no instance announced: a
     * write by another program, an expiry in Redis, or a message lost while the subscription
     * looked healthy. Choose the TTL as the staleness you accept.
     */
    public Builder nearCache(Duration ttl) {
      if (ttl == null || ttl.isNegative()) {
        throw new dev.ratecache.ConfigurationException(NEAR_TTL_SETTING,
            "must be zero (off) or positive, got " + ttl);
      }
      this.nearTtl = ttl;
      return this;
    }

    /** The most bytes the near cache holds. Default 16 MiB ({@code CACHE_NEAR_MAX_BYTES}). */
    public Builder nearCacheMaxBytes(long bytes) {
      if (bytes < 1024) {
        throw new dev.ratecache.ConfigurationException(NEAR_MAX_BYTES_SETTING,
            "must be at least 1024, got " + bytes);
      }
      this.nearMaxBytes = bytes;
      return this;
    }

    /**
     * Where unset settings (Redis, TTLs, near cache, load wait) are read from. Default: the
     * process environment. Read by {@link #build()}, not before.
     */
    public Builder environment(Function<String, String> env) {
      this.env = Objects.requireNonNull(env, "env");
      return this;
    }

    /** Use this connector (not closed by the cache). */
    public Builder connector(RedisConnector connector) {
      this.connector = Objects.requireNonNull(connector, "connector");
      return this;
    }

    /** Use the shared connector for these settings. Default: from the environment. */
    public Builder redis(RedisSettings settings) {
      this.redisSettings = Objects.requireNonNull(settings, "settings");
      this.connector = null;
      return this;
    }

    /**
     * The JSON codec of cached values. Default {@link JsonCodec#standard()} (Jackson 3 or 2,
     * whichever the application has); under Spring Boot the starter passes the application's own
     * mapper.
     */
    public Builder codec(JsonCodec codec) {
      this.codec = Objects.requireNonNull(codec, "codec");
      return this;
    }

    /**
     * TTLs per category. Default: {@link CacheTtl#fromLookup} of the {@link #environment},
     * read by {@link #build()}.
     */
    public Builder ttls(CacheTtl ttls) {
      this.ttls = Objects.requireNonNull(ttls, "ttls");
      return this;
    }

    /** The time source of the memory store's TTLs. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The most bytes the memory fallback holds. Default 64 MiB. */
    public Builder memoryMaxBytes(long bytes) {
      if (bytes < 1024) {
        throw new dev.ratecache.ConfigurationException("memoryMaxBytes",
            "must be at least 1024, got " + bytes);
      }
      this.memoryMaxBytes = bytes;
      return this;
    }

    public QueryCache build() {
      return new QueryCache(this);
    }
  }
}
