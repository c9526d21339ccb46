package dev.ratecache.ratelimit;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.ThrottledLog;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisEvents;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Operators' changes to who gets which limit, made at run time without a redeploy: a limit for
 * one client or for a whole plan, a client put on a plan, a client refused (403) for a time.
 * Get it from {@link RateLimiter#overrides()}; the admin endpoint, the Actuator endpoint and
 * the CLI call it.
 *
 * <p><b>Where they live.</b> In one Redis hash, {@code ratecache:overrides} (one key: one slot of
 * a Cluster), each entry with the revision of the write that made it and an optional expiry.
 * Every write raises the hash's revision and is announced on the event channel; every instance
 * then reloads the hash and applies it. Each instance keeps what it last loaded in memory, so
 * overrides go on applying while Redis is down; a write then fails with {@link
 * dev.ratecache.redis.RedisUnavailableException} (nothing half-applied). At most {@code
 * overrides-max} entries (default 10,000); a write past that is refused with an error.
 *
 * <p><b>Applied on every instance at once.</b> A bucket in Redis records the revision its
 * configuration was written under. An instance that has not yet heard of a revision obeys any
 * bucket written under it (see {@link BucketConfigurations}), and the instance making a
 * per-client write rewrites that client's buckets before the call returns. So from the moment
 * {@link #setLimit} or {@link #assignPlan} returns, every instance decides that client on
 * Redis under the new limit. A plan's limit, a removal and an expiry are applied by each
 * instance as it hears of them (the event, milliseconds; a resubscription reloads), and from
 * then on by every instance for each bucket a hearing instance has written. Changing a limit
 * keeps the client's bucket: it keeps the tokens it had (at most the new capacity) and refills
 * at the new rate.
 *
 * <p><b>Who is named.</b> Clients as an operator knows them: an address ({@code 203.0.113.7};
 * an IPv6 address stands for its /64, as clients are keyed), {@code user:<name>}, {@code
 * key:<owner>} (the owner an {@link ApiKeyVerifier} names), {@code client:<id>}, {@code
 * app:<id>}; a plan as {@code plan:<name>}; a denial may also name a CIDR block. Never a Redis
 * key. Thread-safe.
 */
public final class LimitOverrides {
  private static final Logger log = LoggerFactory.getLogger(LimitOverrides.class);
  /** The hash holding every override. */
  public static final String KEY = KeySpace.LIBRARY + "overrides";
  private static final String REVISION_FIELD = "#rev";
  private static final String PLAN_SUBJECT = "plan:";
  /** Every profile, for entries that concern all of them (plan assignments, denials). */
  private static final String ALL_PROFILES = "*";

  /**
   * Raises the revision to at least ARGV[1] (what the writer has seen: revisions never go back,
   * even after the hash was lost to a failover or a clear) and then by one.
   */
  private static final String NEXT_REVISION = String.join("\n",
      "local seen = tonumber(ARGV[1])",
      "if tonumber(redis.call('hget', KEYS[1], '" + REVISION_FIELD + "') or '0') < seen then",
      "  redis.call('hset', KEYS[1], '" + REVISION_FIELD + "', seen)",
      "end",
      "local rev = redis.call('hincrby', KEYS[1], '" + REVISION_FIELD + "', 1)");
  /**
   * Writes one entry with the next revision: KEYS[1] the hash; ARGV[1] the revision the writer
   * has seen, ARGV[2] the field, ARGV[3] the value after the revision, ARGV[4] the most entries,
   * ARGV[5] now in ms. At the bound, expired entries are dropped first. Returns the revision, or
   * -1 if the hash is full.
   */
  private static final String WRITE = String.join("\n",
      "local n = redis.call('hlen', KEYS[1])",
      "if redis.call('hexists', KEYS[1], '" + REVISION_FIELD + "') == 1 then n = n - 1 end",
      "if redis.call('hexists', KEYS[1], ARGV[2]) == 0 and n >= tonumber(ARGV[4]) then",
      "  local all = redis.call('hgetall', KEYS[1])",
      "  for i = 1, #all, 2 do",
      "    if all[i] ~= '" + REVISION_FIELD + "' then",
      "      local exp = tonumber(string.match(all[i + 1], '^%d+|(%d+)|'))",
      "      if exp and exp > 0 and exp <= tonumber(ARGV[5]) then",
      "        redis.call('hdel', KEYS[1], all[i]); n = n - 1",
      "      end",
      "    end",
      "  end",
      "  if n >= tonumber(ARGV[4]) then return -1 end",
      "end",
      NEXT_REVISION,
      "redis.call('hset', KEYS[1], ARGV[2], rev .. '|' .. ARGV[3])",
      "return rev");
  /** Removes the entry ARGV[2]: returns the new revision, or 0 if there was none. */
  private static final String REMOVE = String.join("\n",
      "if redis.call('hdel', KEYS[1], ARGV[2]) == 0 then return 0 end",
      NEXT_REVISION,
      "return rev");

  /** What an override does. */
  public enum Kind {
    /** Another limit for a client or a plan under one profile. */
    LIMIT,
    /** Puts a client on a plan (under every profile), whatever its verifier says. */
    PLAN,
    /** Refuses a client (403) under every profile. */
    DENY
  }

  /**
   * One override, as listed.
   *
   * @param kind what it does
   * @param profile the profile a limit is for; {@code *} for plans and denials
   * @param subject the client or plan, as the operator named it
   * @param value the limits ({@code 200/1m}), the plan, or empty for a denial
   * @param expires when it stops applying, or {@code null} for never
   * @param revision the write that made it
   */
  public record Entry(Kind kind, String profile, String subject, String value, Instant expires,
      long revision) {
    String field() {
      return kind.name().toLowerCase(java.util.Locale.ROOT) + "|" + profile + "|" + subject;
    }

    boolean activeAt(long nowMillis) {
      return expires == null || nowMillis < expires.toEpochMilli();
    }
  }

  /** A profile as it decides for some clients (its limits replaced) and their configuration. */
  record Shape(RateLimitProfile profile, BucketConfiguration config) {
    static Shape of(RateLimitProfile profile) {
      var b = BucketConfiguration.builder();
      profile.limits().forEach(l -> b.addLimit(l.toBandwidth()));
      return new Shape(profile, b.build());
    }
  }

  /**
   * What this instance applies: compiled from the entries active at the moment it was made,
   * until the first of them expires ({@code validUntil}).
   */
  record Snapshot(long revision, List<Entry> entries, long validUntil,
      Map<String, Shape> limits, Map<String, String> plans, ClientList deny) {
    static final Snapshot EMPTY = new Snapshot(0, List.of(), Long.MAX_VALUE, Map.of(), Map.of(),
        ClientList.EMPTY);

    boolean isEmpty() {
      return limits.isEmpty() && plans.isEmpty() && deny.isEmpty();
    }
  }

  private final RedisConnector connector;
  private final Clock clock;
  private final Map<String, RateLimitProfile> profiles;
  private final ClientKeyResolver resolver;
  private final int max;
  /** Told when what applies changes (the limiter forgets remembered rejections). */
  private final Runnable onChange;
  /** Rewrites one client's bucket of one profile after a write of its (the limiter). */
  private final ClientRewrite rewrite;
  private final ThrottledLog failures;
  /** Where operators' writes are recorded; null in tests of the snapshot alone. */
  private final AuditTrail audit;
  private volatile Snapshot snapshot = Snapshot.EMPTY;
  private final Object reloading = new Object();

  /** Rewrites the buckets of {@code clientKey} under the snapshot just loaded. */
  interface ClientRewrite {
    void rewrite(String clientKey, Snapshot loaded);
  }

  LimitOverrides(RedisConnector connector, Clock clock, Map<String, RateLimitProfile> profiles,
      ClientKeyResolver resolver, int max, Runnable onChange, ClientRewrite rewrite,
      AuditTrail audit) {
    this.audit = audit;
    this.connector = connector;
    this.clock = clock;
    this.profiles = profiles;
    this.resolver = resolver;
    this.max = max;
    this.onChange = onChange;
    this.rewrite = rewrite;
    this.failures = new ThrottledLog(log, Duration.ofSeconds(30), clock);
  }

  /**
   * Gives {@code subject} other limits under {@code profile}: a client ({@code 203.0.113.7},
   * {@code user:alice}, {@code key:acme}...) or a plan ({@code plan:pro}). Replaces an override
   * of the same profile and subject.
   *
   * @param ttl how long it applies; {@code null} or zero for until removed
   * @return the entry written
   * @throws IllegalArgumentException for an unknown profile, a subject of no known form, a
   *     negative ttl, or a full store
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot take the write
   */
  public Entry setLimit(String profile, String subject, List<Limit> limits, Duration ttl) {
    if (!profiles.containsKey(profile)) {
      throw new IllegalArgumentException("unknown rate-limit profile '" + profile
          + "'; configured: " + profiles.keySet());
    }
    if (limits == null || limits.isEmpty()) {
      throw new IllegalArgumentException("give at least one limit, e.g. 200/1m");
    }
    String s = subject(subject, true, false);
    List<String> texts = new ArrayList<>();
    limits.forEach(l -> texts.add(Objects.requireNonNull(l, "limit").toString()));
    return write(new Entry(Kind.LIMIT, profile, s, String.join(", ", texts), expiry(ttl), 0));
  }

  /**
   * Puts a client on {@code plan} under every profile (its {@code profile.<name>.limit.<plan>}),
   * whatever its verifier or the application says.
   *
   * @throws IllegalArgumentException for a malformed plan or client, or a full store
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot take the write
   */
  public Entry assignPlan(String client, String plan, Duration ttl) {
    if (!RateLimitProfile.isPlanName(plan)) {
      throw new IllegalArgumentException("plan '" + plan
          + "' must be 1-64 lower-case letters, digits, '_' or '-'");
    }
    return write(new Entry(Kind.PLAN, ALL_PROFILES, subject(client, false, false), plan,
        expiry(ttl), 0));
  }

  /**
   * Refuses a client, or a CIDR block, with 403 under every profile, for {@code ttl} (or until
   * removed). Nothing is charged while it applies.
   *
   * @throws IllegalArgumentException for a client of no known form, or a full store
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot take the write
   */
  public Entry deny(String client, Duration ttl) {
    return write(new Entry(Kind.DENY, ALL_PROFILES, subject(client, false, true), "",
        expiry(ttl), 0));
  }

  /**
   * Removes an override.
   *
   * @param profile the profile of a {@link Kind#LIMIT}; ignored for the others
   * @return whether there was one
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot take the write
   */
  public boolean remove(Kind kind, String profile, String subject) {
    Objects.requireNonNull(kind, "kind");
    String s = subject(subject, kind == Kind.LIMIT, kind == Kind.DENY);
    Entry probe = new Entry(kind, kind == Kind.LIMIT ? profile : ALL_PROFILES, s, "", null, 0);
    Object rev = connector.execute(KEY,
        jedis -> jedis.eval(REMOVE, List.of(KEY), List.of(Long.toString(revision()),
            probe.field())));
    if (!(rev instanceof Long r) || r == 0) {
      return false;
    }
    announceAndReload();
    if (audit != null) {
      audit.operator("remove-override", probe.profile(), auditClient(s), kind.name().toLowerCase(
          java.util.Locale.ROOT) + " removed, revision " + r);
    }
    return true;
  }

  /** The overrides in force now, from Redis (or, while it is down, as this instance holds them). */
  public List<Entry> list() {
    try {
      reload();
    } catch (RuntimeException unavailable) {
      // listed as held
    }
    long now = clock.millis();
    return snapshot.entries().stream().filter(e -> e.activeAt(now)).toList();
  }

  /** The revision of the overrides this instance applies (0 before any). */
  public long revision() {
    return snapshot.revision();
  }

  private Entry write(Entry entry) {
    String value = (entry.expires() == null ? 0 : entry.expires().toEpochMilli()) + "|"
        + entry.value();
    Object rev = connector.execute(KEY, jedis -> jedis.eval(WRITE, List.of(KEY),
        List.of(Long.toString(revision()), entry.field(), value, Integer.toString(max),
            Long.toString(clock.millis()))));
    long revision = rev instanceof Long r ? r : -1;
    if (revision < 0) {
      throw new IllegalArgumentException("the override store is full (" + max
          + " entries, overrides-max): remove some first");
    }
    Snapshot loaded = announceAndReload();
    if (audit != null) {
      audit.operator("override", entry.profile(), auditClient(entry.subject()), entry.kind().name()
          .toLowerCase(java.util.Locale.ROOT) + " " + entry.value() + (entry.expires() == null
          ? "" : " until " + entry.expires()) + ", revision " + revision);
    }
    if (entry.kind() != Kind.DENY && !entry.subject().startsWith(PLAN_SUBJECT)) {
      // Before returning: every instance, heard or not, decides this client anew on Redis.
      rewrite.rewrite(resolver.clientKeyOf(entry.subject()), loaded);
    }
    return new Entry(entry.kind(), entry.profile(), entry.subject(), entry.value(),
        entry.expires(), revision);
  }

  private Snapshot announceAndReload() {
    Snapshot loaded = reload();
    connector.events().publish(new Invalidation.Key(KEY));
    return loaded;
  }

  /** What applies now: the snapshot, recompiled locally once an entry of it has expired. */
  Snapshot current() {
    Snapshot s = snapshot;
    long now;
    if (s.validUntil() != Long.MAX_VALUE && (now = clock.millis()) >= s.validUntil()) {
      synchronized (this) {
        s = snapshot;
        if (now >= s.validUntil()) {
          s = compile(s.revision(), s.entries(), now);
          snapshot = s;
          onChange.run();
        }
      }
    }
    return s;
  }

  /**
   * Reads every override from Redis and applies them, unless this instance holds a newer
   * revision already.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot be read
   */
  Snapshot reload() {
    // One reload at a time, so a read never applies after a newer one (decisions only read the
    // volatile snapshot and never wait for this).
    synchronized (reloading) {
      return reloadNow();
    }
  }

  private Snapshot reloadNow() {
    Map<String, String> all = connector.execute(KEY, jedis -> jedis.hgetAll(KEY));
    long revision = 0;
    List<Entry> entries = new ArrayList<>();
    for (Map.Entry<String, String> f : all.entrySet()) {
      if (f.getKey().equals(REVISION_FIELD)) {
        revision = parseLong(f.getValue());
        continue;
      }
      Entry e = parse(f.getKey(), f.getValue());
      if (e == null) {
        failures.warn("Ignored a malformed rate-limit override in " + KEY + ": "
            + f.getKey(), null);
      } else if (entries.size() < max) {
        entries.add(e);
      }
    }
    entries.sort(Comparator.comparingLong(Entry::revision));
    return apply(revision, entries);
  }

  /**
   * Applies what Redis held at {@code revision}: the entries as read (Redis holds what
   * applies), the revision never going back (Redis's is behind only if the hash was lost: a
   * failover, a clear of {@code ratecache:*}; the next write raises it past what was seen).
   */
  Snapshot apply(long revision, List<Entry> entries) {
    synchronized (this) {
      Snapshot held = snapshot;
      if (revision <= held.revision() && entries.equals(held.entries())) {
        return held;
      }
      Snapshot s = compile(Math.max(revision, held.revision()), entries, clock.millis());
      snapshot = s;
      onChange.run();
      return s;
    }
  }

  /** Reloads in the background of an event (on the subscription's thread), never throwing. */
  RedisEvents.Listener listener() {
    return new RedisEvents.Listener() {
      @Override
      public void onInvalidation(Invalidation event) {
        if (event instanceof Invalidation.Key k && k.key().equals(KEY)) {
          reloadQuietly();
        }
      }

      @Override
      public void onMissedEvents() {
        reloadQuietly();
      }
    };
  }

  private void reloadQuietly() {
    try {
      reload();
    } catch (RuntimeException e) {
      // Redis unavailable: what is held goes on applying; the next subscription reloads.
      failures.warn("Could not reload the rate-limit overrides: " + e, null);
    }
  }

  /** The entries active at {@code now}, compiled for lookups. */
  private Snapshot compile(long revision, List<Entry> entries, long now) {
    Map<String, Shape> limits = new HashMap<>();
    Map<String, String> plans = new HashMap<>();
    List<String> denied = new ArrayList<>();
    long validUntil = Long.MAX_VALUE;
    for (Entry e : entries) {
      if (!e.activeAt(now)) {
        continue;
      }
      if (e.expires() != null) {
        validUntil = Math.min(validUntil, e.expires().toEpochMilli());
      }
      switch (e.kind()) {
        case LIMIT -> {
          RateLimitProfile p = profiles.get(e.profile());
          String subject = subjectKey(e.subject());
          if (p != null && subject != null) {
            limits.put(e.profile() + "\n" + subject,
                Shape.of(p.withLimits(Limit.parseAll(e.value(), "override"))));
          }
        }
        case PLAN -> {
          String key = resolver.clientKeyOf(e.subject());
          if (key != null) {
            plans.put(key, e.value());
          }
        }
        case DENY -> {
          try {
            ClientList.of(List.of(e.subject()), "deny", resolver);
            denied.add(e.subject());
          } catch (dev.ratecache.ConfigurationException malformed) {
            // written by hand, not through this class: ignored, the rest applies
            failures.warn("Ignored a malformed denial in " + KEY + ": " + e.subject(), null);
          }
        }
      }
    }
    return new Snapshot(revision, List.copyOf(entries), validUntil, Map.copyOf(limits),
        Map.copyOf(plans), ClientList.of(denied, "deny", resolver));
  }

  /** A subject as the audit trail hashes it: a client's key, else the subject (a plan, a block). */
  private String auditClient(String subject) {
    String key = resolver.clientKeyOf(subject);
    return key != null ? key : subject;
  }

  /** The lookup key of a subject: a plan as {@code plan:<name>}, a client as its client key. */
  private String subjectKey(String subject) {
    return subject.startsWith(PLAN_SUBJECT) ? subject : resolver.clientKeyOf(subject);
  }

  /** The lookup key of a client's limit override under a profile. */
  static String clientLimitKey(String profile, String clientKey) {
    return profile + "\n" + clientKey;
  }

  /** The lookup key of a plan's limit override under a profile. */
  static String planLimitKey(String profile, String plan) {
    return profile + "\n" + PLAN_SUBJECT + plan;
  }

  /** Checks and normalises an operator's subject. */
  private String subject(String text, boolean planAllowed, boolean blockAllowed) {
    String s = text == null ? "" : text.trim();
    if (s.startsWith(PLAN_SUBJECT)) {
      if (!planAllowed) {
        throw new IllegalArgumentException("'" + s + "': only a limit can name a plan");
      }
      if (!RateLimitProfile.isPlanName(s.substring(PLAN_SUBJECT.length()))) {
        throw new IllegalArgumentException("'" + s + "' is not a plan name");
      }
      return s;
    }
    if (s.length() > 256 || s.indexOf('|') >= 0 || s.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("'" + s + "' is not a client");
    }
    if (resolver.clientKeyOf(s) != null) {
      return s;
    }
    if (blockAllowed) {
      try {
        ClientList.of(List.of(s), "deny", resolver);
        return s;
      } catch (dev.ratecache.ConfigurationException notABlock) {
        // fall through to the message below
      }
    }
    throw new IllegalArgumentException("'" + s + "' names no client: use an address"
        + (blockAllowed ? " or CIDR block" : "") + ", user:<name>, key:<owner>, client:<id>"
        + " or app:<id>" + (planAllowed ? ", or plan:<name>" : ""));
  }

  /** When an override made now for {@code ttl} ends; null for never. */
  private Instant expiry(Duration ttl) {
    if (ttl == null || ttl.isZero()) {
      return null;
    }
    if (ttl.isNegative()) {
      throw new IllegalArgumentException("ttl must not be negative, got " + ttl);
    }
    return Instant.ofEpochMilli(clock.millis()).plus(ttl);
  }

  /** An entry from its field and value, or null if malformed. */
  private static Entry parse(String field, String value) {
    String[] f = field.split("\\|", 3);
    String[] v = value.split("\\|", 3);
    if (f.length != 3 || v.length != 3) {
      return null;
    }
    Kind kind;
    try {
      kind = Kind.valueOf(f[0].toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
    long rev = parseLong(v[0]);
    long expires = parseLong(v[1]);
    if (rev <= 0 || expires < 0) {
      return null;
    }
    if (kind == Kind.LIMIT) {
      try {
        Limit.parseAll(v[2], "override");
      } catch (RuntimeException malformed) {
        return null;
      }
    }
    return new Entry(kind, f[1], f[2], v[2], expires == 0 ? null : Instant.ofEpochMilli(expires),
        rev);
  }

  private static long parseLong(String s) {
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
