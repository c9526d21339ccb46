package dev.ratecache.cache;

import dev.ratecache.internal.KeySpace;
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
  private final LookupObserver observer;
  private volatile int jitterPercent;
  private volatile java.time.Clock clock = java.time.Clock.systemUTC();
  private final Map<String, Counters> counters = new ConcurrentHashMap<>();
  private final AutoCloseable healthRegistration;
  private final AutoCloseable shardRegistration;
  private final LongAdder kept = new LongAdder();
  private final LongAdder unacknowledgedCount = new LongAdder();
  /** Whether a retry of the kept invalidations is scheduled, and how many ran in a row. */
  private final java.util.concurrent.atomic.AtomicBoolean retryScheduled =
      new java.util.concurrent.atomic.AtomicBoolean();
  private volatile int retries;
  private final dev.ratecache.internal.ThrottledLog throttled =
      new dev.ratecache.internal.ThrottledLog(log, java.time.Duration.ofSeconds(30),
          java.time.Clock.systemUTC());
  /** Invalidations not in Redis yet. */
  private final PendingInvalidations pending = new PendingInvalidations();
  /** Invalidations in Redis that no replica acknowledged (see {@code REDIS_WAIT_REPLICAS}). */
  private final PendingInvalidations unacknowledged = new PendingInvalidations();

  /**
   * @param redis the Redis store, or {@code null} when Redis is switched off
   * @param near the near cache, or {@code null} when it is off
   */
  CacheStores(RedisConnector connector, RedisCacheStore redis, MemoryCacheStore memory,
      NearCache near) {
    this(connector, redis, memory, near, LookupObserver.NONE);
  }

  CacheStores(RedisConnector connector, RedisCacheStore redis, MemoryCacheStore memory,
      NearCache near, LookupObserver observer) {
    this.observer = java.util.Objects.requireNonNull(observer, "observer");
    this.connector = connector;
    this.redis = redis;
    this.memory = memory;
    this.near = near;
    this.healthRegistration = connector.health().onTransition(t -> {
      if (t.to() == RedisHealth.State.UP) {
        memory.clear();
        writePending();
      }
    });
    // As on UP: nothing a master's outage wrote to memory outlives it (its keys read Redis again).
    this.shardRegistration = connector.onShardRecovered(master -> {
      memory.clear();
      writePending();
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
    return observe(key, List.of());
  }

  /**
   * {@link #observe(String)} of an entry that a write from this read tags with {@code tags}
   * (stored names, see {@link Tags}).
   */
  CacheStore.Seen observe(String key, List<String> tags) {
    String category = CacheKeys.category(key);
    if (observer == LookupObserver.NONE) {
      return observe(key, category, new boolean[1], tags);
    }
    LookupObserver.Scope scope = LookupObserver.Scope.NONE;
    try {
      scope = observer.start(category);
    } catch (RuntimeException e) {
      throttled.warn("A LookupObserver failed: " + e, e);
    }
    boolean[] onRedis = new boolean[1];
    CacheStore.Seen seen;
    try {
      seen = observe(key, category, onRedis, tags);
    } catch (RuntimeException | Error e) {
      try {
        scope.failed(e);
      } catch (RuntimeException o) {
        throttled.warn("A LookupObserver failed: " + o, o);
      }
      throw e;
    }
    try {
      scope.found(seen.value() != null, onRedis[0]);
    } catch (RuntimeException e) {
      throttled.warn("A LookupObserver failed: " + e, e);
    }
    return seen;
  }

  private CacheStore.Seen observe(String key, String category, boolean[] onRedis,
      List<String> tags) {
    CacheStore.Seen seen = observeStored(key, onRedis, tags);
    Freshness f = Freshness.of(seen.value());
    if (f != null && f.freshUntil() != Long.MAX_VALUE) {
      seen = new CacheStore.Seen(f.json(), seen.token(), f.freshUntil(), f.storedAt());
    }
    Counters c = counters(category);
    (seen.value() != null ? c.hits : c.misses).increment();
    return seen;
  }

  private CacheStore.Seen observeStored(String key, boolean[] onRedis, List<String> tags) {
    String category = CacheKeys.category(key);
    CacheStore.Seen seen;
    if (!writePending(key) || !writePendingTags(tags)) {
      counters(category).fallback.increment(); // Redis still holds what was invalidated
      return fromMemory(key, tags);
    }
    seen = near != null ? nearOrRedis(category, key, tags) : null;
    if (seen != null) {
      onRedis[0] = true;
    } else if (redis != null && connector.isAvailable()) {
      seen = redisOnly(category, r -> r.observe(key, tags), null);
      if (seen == null) {
        counters(category).fallback.increment();
        return fromMemory(key, tags);
      }
      onRedis[0] = true;
    } else {
      counters(category).fallback.increment();
      return fromMemory(key, tags);
    }
    if (seen.token() instanceof RedisCacheStore.Token t && !t.carried().isEmpty()
        && !writePendingTags(Tags.namesOf(t.carried()))) {
      onRedis[0] = false; // a tag it carries was invalidated while Redis could not be told
      counters(category).fallback.increment();
      return fromMemory(key, tags);
    }
    return seen;
  }

  /**
   * A memory store's token with the tags a write from its read carries (their names: the memory
   * store removes a tag's entries when it is invalidated).
   */
  record MemoryTagged(Object token, String names) {}

  /** What the memory store holds at {@code key}, its tags' envelope taken off. */
  private CacheStore.Seen fromMemory(String key, List<String> tags) {
    CacheStore.Seen seen = memory.observe(key);
    Tags.Parsed parsed = Tags.of(seen.value());
    String value = parsed == null ? null : parsed.value();
    return new CacheStore.Seen(value, tags.isEmpty() ? seen.token()
        : new MemoryTagged(seen.token(), Tags.namesOnly(tags)));
  }

  /** A read counted as a hit that its caller takes as a miss (a stale entry it cannot serve). */
  void countAsMiss(String key) {
    Counters c = counters(CacheKeys.category(key));
    c.hits.decrement();
    c.misses.increment();
  }

  /**
   * What Redis holds at {@code key} now, uncounted (a caller waiting for another instance's
   * load reads again); {@code null} if Redis is not usable or the read failed.
   */
  CacheStore.Seen observeQuietly(String key, CacheStore.Seen before) {
    if (!isRedisUsable()) {
      return null;
    }
    List<String> tags = before.token() instanceof RedisCacheStore.Token t
        ? Tags.namesOf(t.tags()) : List.of();
    CacheStore.Seen seen;
    try {
      seen = redis.observe(key, tags);
    } catch (RuntimeException e) {
      return null;
    }
    Freshness f = Freshness.of(seen.value());
    return f == null || f.freshUntil() == Long.MAX_VALUE ? seen
        : new CacheStore.Seen(f.json(), seen.token(), f.freshUntil(), f.storedAt());
  }

  /** The fleet's lease on loading {@code key}: taken, not (another holds it), or null (failed). */
  Boolean lease(String key, String holder, Duration ttl) {
    if (!isRedisUsable()) {
      return null;
    }
    try {
      return redis.lease(key, holder, ttl);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** Gives the lease on {@code key} back; a failure leaves it to lapse. */
  void release(String key, String holder) {
    if (!isRedisUsable()) {
      return;
    }
    try {
      redis.release(key, holder);
    } catch (RuntimeException e) {
      // it lapses by itself within the load wait
    }
  }

  /** Whether some instance holds the lease on {@code key}; null if Redis did not answer. */
  Boolean leased(String key) {
    if (!isRedisUsable()) {
      return null;
    }
    try {
      return redis.leased(key);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The epoch clock that dates entries with a stale window (instances' clocks must agree). */
  long nowMillis() {
    return clock.millis();
  }

  /** Sets the clock; the cache does, once, before any write. */
  void clock(java.time.Clock clock) {
    this.clock = java.util.Objects.requireNonNull(clock, "clock");
  }

  /**
   * {@code json} as stored for a soft TTL {@code fresh} and a stale {@code window} after it (see
   * {@link Freshness}), with the TTL it is stored for: as it is for no window.
   */
  Stored stored(String json, Duration fresh, Duration window) {
    if (window.isZero()) {
      return new Stored(json, fresh);
    }
    long now = clock.millis();
    return new Stored(Freshness.wrap(json, now + fresh.toMillis(), now), fresh.plus(window));
  }

  /**
   * {@link #stored(String, Duration, Duration)} of an entry with tags: it lives no longer than
   * the tag retention (its stale window cut first, then its TTL), so no tag's invalidation
   * expires while an entry loaded before it is stored.
   */
  Stored stored(String json, Duration fresh, Duration window, boolean tagged) {
    if (!tagged || fresh.plus(window).compareTo(tagRetention) <= 0) {
      return stored(json, fresh, window);
    }
    Duration f = fresh.compareTo(tagRetention) < 0 ? fresh : tagRetention;
    return stored(json, f, tagRetention.minus(f));
  }

  private volatile Duration tagRetention = Duration.ofDays(1);

  /** Sets the tag retention (the cache does, once, before any write). */
  void tagRetention(Duration retention, Duration loadLife) {
    this.tagRetention = retention;
    if (redis != null) {
      redis.tagMemory(retention.plus(loadLife));
    }
  }

  /** The tag retention: the longest a tagged entry lives. */
  Duration tagRetention() {
    return tagRetention;
  }

  /** Whether a read's token carries tags for its write. */
  static boolean tagged(CacheStore.Seen seen) {
    return seen.token() instanceof RedisCacheStore.Token t ? !t.tags().isEmpty()
        : seen.token() instanceof MemoryTagged;
  }

  /** Text to store and its TTL in the store. */
  record Stored(String text, Duration ttl) {}

  /**
   * The near copy, else Redis (keeping what it returns as a copy); {@code null} when Redis is
   * down or failed, so that the caller falls back to memory.
   */
  private CacheStore.Seen nearOrRedis(String category, String key, List<String> tags) {
    if (!connector.isAvailable()) {
      return null;
    }
    String copy = near.get(key);
    if (copy != null) {
      return new CacheStore.Seen(copy, null);
    }
    long mark = near.mark();
    long epoch = near.epoch();
    CacheStore.Seen seen = redisOnly(category, r -> r.observe(key, tags), null);
    if (seen != null && seen.value() != null) {
      // Kept with the tags it carries: a tag's invalidation drops it.
      near.offer(key, seen.value(), seen.token() instanceof RedisCacheStore.Token t
          ? t.carried() : "", mark, epoch);
    }
    return seen;
  }

  /**
   * Stores a load's JSON if nothing invalidated the key since {@code seen} was read, in the store
   * that read it (a read from Redis writes to Redis only, one from memory to memory only); true
   * if stored, and then announced.
   */
  boolean putIfUnchanged(String key, String json, Duration given, CacheStore.Seen seen) {
    return putIfUnchanged(key, json, given, Duration.ZERO, seen);
  }

  /**
   * {@link #putIfUnchanged(String, String, Duration, CacheStore.Seen)} for an entry fresh for
   * {@code given} (jittered) and servable stale for {@code window} after it.
   */
  boolean putIfUnchanged(String key, String value, Duration given, Duration window,
      CacheStore.Seen seen) {
    String category = CacheKeys.category(key);
    Stored s = stored(value, jittered(given), window, tagged(seen));
    String json = s.text();
    Duration ttl = s.ttl();
    boolean stored;
    if (seen.token() instanceof RedisCacheStore.Token) {
      stored = Boolean.TRUE.equals(redisOnly(category, r -> r.putIfUnchanged(key, json, ttl, seen),
          false));
    } else if (seen.token() instanceof MemoryTagged m) {
      stored = memory.putIfUnchanged(key, Tags.wrap(json, m.names()), ttl,
          new CacheStore.Seen(null, m.token()));
    } else {
      stored = memory.putIfUnchanged(key, json, ttl, seen);
    }
    if (stored) {
      announce(List.of(key));
    }
    return stored;
  }

  /**
   * {@code ttl} shortened by a random 0 to {@code jitterPercent} percent (never lengthened, so an
   * entry still outlives nothing a tombstone must cover), or as it is with no jitter.
   */
  Duration jittered(Duration ttl) {
    int pct = jitterPercent;
    if (pct == 0) {
      return ttl;
    }
    long millis = ttl.toMillis();
    long cut = (long) (millis * (pct / 100.0)
        * java.util.concurrent.ThreadLocalRandom.current().nextDouble());
    return Duration.ofMillis(Math.max(1, millis - cut));
  }

  /** Whether TTLs are jittered. */
  boolean jitters() {
    return jitterPercent > 0;
  }

  /** Sets the TTL jitter (0 to 50 percent); the cache does, once, before any write. */
  void jitterPercent(int percent) {
    this.jitterPercent = percent;
  }

  /** Stores JSON the caller knows to be current, unconditionally, and announces it. */
  void putJson(String key, String json, Duration given) {
    putJson(key, json, given, Duration.ZERO);
  }

  /** {@link #putJson(String, String, Duration)} with a stale {@code window} after the TTL. */
  void putJson(String key, String value, Duration given, Duration window) {
    putJson(key, value, given, window, List.of());
  }

  /** {@link #putJson(String, String, Duration, Duration)} tagged with {@code tags} (names). */
  void putJson(String key, String value, Duration given, Duration window, List<String> tags) {
    Stored stored = stored(value, jittered(given), window, !tags.isEmpty());
    withStore(CacheKeys.category(key), s -> {
      if (s == redis) {
        redis.put(key, stored.text(), stored.ttl(), tags);
      } else {
        s.put(key, Tags.wrap(stored.text(), Tags.namesOnly(tags)), stored.ttl());
      }
      return null;
    });
    announce(List.of(key));
  }

  /**
   * Invalidates the tag named {@code name} (a stored name): its entries are removed from the
   * memory store and read as misses from Redis, on every instance; if Redis cannot be told now
   * the invalidation is kept (and the tag's entries are not read from Redis) until it can.
   *
   * @return whether Redis was told now
   */
  boolean invalidateTag(String name) {
    memory.deleteTagged(name);
    if (near != null) {
      near.changedTag(name);
    }
    if (redis == null) {
      return false;
    }
    if (connector.isAvailable()) {
      try {
        RedisConnector.Replicated<Boolean> done = redis.invalidateTag(name);
        if (!done.acknowledged()) {
          unacknowledged(PendingInvalidations.Kind.TAG, name);
        }
        connector.events().publish(new dev.ratecache.redis.Invalidation.Tag(name));
        return true;
      } catch (RuntimeException e) {
        counters(CacheKeys.category(KeySpace.QUERY)).errors.increment();
      }
    }
    keep(PendingInvalidations.Kind.TAG, name, "*"); // past the bound: every entry
    return false;
  }

  /**
   * Before a read of entries carrying {@code tags} from Redis: the invalidations kept for them
   * are made.
   *
   * @return false if one still cannot be made: then Redis must not be read for them
   */
  private boolean writePendingTags(List<String> tags) {
    if (tags.isEmpty() || pending.isEmpty() || redis == null) {
      return true;
    }
    for (String t : tags) {
      Object token = pending.token(PendingInvalidations.Kind.TAG, t);
      if (token != null && !write(new PendingInvalidations.Entry(
          PendingInvalidations.Kind.TAG, t, token))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Removes {@code key} from Redis (leaving a tombstone); if Redis is down or the call fails, the
   * removal is kept and made when the key's Redis serves again (see {@link
   * PendingInvalidations}), or, past that bound, the key's namespace is invalidated.
   *
   * @return whether a live value was there (false when kept for later)
   */
  boolean deleteFromRedis(String key) {
    if (redis == null) {
      return false;
    }
    if (connector.isAvailable()) {
      try {
        RedisConnector.Replicated<Boolean> done = redis.invalidate(key);
        if (!done.acknowledged()) {
          unacknowledged(PendingInvalidations.Kind.KEY, key);
        }
        return done.result();
      } catch (RuntimeException e) {
        counters(CacheKeys.category(key)).errors.increment();
      }
    }
    keep(PendingInvalidations.Kind.KEY, key, key);
    return false;
  }

  /**
   * Removes every user variant of {@code base} from Redis, through its variant index; kept for
   * later as {@link #deleteFromRedis} is when it cannot be done now.
   *
   * @return the variants removed (none when kept for later)
   */
  java.util.Set<String> deleteVariantsFromRedis(String base) {
    if (redis == null) {
      return java.util.Set.of();
    }
    if (connector.isAvailable()) {
      try {
        // Spread over many masters: not waited for (REDIS_WAIT_REPLICAS covers single keys).
        return redis.deleteVariants(ResponseStore.variantIndex(base),
            ResponseStore.legacyVariantIndex(base));
      } catch (RuntimeException e) {
        counters(CacheKeys.category(base)).errors.increment();
      }
    }
    keep(PendingInvalidations.Kind.VARIANTS, base, base + ":user:*");
    return java.util.Set.of();
  }

  /** Keeps an invalidation, or past the bound invalidates {@code pattern}'s namespace instead. */
  private void keep(PendingInvalidations.Kind kind, String key, String pattern) {
    kept.increment();
    if (pending.keep(kind, key)) {
      scheduleRetry();
      return;
    }
    try {
      redis.generations().invalidate(pattern); // kept there in turn if Redis is unreachable
    } catch (RuntimeException e) {
      log.error("Invalidation of {} could not be made or kept; entries there may be served until"
          + " their TTL", pattern, e);
    }
  }

  /**
   * Keeps an invalidation made in Redis that no replica acknowledged, to make again once a
   * failing master serves (its successor may not have it); past the bound it is not kept, and
   * counted.
   */
  private void unacknowledged(PendingInvalidations.Kind kind, String key) {
    unacknowledgedCount.increment();
    if (!unacknowledged.keep(kind, key)) {
      throttled.warn("unacknowledged", PendingInvalidations.MAX + " invalidations wait for a"
          + " replica's acknowledgement; more are not kept, and a master crash now may lose"
          + " them (check the replicas' lag, or REDIS_WAIT_REPLICAS_TIMEOUT_MS)", null);
    }
  }

  /** Invalidations kept for later, key removals and namespace increments (for tests). */
  int pendingInvalidations() {
    return pending.size() + (redis == null ? 0 : redis.generations().pendingIncrements());
  }

  /**
   * Calls since start that did not run wholly on Redis with what the settings ask: answered from
   * the memory store, failed on Redis, invalidations kept for later or not acknowledged by a
   * replica (key removals and namespace increments). A call during which this did not change on
   * its instance is one the fleet's promises cover in full (for history tests).
   */
  long degradedCalls() {
    long sum = kept.sum() + unacknowledgedCount.sum()
        + (redis == null ? 0 : redis.generations().degradedIncrements());
    for (Counters c : counters.values()) {
      sum += c.fallback.sum() + c.errors.sum();
    }
    return sum;
  }

  /** Invalidations that could not be made at once, since start (for tests). */
  long keptInvalidations() {
    return kept.sum();
  }

  /**
   * Before a read of {@code key} from Redis: the invalidation kept for it (or for the shared key
   * whose user variant it is), if any, is made.
   *
   * @return false if one is kept and still cannot be made: then Redis must not be read for it
   */
  private boolean writePending(String key) {
    if (pending.isEmpty() || redis == null) {
      return true;
    }
    Object token = pending.token(PendingInvalidations.Kind.KEY, key);
    if (token != null && !write(new PendingInvalidations.Entry(
        PendingInvalidations.Kind.KEY, key, token))) {
      return false;
    }
    int user = key.lastIndexOf(":user:");
    if (user > 0) {
      String base = key.substring(0, user);
      token = pending.token(PendingInvalidations.Kind.VARIANTS, base);
      return token == null || write(new PendingInvalidations.Entry(
          PendingInvalidations.Kind.VARIANTS, base, token));
    }
    return true;
  }

  /**
   * Before a read of {@code keys} from Redis: the invalidations kept for any of them are made.
   *
   * @return false if one still cannot be made: then Redis must not be read for them
   */
  boolean writePending(java.util.Collection<String> keys) {
    boolean all = true;
    for (String k : keys) {
      all &= writePending(k);
    }
    return all;
  }

  /**
   * Makes every invalidation kept for later whose Redis serves now (on the connector's
   * scheduler, when health turns UP or a failing master's keys use Redis again), and tells every
   * instance of the keys.
   */
  void writePending() {
    if ((pending.isEmpty() && unacknowledged.isEmpty()) || redis == null) {
      return;
    }
    List<String> written = new java.util.ArrayList<>();
    int left = 0;
    for (PendingInvalidations.Entry e : pending.snapshot()) {
      if (!connector.isAvailable()) {
        left++;
        continue;
      }
      if (write(e)) {
        written.add(e.key());
      } else {
        left++;
      }
    }
    for (PendingInvalidations.Entry e : unacknowledged.snapshot()) {
      if (connector.isAvailable()) {
        write(e); // made again: the master that took the slots may not have had it
      }
    }
    if (!written.isEmpty()) {
      log.info("{} invalidations made while their Redis could not be reached are made now{}",
          written.size(), left == 0 ? "" : "; " + left + " still wait");
    }
  }

  /**
   * Retries the kept invalidations on the probe's backoff while any is kept, so that one kept
   * because Redis refused writes (out of memory, read-only) is made once it accepts them, though
   * no health transition or recovery announces it.
   */
  private void scheduleRetry() {
    if (!retryScheduled.compareAndSet(false, true)) {
      return;
    }
    connector.later(() -> {
      retryScheduled.set(false);
      writePending();
      if (pending.isEmpty()) {
        retries = 0;
      } else {
        retries++;
        scheduleRetry();
      }
    }, connector.settings().probeBackoff().delay(Math.min(retries, 30), 0.5));
  }

  /** Makes one kept invalidation; false if its Redis still cannot be reached. */
  private boolean write(PendingInvalidations.Entry e) {
    try {
      if (e.kind() != PendingInvalidations.Kind.VARIANTS) {
        boolean tag = e.kind() == PendingInvalidations.Kind.TAG;
        RedisConnector.Replicated<Boolean> done = tag ? redis.invalidateTag(e.key())
            : redis.invalidate(e.key());
        pending.written(e.kind(), e.key(), e.token());
        if (done.acknowledged()) {
          unacknowledged.written(e.kind(), e.key(), unacknowledged.token(e.kind(), e.key()));
        } else {
          unacknowledged(e.kind(), e.key());
        }
        if (tag) {
          connector.events().publish(new dev.ratecache.redis.Invalidation.Tag(e.key()));
        } else {
          announce(List.of(e.key()));
        }
      } else {
        java.util.Set<String> removed = redis.deleteVariants(
            ResponseStore.variantIndex(e.key()), ResponseStore.legacyVariantIndex(e.key()));
        pending.written(e.kind(), e.key(), e.token());
        announce(removed);
      }
      return true;
    } catch (RuntimeException failed) {
      return false;
    }
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
      shardRegistration.close();
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
