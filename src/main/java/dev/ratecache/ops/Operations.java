package dev.ratecache.ops;

import dev.ratecache.cache.CacheKeys;
import dev.ratecache.cache.CacheStats;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.JsonCodec;
import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.SettingValues;
import dev.ratecache.ratelimit.LimitOverrides;
import dev.ratecache.ratelimit.RateLimitStats;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisEvents;
import dev.ratecache.redis.RedisHealth;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * The operational face of an application's ratecache: health, statistics (local, fleet and
 * Redis), clearing and warm-up, for the admin endpoint, the CLI and monitoring. Thread-safe.
 */
public final class Operations implements AutoCloseable {
  /** The namespaces the library owns; a clear's pattern must start with one of them. */
  public static final List<String> NAMESPACES =
      KeySpace.ALL;

  /** Every key pattern the library owns; clearing without a pattern removes only these. */
  public static final List<String> OWNED_PATTERNS;

  static {
    List<String> owned = new ArrayList<>(CacheKeys.ALL_PATTERNS);
    owned.add(KeySpace.INSTANCES + "*");
    OWNED_PATTERNS = List.copyOf(owned);
  }

  private final RedisConnector connector;
  private final QueryCache cache;
  private final RateLimiter limiter;
  private final Warmup warmup;
  private final String instanceId;
  private final Clock clock;
  private volatile StatsPublisher publisher;

  private Operations(Builder b) {
    this.connector = Objects.requireNonNull(b.connector, "connector");
    this.cache = b.cache;
    this.limiter = b.limiter;
    this.clock = b.clock;
    this.instanceId = b.instanceId != null ? b.instanceId : defaultInstanceId();
    this.warmup = cache != null ? new Warmup(cache, clock) : null;
  }

  /**
   * A builder around the connector the features share.
   *
   * @param connector the Redis connector (not closed by {@link #close()})
   */
  public static Builder builder(RedisConnector connector) {
    return new Builder(connector);
  }

  /** The health report (no network while Redis is known down). */
  public HealthReport health() {
    return HealthCheck.check(connector);
  }

  /** This instance's counters now. */
  public InstanceStats localStats() {
    Map<String, Long> counters = new TreeMap<>();
    if (cache != null) {
      CacheStats s = cache.stats();
      s.categories().forEach((category, c) -> {
        counters.put("cache." + category + ".hits", c.hits());
        counters.put("cache." + category + ".misses", c.misses());
        counters.put("cache." + category + ".errors", c.errors());
        counters.put("cache." + category + ".fallback", c.fallback());
      });
      counters.put("near.hits", cache.nearCacheHits()); // also counted in its category's hits
    }
    if (limiter != null) {
      RateLimitStats s = limiter.stats();
      s.profiles().forEach((profile, p) -> {
        counters.put("ratelimit." + profile + ".allowed", p.allowed());
        counters.put("ratelimit." + profile + ".rejected", p.rejected());
        counters.put("ratelimit." + profile + ".fallback", p.fallback());
        counters.put("ratelimit." + profile + ".unavailable", p.unavailable());
        counters.put("ratelimit." + profile + ".denied", p.denied());
        counters.put("ratelimit." + profile + ".allowlisted", p.allowlisted());
        counters.put("ratelimit." + profile + ".would_reject", p.wouldReject());
        counters.put("ratelimit." + profile + ".refunded", p.refunded());
        counters.put("ratelimit." + profile + ".blocked", p.blocked());
        counters.put("ratelimit." + profile + ".lockouts", p.lockouts());
      });
    }
    RedisHealth.Snapshot h = connector.health().snapshot();
    counters.put("redis.outages", h.outages());
    RedisEvents.Counts events = connector.events().counts();
    counters.put("events.published", events.published());
    counters.put("events.received", events.received());
    counters.put("redis.fallback_millis", h.totalDowntime().toMillis());
    return new InstanceStats(instanceId, clock.instant(),
        h.state() == RedisHealth.State.UP ? "redis" : "memory", counters);
  }

  /** What every instance published (including this one once it publishes). */
  public List<InstanceStats> fleet() {
    return FleetStats.instances(connector);
  }

  /** Redis-side figures, scanning at most 100,000 keys per master. */
  public RedisServerStats redisStats() {
    return FleetStats.redis(connector, 100_000);
  }

  /**
   * Why {@code pattern} may not be cleared, or {@code null} if it may: it must start with one of
   * the library's {@link #NAMESPACES} (so {@code *}, {@code app:*} or {@code quer?:*} are
   * refused: ratecache never removes keys it does not own) and hold no spaces or control
   * characters. Pure.
   */
  public static String checkPattern(String pattern) {
    if (pattern == null || pattern.isBlank()) {
      return "must not be empty";
    }
    for (int i = 0; i < pattern.length(); i++) {
      if (Character.isISOControl(pattern.charAt(i)) || pattern.charAt(i) == ' ') {
        return "must not contain spaces or control characters";
      }
    }
    for (String ns : NAMESPACES) {
      if (pattern.startsWith(ns)) {
        return null;
      }
    }
    return "'" + pattern + "' is outside the library's namespaces " + NAMESPACES
        + "; ratecache never removes keys it does not own";
  }

  /**
   * Removes keys matching {@code pattern} from Redis (and from the memory store, when a
   * {@link QueryCache} is attached), or every key the library owns when {@code pattern} is null.
   * Every instance sharing the Redis hears of it, this one included: near-cache copies are
   * dropped and rejections remembered for cleared rate-limit buckets are lifted.
   *
   * @return how many keys were removed
   * @throws IllegalArgumentException if the pattern is outside the library's namespaces (see
   *     {@link #checkPattern})
   */
  public long clear(String pattern, LongConsumer progress) {
    if (pattern != null) {
      String problem = checkPattern(pattern);
      if (problem != null) {
        throw new IllegalArgumentException("pattern " + problem);
      }
    }
    List<String> patterns = pattern == null ? OWNED_PATTERNS : List.of(pattern);
    if (limiter != null) {
      limiter.audit().operator("clear", "*", null, pattern == null ? "every key the library owns"
          : "pattern " + pattern);
    }
    long removed = 0;
    for (String p : patterns) {
      removed += connector.unlinkMatching(p, progress); // gone from Redis, counted
      if (cache != null) {
        cache.invalidateMatching(p); // and invalid everywhere at once, memory copies dropped
      }
    }
    return removed;
  }

  /**
   * The rate limiter's runtime overrides ({@link RateLimiter#overrides()}), for the admin
   * endpoint, the Actuator endpoint and the CLI.
   *
   * @throws IllegalStateException if no limiter is attached or it has no Redis
   */
  public LimitOverrides overrides() {
    return limiter().overrides();
  }

  /**
   * Applies an operator's override given as text, as the endpoints and the CLI take it.
   *
   * @param kind {@code limit}, {@code plan} or {@code deny}
   * @param profile the profile of a limit (ignored otherwise)
   * @param subject the client ({@code 203.0.113.7}, {@code user:alice}, {@code key:acme}...), a
   *     plan {@code plan:pro} for a limit, a CIDR block for a denial
   * @param value the limits of a limit ({@code 200/1m}), the plan of a plan; ignored for a deny
   * @param ttl how long, as {@code 90s}, {@code 10m}, {@code 2h} or {@code 1d}; null or empty for
   *     until removed
   * @return the entry written, as the endpoints show it
   * @throws IllegalArgumentException naming what is malformed
   */
  public Map<String, Object> override(String kind, String profile, String subject, String value,
      String ttl) {
    Duration d;
    try {
      d = ttl == null || ttl.isBlank() ? null : SettingValues.span("ttl", ttl);
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
    LimitOverrides o = overrides();
    LimitOverrides.Entry e = switch (kind(kind)) {
      case LIMIT -> o.setLimit(required(profile, "profile"), required(subject, "subject"),
          parseLimits(required(value, "value")), d);
      case PLAN -> o.assignPlan(required(subject, "subject"), required(value, "value"), d);
      case DENY -> o.deny(required(subject, "subject"), d);
    };
    return describe(e);
  }

  /** Removes an override; see {@link #override}. */
  public boolean removeOverride(String kind, String profile, String subject) {
    LimitOverrides.Kind k = kind(kind);
    return overrides().remove(k, k == LimitOverrides.Kind.LIMIT ? required(profile, "profile")
        : profile, required(subject, "subject"));
  }

  /**
   * What the rate limiter would do with one client's next request, and why ({@link
   * RateLimiter#explain}); reads, changes nothing.
   *
   * @throws IllegalArgumentException naming what is malformed
   * @throws IllegalStateException if no limiter is attached
   */
  public Map<String, Object> explain(String path, String method, String client, String plan,
      String account, String profile) {
    return limiter().explain(path, method, client, plan, account, profile);
  }

  /**
   * Resets one client's buckets and locks ({@link RateLimiter#reset}).
   *
   * @return the body the endpoints answer: {@code {"removed": n}}
   */
  public Map<String, Object> resetClient(String profile, String client, String account) {
    if (client == null || client.isBlank()) {
      throw new IllegalArgumentException("client is required");
    }
    return Map.of("removed", limiter().reset(profile, client, account));
  }

  /** The audit trail's latest records, newest first ({@link dev.ratecache.ratelimit.AuditTrail}). */
  public Map<String, Object> audit(int count) {
    try {
      limiter().audit().flush(); // this instance's own records, written before they are read
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("records", limiter().audit().recent(count));
    out.put("dropped", limiter().audit().dropped());
    return out;
  }

  private RateLimiter limiter() {
    if (limiter == null) {
      throw new IllegalStateException("no rate limiter is attached to these operations");
    }
    return limiter;
  }

  /** Every override in force, with the revision this instance applies. */
  public Map<String, Object> listOverrides() {
    LimitOverrides o = overrides();
    List<Map<String, Object>> entries = new ArrayList<>();
    o.list().forEach(e -> entries.add(describe(e)));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("revision", o.revision());
    out.put("overrides", entries);
    return out;
  }

  private static Map<String, Object> describe(LimitOverrides.Entry e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("kind", e.kind().name().toLowerCase(Locale.ROOT));
    m.put("profile", e.profile());
    m.put("subject", e.subject());
    m.put("value", e.value());
    m.put("expires", e.expires() == null ? null : e.expires().toString());
    m.put("revision", e.revision());
    return m;
  }

  private static LimitOverrides.Kind kind(String kind) {
    try {
      return LimitOverrides.Kind.valueOf(required(kind, "kind").trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("kind '" + kind + "' is not limit, plan or deny");
    }
  }

  private static List<dev.ratecache.ratelimit.Limit> parseLimits(String text) {
    try {
      return dev.ratecache.ratelimit.Limit.parseAll(text, "value");
    } catch (ConfigurationException e) {
      throw new IllegalArgumentException(e.getMessage());
    }
  }

  private static String required(String value, String name) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " is required");
    }
    return value.trim();
  }

  /**
   * The JSON codec of operational output: the attached {@link QueryCache}'s, so that the admin
   * endpoint writes as the cache does, or {@link JsonCodec#standard()} without one.
   */
  public JsonCodec json() {
    return cache != null ? cache.codec() : JsonCodec.standard();
  }

  /** The warm-up registry, or {@code null} without a {@link QueryCache}. */
  public Warmup warmup() {
    return warmup;
  }

  /** Runs warm-up now; an empty report without a {@link QueryCache}. */
  public WarmupReport warm() {
    return warmup != null ? warmup.run() : new WarmupReport(clock.instant(), Duration.ZERO,
        List.of());
  }

  /** Starts publishing {@link #localStats()} to Redis every {@code interval}. */
  public synchronized Operations publishEvery(Duration interval) {
    if (publisher == null) {
      publisher = StatsPublisher.start(connector, this::localStats, interval);
    }
    return this;
  }

  /** Publishes {@link #localStats()} once now; false if Redis is unavailable. */
  public boolean publishNow() {
    return StatsPublisher.publish(connector, localStats(), Duration.ofMinutes(1));
  }

  public String instanceId() {
    return instanceId;
  }

  public RedisConnector connector() {
    return connector;
  }

  @Override
  public void close() {
    StatsPublisher p = publisher;
    if (p != null) {
      p.close();
    }
  }

  private static String defaultInstanceId() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (Exception e) {
      host = "unknown";
    }
    String pid = ManagementFactory.getRuntimeMXBean().getName();
    int at = pid.indexOf('@');
    return host + "-" + (at > 0 ? pid.substring(0, at) : pid);
  }

  /** Builds {@link Operations}. Not thread-safe. */
  public static final class Builder {
    private final RedisConnector connector;
    private QueryCache cache;
    private RateLimiter limiter;
    private String instanceId;
    private Clock clock = Clock.systemUTC();

    private Builder(RedisConnector connector) {
      this.connector = connector;
    }

    /** The query cache whose counters to report, clear through and warm. */
    public Builder cache(QueryCache cache) {
      this.cache = cache;
      return this;
    }

    /** The rate limiter whose counters to report. */
    public Builder rateLimiter(RateLimiter limiter) {
      this.limiter = limiter;
      return this;
    }

    /** This instance's id in the fleet view. Default {@code <host>-<pid>}. */
    public Builder instanceId(String id) {
      if (id == null || !id.matches("[A-Za-z0-9._:@-]{1,100}")) {
        throw new dev.ratecache.ConfigurationException("instanceId",
            "must be 1-100 characters of [A-Za-z0-9._:@-], got '" + id + "'");
      }
      this.instanceId = id;
      return this;
    }

    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public Operations build() {
      return new Operations(this);
    }
  }
}
