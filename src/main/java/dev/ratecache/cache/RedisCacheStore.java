package dev.ratecache.cache;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisTopology;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import redis.clients.jedis.Response;

/**
 * Cached JSON in Redis, stamped with its namespaces' {@link Generations} so that a pattern
 * invalidation is one increment. Every read fetches the hash's epoch and version with the entry
 * (one round trip per node), so it validates the stamp against the generations as they are when
 * it runs. Removing a key ({@link #delete}) leaves a short tombstone instead of nothing, and a
 * load's write ({@link #putIfUnchanged}) is one script that stores only if the key still holds
 * what the load's read saw: a load that an invalidation overtook is never stored as fresh. Batches
 * are pipelined (grouped by slot owner on a Cluster). {@link #deleteMatching} still removes keys
 * physically, by {@code SCAN} and {@code UNLINK} on every master, for operators' clears (never on
 * a request). Thread-safe.
 */
final class RedisCacheStore implements CacheStore {
  /** What an invalidated key holds until its tombstone expires: never served. */
  static final String TOMBSTONE = "{\"@ratecache.invalidated\":\"";

  /**
   * Stores ARGV[1] for ARGV[2] ms only if the key still holds what the load's read saw: ARGV[3]
   * is {@code absent}, {@code exact} (ARGV[4] is the whole value, a tombstone) or {@code prefix}
   * (the value starts with ARGV[4], its stamp; an empty ARGV[4] means an unstamped value).
   */
  static final String PUT_IF_UNCHANGED = """
      local cur = redis.call('GET', KEYS[1])
      local mode = ARGV[3]
      if mode == 'absent' then
        if cur then return 0 end
      elseif mode == 'exact' then
        if cur ~= ARGV[4] then return 0 end
      else
        if not cur then return 0 end
        if ARGV[4] == '' then
          if string.find(cur, '{"@ratecache.gen"', 1, true) == 1
              or string.find(cur, '{"@ratecache.invalidated"', 1, true) == 1 then return 0 end
        elseif string.find(cur, ARGV[4], 1, true) ~= 1 then return 0 end
      end
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      return 1
      """;

  /** Replaces the key with a tombstone (ARGV[1]) for ARGV[2] ms; 1 if a live value was there. */
  static final String INVALIDATE = """
      local cur = redis.call('GET', KEYS[1])
      redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
      if cur and string.find(cur, ARGV[3], 1, true) ~= 1 then return 1 end
      return 0
      """;

  /**
   * Adds ARGV[1] bytes to the counter KEYS[1], which lives ARGV[2] ms from its first addition,
   * unless that would pass ARGV[3]; 1 if added.
   */
  static final String CHARGE = """
      local used = tonumber(redis.call('GET', KEYS[1]) or '0')
      if used + tonumber(ARGV[1]) > tonumber(ARGV[3]) then return 0 end
      if redis.call('INCRBY', KEYS[1], ARGV[1]) == tonumber(ARGV[1]) then
        redis.call('PEXPIRE', KEYS[1], ARGV[2])
      end
      return 1
      """;

  /**
   * What a read saw at a key in Redis: the stamp it computed, what the key held, the tags a write
   * from it stamps (their names and versions as this read found them, {@code ""} for none), and
   * the names of the tags the entry carried ({@code ""} for none).
   */
  record Token(String stamp, String mode, String held, String tags, String carried) {
    Token(String stamp, String mode, String held) {
      this(stamp, mode, held, "", "");
    }
  }

  private final RedisConnector connector;
  private final Generations generations;
  private final Duration tombstoneTtl;
  private final boolean cluster;
  private final java.time.Clock clock;
  /** How long a tag's invalidation is kept: the tag retention plus a load's longest life. */
  private volatile Duration tagMemory = Duration.ofDays(1).plusMinutes(1);
  /** How values are written: large ones compressed (set once, before any write). */
  private volatile Compression compression = Compression.OFF;

  /** @param tombstoneTtl how long an invalidated key stays a tombstone (a load's longest life) */
  RedisCacheStore(RedisConnector connector, Duration tombstoneTtl, java.time.Clock clock) {
    this.connector = connector;
    this.clock = clock;
    this.generations = new Generations(connector);
    this.tombstoneTtl = tombstoneTtl;
    this.cluster = connector.settings().topology() instanceof RedisTopology.Cluster;
  }

  /** The namespace generations stamped into and checked against every entry. */
  Generations generations() {
    return generations;
  }

  @Override
  public String get(String key) {
    return observe(key).value();
  }

  /** Sets which values are compressed (the cache does, once, before any write). */
  void compression(Compression compression) {
    this.compression = compression;
  }

  /** Sets how long a tag's invalidation is kept (the cache does, once, before any write). */
  void tagMemory(Duration memory) {
    this.tagMemory = memory;
  }

  @Override
  public Seen observe(String key) {
    return observe(key, List.of());
  }

  /**
   * {@link #observe(String)} of an entry a write from this read tags with {@code tags} (stored
   * names): their versions are read with the entry (in the same round trip on a standalone
   * Redis), and the entry reads as a miss if the versions it carries are not the current ones.
   */
  Seen observe(String key, List<String> tags) {
    String raw;
    List<String> hash;
    Map<String, String> versions = new java.util.HashMap<>();
    if (cluster) {
      // Separate calls, each following redirections (a cluster pipeline does not follow ASK
      // during a resharding). Any order is safe: all run after this read began.
      raw = connector.execute(key, j -> j.get(key));
      hash = connector.execute(Generations.HASH, j -> j.hmget(Generations.HASH, Generations.EPOCH,
          Generations.VERSION));
      versions.putAll(tagVersions(tags));
    } else {
      List<Object> got = connector.pipelinedResults(p -> {
        List<Response<?>> out = new ArrayList<>();
        out.add(p.get(key));
        out.add(p.hmget(Generations.HASH, Generations.EPOCH, Generations.VERSION));
        tags.forEach(t -> out.add(p.get(Tags.key(t))));
        return out;
      });
      raw = (String) got.get(0);
      hash = cast(got.get(1));
      for (int i = 0; i < tags.size(); i++) {
        versions.put(tags.get(i), got.get(2 + i) == null ? Tags.NEVER : (String) got.get(2 + i));
      }
    }
    String stamp = generations.current(hash.get(0), hash.get(1)).stamp(key);
    String write = Tags.stamp(tags, versions);
    if (raw == null) {
      return new Seen(null, new Token(stamp, "absent", "", write, ""));
    }
    if (raw.startsWith(TOMBSTONE)) {
      return new Seen(null, new Token(stamp, "exact", raw, write, ""));
    }
    // What a load from this read expects still to find: the stamp and the envelopes' headers
    // (its tags' versions; a stale window's own time), so a slow refresh cannot replace a newer
    // one.
    String prefix = Generations.stampPrefix(raw);
    String inner = raw.substring(prefix.length());
    String tagsHeader = Tags.header(inner);
    String held = prefix + tagsHeader + Freshness.header(inner.substring(tagsHeader.length()));
    String value = Generations.unwrap(raw, stamp);
    Tags.Parsed parsed = Tags.of(value);
    String carried = "";
    if (parsed != null && !parsed.stamp().isEmpty()) {
      Map<String, String> carries = parsed.versions();
      carried = String.join(" ", carries.keySet());
      List<String> missing = carries.keySet().stream().filter(n -> !versions.containsKey(n))
          .toList();
      versions.putAll(tagVersions(missing));
      boolean current = carries.entrySet().stream()
          .allMatch(e -> e.getValue().equals(versions.get(e.getKey())));
      value = current ? parsed.value() : null; // a tag of it was invalidated since it was loaded
    }
    // A value that cannot be read back (a damaged block, a later codec) is a miss a load replaces.
    return new Seen(Compression.unpack(value), new Token(stamp, "prefix", held, write, carried));
  }

  /** The current versions of tags (stored names): one MGET, or one GET per tag on a Cluster. */
  Map<String, String> tagVersions(Collection<String> names) {
    Map<String, String> out = new java.util.HashMap<>();
    if (names.isEmpty()) {
      return out;
    }
    List<String> ordered = new ArrayList<>(names);
    if (cluster) {
      for (String n : ordered) {
        String v = connector.execute(Tags.key(n), j -> j.get(Tags.key(n)));
        out.put(n, v == null ? Tags.NEVER : v);
      }
      return out;
    }
    List<String> got = connector.execute(j -> j.mget(
        ordered.stream().map(Tags::key).toArray(String[]::new)));
    for (int i = 0; i < ordered.size(); i++) {
      out.put(ordered.get(i), got.get(i) == null ? Tags.NEVER : got.get(i));
    }
    return out;
  }

  /**
   * Invalidates a tag (stored name): sets its version to a new random token for the tag memory;
   * every entry stamped with an earlier version reads as a miss from then on.
   */
  RedisConnector.Replicated<Boolean> invalidateTag(String name) {
    String key = Tags.key(name);
    String version = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    long ms = tagMemory.toMillis();
    RedisConnector.Replicated<String> done = connector.executeReplicated(key,
        j -> j.psetex(key, ms, version));
    return new RedisConnector.Replicated<>(Boolean.TRUE, done.acknowledged());
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }

  @Override
  public boolean putIfUnchanged(String key, String value, Duration ttl, Seen seen) {
    if (!(seen.token() instanceof Token t)) {
      return false; // seen in memory, or near: nothing to compare with here
    }
    Object stored = connector.execute(key, j -> j.eval(PUT_IF_UNCHANGED, List.of(key),
        List.of(Generations.wrap(Tags.wrap(compression.pack(value), t.tags()), t.stamp()),
            Long.toString(ttl.toMillis()), t.mode(), t.held())));
    return Long.valueOf(1).equals(stored);
  }

  @Override
  public void put(String key, String value, Duration ttl) {
    put(key, value, ttl, List.of());
  }

  /**
   * Stores {@code value} at {@code key} for {@code ttl}, tagged with {@code tags} (stored names)
   * at their versions now: one more round trip to read them when there are any.
   */
  void put(String key, String value, Duration ttl, List<String> tags) {
    String stored = Generations.wrap(Tags.wrap(compression.pack(value),
        Tags.stamp(tags, tagVersions(tags))),
        generations.known().stamp(key));
    // PSETEX rather than SET … PX: SetParams.px changed its binary signature between Jedis 6
    // and 7, and an application on Spring Boot's managed Jedis 6 must work too.
    connector.run(key, j -> j.psetex(key, ttl.toMillis(), stored));
  }

  @Override
  public Map<String, String> getAll(Collection<String> keys) {
    List<String> ordered = new ArrayList<>(keys);
    List<Object> got = connector.pipelinedResults(p -> {
      List<Response<?>> out = new ArrayList<>(ordered.stream().map(p::get).toList());
      out.add(p.hmget(Generations.HASH, Generations.EPOCH, Generations.VERSION));
      return out;
    });
    List<String> hash = cast(got.get(ordered.size()));
    Generations.Snapshot now = generations.current(hash.get(0), hash.get(1));
    Map<String, Tags.Parsed> read = new LinkedHashMap<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (int i = 0; i < ordered.size(); i++) {
      Tags.Parsed v = Tags.of(Generations.unwrap((String) got.get(i), now.stamp(ordered.get(i))));
      if (v != null) {
        read.put(ordered.get(i), v);
        names.addAll(v.versions().keySet());
      }
    }
    Map<String, String> versions = tagVersions(names); // one more round trip if any is tagged
    Map<String, String> found = new LinkedHashMap<>();
    read.forEach((k, v) -> {
      if (v.versions().entrySet().stream()
          .allMatch(e -> e.getValue().equals(versions.get(e.getKey())))) {
        String value = Compression.unpack(v.value());
        if (value != null) {
          found.put(k, value);
        }
      }
    });
    return found;
  }

  @Override
  public void putAll(Map<String, String> entries, Duration ttl) {
    long ms = ttl.toMillis();
    Generations.Snapshot now = generations.known();
    Map<String, String> stored = new LinkedHashMap<>();
    Compression c = compression;
    entries.forEach((k, v) -> stored.put(k, Generations.wrap(c.pack(v), now.stamp(k))));
    connector.pipelined(p -> {
      stored.forEach((k, v) -> p.psetex(k, ms, v));
      return null;
    });
  }

  /**
   * Records ARGV[1] in the variant index KEYS[1] until ARGV[2] (ms since the epoch), drops the
   * members that expired before ARGV[3], and keeps the index ARGV[4] ms: the index holds the live
   * variants only, so it grows no larger than they are, and invalidating them is work in
   * proportion to them.
   */
  static final String INDEX_VARIANT = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
      redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      return 1
      """;

  /**
   * Admits ARGV[1] to the variants counted in KEYS[1] (a sorted set by expiry, ARGV[2]) unless
   * ARGV[4] live ones (expired before ARGV[3] dropped) are there already; the set lives ARGV[5]
   * ms. 1 if admitted.
   */
  static final String ADMIT_VARIANT = """
      redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
      if not redis.call('ZSCORE', KEYS[1], ARGV[1])
          and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
      redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
      redis.call('PEXPIRE', KEYS[1], ARGV[5])
      return 1
      """;

  /** Whether {@code variant} is one of the at most {@code max} live variants in {@code counted}. */
  boolean admitVariant(String counted, String variant, Duration life, int max) {
    long now = clock.millis();
    long ms = life.toMillis();
    return Long.valueOf(1).equals(connector.execute(counted, j -> j.eval(ADMIT_VARIANT,
        List.of(counted), List.of(variant, Long.toString(now + ms), Long.toString(now),
            Integer.toString(max), Long.toString(ms + 60_000)))));
  }

  /**
   * Stores one user's variant of a shared key if unchanged since the load's read (as {@link
   * #putIfUnchanged}) and records it in the key's variant index (live variants only, by expiry),
   * in one round trip per node.
   */
  boolean putVariant(String index, String key, String value, Duration ttl, Seen seen) {
    if (!(seen.token() instanceof Token t)) {
      return false;
    }
    long ms = ttl.toMillis();
    long now = clock.millis(); // instances share Redis's index: their clocks must agree
    List<Object> done = connector.pipelinedResults(p -> List.of(
        p.eval(INDEX_VARIANT, List.of(index), List.of(key, Long.toString(now + ms),
            Long.toString(now), Long.toString(ms + 60_000))),
        p.eval(PUT_IF_UNCHANGED, List.of(key), List.of(
            Generations.wrap(Tags.wrap(compression.pack(value), t.tags()), t.stamp()),
            Long.toString(ms), t.mode(), t.held()))));
    return Long.valueOf(1).equals(done.get(1));
  }

  /**
   * Turns every variant recorded in {@code index} (and in an earlier version's plain-set {@code
   * legacyIndex}) into a tombstone and takes exactly those out of it (a variant recorded
   * meanwhile stays listed); returns the variants that were live.
   */
  java.util.Set<String> deleteVariants(String index, String legacyIndex) {
    java.util.Set<String> members = new java.util.LinkedHashSet<>(
        connector.execute(j -> j.zrange(index, 0, -1)));
    java.util.Set<String> legacy = connector.execute(j -> j.smembers(legacyIndex));
    members.addAll(legacy);
    if (members.isEmpty()) {
      return members;
    }
    List<String> ordered = new ArrayList<>(members);
    List<Object> removed = connector.pipelinedResults(p -> {
      List<Response<?>> out = new ArrayList<>(ordered.stream()
          .map(k -> p.eval(INVALIDATE, List.of(k), invalidateArgs())).toList());
      out.add(p.zrem(index, ordered.toArray(new String[0])));
      if (!legacy.isEmpty()) {
        out.add(p.del(legacyIndex));
      }
      return out;
    });
    java.util.Set<String> existed = new java.util.LinkedHashSet<>();
    for (int i = 0; i < ordered.size(); i++) {
      if (Long.valueOf(1).equals(removed.get(i))) {
        existed.add(ordered.get(i));
      }
    }
    return existed;
  }

  /**
   * Charges {@code bytes} to the budget counter {@code budgetKey} for the window {@code window}
   * (the counter starts with the window's first charge); false, charging nothing, if that would
   * pass {@code budget}.
   */
  boolean charge(String budgetKey, long bytes, Duration window, long budget) {
    return Long.valueOf(1).equals(connector.execute(budgetKey, j -> j.eval(CHARGE, List.of(budgetKey),
        List.of(Long.toString(bytes), Long.toString(window.toMillis()), Long.toString(budget)))));
  }

  /** Takes the lease KEYS[1] as ARGV[1] for ARGV[2] ms unless another holds it; 1 if taken. */
  static final String LEASE = """
      if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
      return 0
      """;

  /** Gives the lease KEYS[1] back if ARGV[1] still holds it. */
  static final String RELEASE = """
      if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
      return 0
      """;

  /** The lease key of {@code key}'s load: one per key loading, each expiring. */
  static String leaseKey(String key) {
    return dev.ratecache.internal.KeySpace.LEASES + key;
  }

  /**
   * Takes the fleet's lease on loading {@code key} for {@code ttl} as {@code holder}: true if no
   * other instance holds it. A lease only spares the fleet duplicate loads; what a holder stores
   * is still compared with what its read saw ({@link #putIfUnchanged}), so one whose lease lapsed
   * cannot overwrite a newer value or undo an invalidation.
   */
  boolean lease(String key, String holder, Duration ttl) {
    String lease = leaseKey(key);
    return Long.valueOf(1).equals(connector.execute(lease, j -> j.eval(LEASE, List.of(lease),
        List.of(holder, Long.toString(Math.max(1, ttl.toMillis()))))));
  }

  /** Gives back {@code holder}'s lease on {@code key}, if it still holds it. */
  void release(String key, String holder) {
    String lease = leaseKey(key);
    connector.execute(lease, j -> j.eval(RELEASE, List.of(lease), List.of(holder)));
  }

  /** Whether some instance holds the lease on loading {@code key}. */
  boolean leased(String key) {
    String lease = leaseKey(key);
    return connector.<Boolean>execute(lease, j -> j.exists(lease));
  }

  /** Leaves a tombstone at {@code key}; true if a live value was there. */
  @Override
  public boolean delete(String key) {
    return invalidate(key).result();
  }

  /**
   * {@link #delete}, and whether the replicas the settings ask for ({@code REDIS_WAIT_REPLICAS})
   * acknowledged the tombstone.
   */
  RedisConnector.Replicated<Boolean> invalidate(String key) {
    if (key.startsWith(dev.ratecache.internal.KeySpace.RATE_LIMIT)
        || key.startsWith(dev.ratecache.internal.KeySpace.LIBRARY)) {
      // Not read through this cache (a bucket, the library's own): removed outright, since a
      // tombstone there would be a value its owner cannot read (a bucket's decisions would fail
      // to the fallback until it expired).
      RedisConnector.Replicated<Long> done = connector.executeReplicated(key, j -> j.del(key));
      return new RedisConnector.Replicated<>(done.result() > 0, done.acknowledged());
    }
    RedisConnector.Replicated<Object> done = connector.executeReplicated(key,
        j -> j.eval(INVALIDATE, List.of(key), invalidateArgs()));
    return new RedisConnector.Replicated<>(Long.valueOf(1).equals(done.result()),
        done.acknowledged());
  }

  private List<String> invalidateArgs() {
    return List.of(TOMBSTONE + Long.toString(ThreadLocalRandom.current().nextLong()
        & Long.MAX_VALUE, 36) + "\"}", Long.toString(tombstoneTtl.toMillis()), TOMBSTONE);
  }

  @Override
  public long deleteMatching(String pattern) {
    return connector.unlinkMatching(pattern, scanned -> { });
  }

  /** As {@code PTTL}, and -2 for a tombstone (an invalidated key holds no value). */
  @Override
  public long ttlMillis(String key) {
    String raw = connector.execute(key, j -> j.get(key));
    return raw == null || raw.startsWith(TOMBSTONE) ? -2
        : connector.<Long>execute(key, j -> j.pttl(key));
  }
}
