package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.OnFirstUse;
import dev.ratecache.internal.RequestAttributes;
import dev.ratecache.internal.Time;
import dev.ratecache.ratelimit.RateLimitDecision.Backend;
import dev.ratecache.ratelimit.RateLimitDecision.Outcome;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisEvents;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisUnavailableException;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rate-limiting engine shared by {@link RateLimitFilter} and {@link RateLimitFeature}: profiles,
 * route matching, client identity, buckets in Redis with an in-memory fallback, and counters.
 *
 * <p>A decision goes: (1) a client already known to be over its limit is rejected from a small
 * local cache until its retry time, at no Redis cost (it cannot have a token before then, so this
 * keeps the limit exact); (2) otherwise the Redis bucket is charged, unless Redis is known to be
 * down; (3) if Redis is down or fails, the profile's {@link FallbackMode} decides: local buckets,
 * admit, or refuse with 503. A Redis failure never becomes an error for the caller.
 *
 * <p>Thread-safe. Build one per application and share it; {@link #close()} releases the Redis
 * client if this limiter created it.
 *
 * <p>(Longer than most files here for a reason: the decision path and its public {@link
 * Builder}. Route matching is {@code RouteTable}, bucket storage {@code BucketStore}, the memory
 * of rejected clients and its invalidation {@code RejectionMemory}.)
 */
public final class RateLimiter implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);
  /** Failures of a decision on Redis that the connector does not log (not an outage). */
  private final dev.ratecache.internal.ThrottledLog unexpectedFailures;
  /** Request attribute prefix under which each profile's decision is kept, to charge once. */
  static final String DECISION_ATTRIBUTE = "dev.ratecache.ratelimit.decision.";
  /** How long a CLOSED profile asks clients to wait while Redis is down. */
  private static final long CLOSED_RETRY_SECONDS = 5;

  private final Map<String, Entry> profiles;
  private final RouteTable routes;
  private final ClientKeyResolver keyResolver;
  private final RedisConnector connector;
  private final boolean ownsConnector;
  private final BucketStore redisStore;
  /** The Redis store itself, for its counters ({@code redisStore} may wrap it, in tests). */
  private final RedisBucketStore redisBuckets;
  private final LocalBucketStore localStore;
  private final RejectionMemory rejections;
  /** Escalating lockouts, in Redis or (while it cannot be used) in memory. */
  private final Lockouts lockouts;
  private final AuditTrail audit;
  /** The operators' runtime overrides (Redis-backed; null without Redis). */
  private final LimitOverrides overrides;
  private final OnFirstUse eventSubscription;
  private volatile String evictionWarning;
  private volatile java.util.concurrent.CompletableFuture<dev.ratecache.redis.MemoryFacts>
      evictionCheck;
  private final Clock clock;
  private final DecisionObserver observer;
  /** The profiles that count only some answers. */
  private final List<Entry> settling;
  private final HeaderStyle headerStyle;
  private final String problemType;
  private final boolean chargePreflight;

  /** A profile, its compiled bucket configuration and its counters. */
  record Entry(RateLimitProfile profile, BucketConfiguration config, LongAdder allowed,
      LongAdder rejected, LongAdder fallback, LongAdder unavailable, boolean shadow,
      ClientList allow, ClientList deny, LongAdder denied, LongAdder allowlisted,
      LongAdder wouldReject, LongAdder refunded, LimitOverrides.Shape base,
      Map<String, LimitOverrides.Shape> plans, LongAdder blocked, LongAdder lockouts) {
    /** Whether a decision needs the client's address (a list names addresses). */
    boolean needsAddress() {
      return allow.namesAddresses() || deny.namesAddresses();
    }
  }

  /** A client over its limit: no token before {@code retryAt}; full again at {@code resetAt}. */
  private record KnownRejection(long retryAt, long resetAt, Backend backend) {}

  private RateLimiter(Builder b) {
    this.clock = b.clock;
    this.keyResolver = b.keyResolver;
    this.headerStyle = b.headerStyle;
    this.observer = b.observer;
    this.problemType = b.problemType;
    this.chargePreflight = b.chargePreflight;
    Map<String, Entry> map = new LinkedHashMap<>();
    Duration longest = Duration.ofSeconds(1);
    Duration longestLock = Duration.ofSeconds(1);
    for (RateLimitProfile p : b.profiles.values()) {
      LimitOverrides.Shape base = LimitOverrides.Shape.of(p);
      Map<String, LimitOverrides.Shape> plans = new java.util.HashMap<>();
      p.planLimits().forEach((plan, limits) ->
          plans.put(plan, LimitOverrides.Shape.of(p.withLimits(limits))));
      String at = "profile." + p.name() + ".";
      map.put(p.name(), new Entry(p, base.config(), new LongAdder(), new LongAdder(),
          new LongAdder(), new LongAdder(), p.mode().orElse(b.mode) == EnforcementMode.SHADOW,
          ClientList.of(p.allow(), at + "allow", b.keyResolver).and(
              ClientList.of(b.allow, "allow", b.keyResolver)),
          ClientList.of(p.deny(), at + "deny", b.keyResolver).and(
              ClientList.of(b.deny, "deny", b.keyResolver)),
          new LongAdder(), new LongAdder(), new LongAdder(), new LongAdder(), base,
          Map.copyOf(plans), new LongAdder(), new LongAdder()));
      if (p.longestPeriod().compareTo(longest) > 0) {
        longest = p.longestPeriod();
      }
      Lockout l = p.lockoutOrNull();
      if (l != null && l.max().plus(l.reset()).compareTo(longestLock) > 0) {
        longestLock = l.max().plus(l.reset());
      }
    }
    this.profiles = java.util.Collections.unmodifiableMap(map);
    this.settling = map.values().stream().filter(e -> e.profile().count() != CountMode.ALL
        || e.profile().costOnHit() < e.profile().cost()).toList();
    this.routes = RouteTable.compile(b.profiles.values(), b.foldCase);
    this.ownsConnector = b.connector == null;
    this.connector = b.connector != null ? b.connector : RedisConnector.shared(
        b.redisSettings != null ? b.redisSettings : RedisSettings.fromLookup(name -> {
          String v = b.redisOverrides.get(name);
          return v != null ? v : b.env.apply(name);
        }));
    this.redisBuckets = connector.settings().enabled()
        ? new RedisBucketStore(connector, clock, b.localMaxBuckets, b.redisBuckets) : null;
    this.redisStore = redisBuckets == null ? null : b.redisStoreDecorator.apply(redisBuckets);
    this.localStore = new LocalBucketStore(b.localMaxBuckets, longest, clock);
    this.rejections = new RejectionMemory(b.localMaxBuckets, clock, redisStore);
    this.lockouts = new Lockouts(connector, clock, b.localMaxBuckets, longestLock);
    this.audit = new AuditTrail(connector, clock, b.auditMax, b.localMaxBuckets, longest);
    Map<String, RateLimitProfile> byName = new LinkedHashMap<>();
    map.forEach((name, e) -> byName.put(name, e.profile()));
    this.overrides = redisStore == null ? null : new LimitOverrides(connector, clock,
        java.util.Collections.unmodifiableMap(byName), keyResolver, b.maxOverrides,
        rejections::forgetDecidedOnRedis, this::rewriteClient, audit);
    this.unexpectedFailures = new dev.ratecache.internal.ThrottledLog(log, Duration.ofSeconds(30),
        clock);
    // Buckets reset by an operator (CLI or admin clear, on any instance) are no longer over
    // their limit: forget the rejections remembered for them. Subscribed on the first decision
    // that uses Redis (before it can remember anything), so build() starts no thread.
    this.eventSubscription = redisStore == null ? null : new OnFirstUse(() -> {
      checkEvictionPolicy();
      // One listener for both, so that the first subscription's missed-events call (on the
      // subscription's thread, perhaps before a second listener would be added) reaches both.
      RedisEvents.Listener changes = b.hearOverrides ? overrides.listener() : null;
      return connector.events().subscribe(new RedisEvents.Listener() {
        @Override
        public void onInvalidation(dev.ratecache.redis.Invalidation event) {
          rejections.onInvalidation(event);
          if (changes != null) {
            changes.onInvalidation(event);
          }
        }

        @Override
        public void onMissedEvents() {
          rejections.onMissedEvents();
          if (changes != null) {
            changes.onMissedEvents();
          }
        }
      });
    });
  }

  /**
   * Once, in the background, on the first decision: warns if the Redis holding the buckets evicts
   * keys when full (any {@code maxmemory-policy} but {@code noeviction} with a {@code maxmemory}
   * set). An evicted bucket is a full one: the client it limited starts over, and a busy cache on
   * the same server evicts the coldest keys first, which are the buckets of rejected clients.
   */
  private void checkEvictionPolicy() {
    evictionCheck = connector.memoryFactsInBackground(KeySpace.RATE_LIMIT).thenApply(facts -> {
      if (facts.evicts()) {
        evictionWarning = "Redis " + connector.settings().describe() + " evicts keys when full"
            + " (maxmemory " + facts.max() + " bytes, maxmemory-policy " + facts.policy()
            + "): an evicted rate-limit bucket is a fresh one, so a limited client starts over."
            + " Give the limiter a Redis with maxmemory-policy noeviction, or one of its own"
            + " (RateLimiter.Builder.connector); see 'Memory and eviction' in"
            + " docs/configuration.md";
        log.warn(evictionWarning);
      }
      return facts;
    });
  }

  /** The background check of the buckets' Redis memory policy, once the first decision ran it. */
  java.util.concurrent.CompletableFuture<dev.ratecache.redis.MemoryFacts> evictionCheck() {
    return evictionCheck;
  }

  /** The warning about the buckets' Redis evicting keys, once it was checked; else null. */
  String evictionWarning() {
    return evictionWarning;
  }

  /**
   * A builder with the default profiles, the default client identity, Redis from the environment
   * and draft-style headers.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Charges one request by {@code clientKey} against {@code profileName}: the programmatic form
   * of what the filter does.
   *
   * @param clientKey who is asking (for example a user id); hashed if long or unusual
   * @throws ConfigurationException if there is no such profile
   */
  public RateLimitDecision tryAcquire(String profileName, String clientKey) {
    String client = ClientKeyResolver.forApplication(clientKey);
    Entry e = entry(profileName);
    return acquire(e, client, client, null, null, e.profile().cost(), overridesNow());
  }

  /**
   * {@link #tryAcquire(String, String)} for a client on {@code plan} (limits {@code
   * profile.<name>.limit.<plan>}; a plan no profile names, or {@code null}, has the profile's).
   */
  public RateLimitDecision tryAcquire(String profileName, String clientKey, String plan) {
    String client = ClientKeyResolver.forApplication(clientKey);
    Entry e = entry(profileName);
    return acquire(e, client, client, RateLimitProfile.isPlanName(plan) ? plan : null, null,
        e.profile().cost(), overridesNow());
  }

  /**
   * The limit, remaining requests and seconds until reset for a client, without charging it; the
   * equivalent of {@code getRateLimitStatus(key)}.
   *
   * @param clientKey as passed to {@link #tryAcquire}, or a key as shown by {@link
   *     RateLimitDecision#clientKey()}
   * @throws ConfigurationException if there is no such profile
   */
  public RateLimitStatus status(String profileName, String clientKey) {
    Entry e = entry(profileName);
    String client = ClientKeyResolver.isResolved(clientKey) ? clientKey
        : ClientKeyResolver.forApplication(clientKey);
    String key = e.profile().name() + ":" + client;
    LimitOverrides.Shape shape = shape(e, client, null,
        overrides == null ? LimitOverrides.Snapshot.EMPTY : overrides.current());
    BucketStore.Probe p = null;
    Backend backend = Backend.LOCAL;
    if (redisStore != null && connector.isAvailable()) {
      eventSubscription.ensureOpen();
      try {
        p = redisStore.peek(key, shape.config());
        backend = Backend.REDIS;
      } catch (RuntimeException unavailable) {
        p = null;
      }
    }
    if (p == null) {
      p = localStore.peek(key, shape.config());
    }
    return new RateLimitStatus(e.profile().name(), client,
        shape.profile().limits().get(0).capacity(),
        p.remaining(), RateLimitHeaders.ceilSeconds(p.nanosToReset(), 0), backend);
  }

  /** Counters per profile since start. */
  public RateLimitStats stats() {
    Map<String, RateLimitStats.ProfileStats> out = new LinkedHashMap<>();
    for (Entry e : profiles.values()) {
      out.put(e.profile().name(), new RateLimitStats.ProfileStats(e.allowed().sum(),
          e.rejected().sum(), e.fallback().sum(), e.unavailable().sum(), e.denied().sum(),
          e.allowlisted().sum(), e.wouldReject().sum(), e.refunded().sum(), e.blocked().sum(),
          e.lockouts().sum()));
    }
    return new RateLimitStats(out);
  }

  /**
   * How decisions on buckets another instance wrote last were made (the swap script's
   * decisions in Redis, those it declined, those corrected); zeros without Redis.
   */
  public RedisBucketStats redisBucketStats() {
    return redisBuckets == null ? RedisBucketStats.NONE : redisBuckets.stats();
  }

  /** The profile with this name, if configured. */
  public Optional<RateLimitProfile> profile(String name) {
    Entry e = profiles.get(name);
    return e == null ? Optional.empty() : Optional.of(e.profile());
  }

  /** Every configured profile. */
  public List<RateLimitProfile> profiles() {
    List<RateLimitProfile> list = new ArrayList<>();
    profiles.values().forEach(e -> list.add(e.profile()));
    return list;
  }

  /**
   * The runtime overrides: per-client and per-plan limits, plan assignments and timed denials,
   * shared by every instance through Redis.
   *
   * @throws IllegalStateException if Redis is disabled ({@code REDIS_ENABLED=false}): overrides
   *     live in Redis
   */
  public LimitOverrides overrides() {
    if (overrides == null) {
      throw new IllegalStateException("runtime overrides need Redis, and REDIS_ENABLED is false");
    }
    if (eventSubscription != null) {
      eventSubscription.ensureOpen();
    }
    return overrides;
  }

  /**
   * After an operator's write for one client: rewrites its buckets under the profiles whose
   * limit for it the overrides now fix (a limit of its own, or a plan it was put on), so an
   * instance that has not yet heard of the write obeys it. Failures are logged: the write stands
   * and each instance applies it as it hears of it.
   */
  private void rewriteClient(String clientKey, LimitOverrides.Snapshot loaded) {
    if (clientKey == null) {
      return;
    }
    for (Entry e : profiles.values()) {
      String name = e.profile().name();
      boolean fixed = loaded.limits().containsKey(LimitOverrides.clientLimitKey(name, clientKey))
          || loaded.plans().containsKey(clientKey);
      if (!fixed) {
        continue;
      }
      LimitOverrides.Shape shape = shape(e, clientKey, null, loaded);
      try {
        redisBuckets.reconfigure(name + ":" + clientKey, shape.config(), loaded.revision());
      } catch (RuntimeException failed) {
        unexpectedFailures.warn("Could not rewrite the bucket of " + name + " for an override"
            + " (each instance applies it as it hears of it): " + failed, failed);
      }
    }
  }

  /**
   * How {@code e} decides for a client: its own override, else its plan's (an operator's
   * assignment wins over the identity's) as overridden or as configured, else the profile's.
   */
  static LimitOverrides.Shape shape(Entry e, String clientKey, String plan,
      LimitOverrides.Snapshot s) {
    String name = e.profile().name();
    if (!s.isEmpty()) {
      LimitOverrides.Shape own = s.limits().get(LimitOverrides.clientLimitKey(name, clientKey));
      if (own != null) {
        return own;
      }
      String assigned = s.plans().get(clientKey);
      if (assigned != null) {
        plan = assigned;
      }
      if (plan != null) {
        LimitOverrides.Shape planned = s.limits().get(LimitOverrides.planLimitKey(name, plan));
        if (planned != null) {
          return planned;
        }
      }
    }
    if (plan != null) {
      LimitOverrides.Shape configured = e.plans().get(plan);
      if (configured != null) {
        return configured;
      }
    }
    return e.base();
  }

  /**
   * What the limiter would do with a request, and why, for an operator: the profile a method and
   * path match (or {@code profile}), the client as an operator names it, its identity and
   * bucket, its limits and where they come from, the tokens left, any lock, override or list
   * entry, and what its next request would get. Changes nothing in Redis or in the buckets.
   *
   * @param path a request path relative to the context, e.g. {@code /api/auth/login}; or null
   *     with {@code profile}
   * @param method the HTTP method (default {@code GET})
   * @param client an address, {@code user:<name>}, {@code key:<owner>}, {@code client:<id>} or
   *     {@code app:<id>}
   * @param plan the plan the client's verifier would name, or null
   * @param account the account the request would name ({@link BucketKey}), or null
   * @param profile a profile to explain instead of matching the path, or null
   * @return a JSON-friendly description (maps, lists, strings, numbers)
   * @throws IllegalArgumentException for a client of no known form, an unknown profile, or no
   *     path and no profile
   */
  public Map<String, Object> explain(String path, String method, String client, String plan,
      String account, String profile) {
    return Explain.of(this, path, method, client, plan, account, profile);
  }

  /**
   * The audit trail: first rejections, lockouts and operators' actions, in the log and a capped
   * Redis stream.
   */
  public AuditTrail audit() {
    return audit;
  }

  /**
   * Resets one client as an operator names it (see {@link #explain}): its buckets and locks
   * under {@code profile} (or every profile, if null), on Redis and in this instance's memory,
   * and every instance forgets what it remembered of them. Recorded in the audit trail.
   *
   * @param account the account, for profiles keyed by account ({@link BucketKey}); or null
   * @return the Redis keys removed
   * @throws IllegalArgumentException for a client of no known form or an unknown profile
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot take the removal
   */
  public long reset(String profile, String client, String account) {
    String clientKey = keyResolver.requireClientKeyOf(client);
    List<Entry> chosen = new ArrayList<>();
    if (profile == null || profile.isBlank()) {
      chosen.addAll(profiles.values());
    } else {
      Entry e = profiles.get(profile.trim());
      if (e == null) {
        throw new IllegalArgumentException("unknown rate-limit profile '" + profile
            + "'; configured: " + profiles.keySet());
      }
      chosen.add(e);
    }
    List<String> keys = new ArrayList<>();
    for (Entry e : chosen) {
      String key = e.profile().name() + ":"
          + keyResolver.bucketClient(e.profile().key(), account, clientKey);
      keys.add(KeySpace.RATE_LIMIT + key);
      keys.add(KeySpace.RATE_LIMIT + key + Lockouts.SUFFIX);
      lockouts.forgetLocal(key);
      localStore.forget(key);
    }
    long removed = 0;
    if (redisStore != null) {
      for (String k : keys) {
        removed += connector.execute(k, jedis -> jedis.del(k));
      }
      // Heard here at once, and by every other instance: remembered rejections and states go.
      connector.events().publish(new dev.ratecache.redis.Invalidation.Keys(keys));
    }
    audit.operator("reset", profile == null || profile.isBlank() ? "*" : profile.trim(),
        clientKey, removed + " keys removed");
    return removed;
  }

  /** For {@link Explain}: the profile's entry, or null. */
  Entry entryOrNull(String name) {
    return profiles.get(name);
  }

  RouteTable routes() {
    return routes;
  }

  Clock clock() {
    return clock;
  }

  ClientKeyResolver keyResolver() {
    return keyResolver;
  }

  LimitOverrides.Snapshot overridesNow() {
    return overrides == null ? LimitOverrides.Snapshot.EMPTY : overrides.current();
  }

  /** The bucket {@code key} holds, without charging it: Redis's if reachable, else this one's. */
  BucketStore.Probe peek(String key, BucketConfiguration config,
      java.util.function.Consumer<Backend> backend) {
    if (redisStore != null && connector.isAvailable()) {
      try {
        BucketStore.Probe p = redisStore.peek(key, config);
        backend.accept(Backend.REDIS);
        return p;
      } catch (RuntimeException unavailable) {
        // the memory's view, below
      }
    }
    backend.accept(Backend.LOCAL);
    return localStore.peek(key, config);
  }

  /** The lock on {@code key}'s client: Redis's if reachable, else this instance's; or null. */
  Lockouts.Lock lock(String key) {
    Lockouts.Lock local = lockouts.local(key);
    if (local != null || redisStore == null || !connector.isAvailable()) {
      return local;
    }
    try {
      return lockouts.onRedis(key);
    } catch (RuntimeException unavailable) {
      return null;
    }
  }

  /** The connector this limiter uses. */
  public RedisConnector connector() {
    return connector;
  }

  HeaderStyle headerStyle() {
    return headerStyle;
  }

  String problemType() {
    return problemType;
  }

  /**
   * The profiles guarding this request, usually none or one. The path is the one the container
   * dispatches, and the raw one too where it differs, so that no spelling the two resolve
   * differently slips through. A {@code POST} naming another method in an override header
   * ({@code X-HTTP-Method-Override} and the like) or a {@code _method} query parameter is charged
   * for both methods: the limiter cannot know whether the application honours the override, so
   * neither method's limit can be dodged. A CORS preflight is not charged unless configured.
   */
  List<RateLimitProfile> route(RequestView request) {
    String method = request.method();
    if (!chargePreflight && method.equals("OPTIONS")
        && !request.headers("Access-Control-Request-Method").isEmpty()
        && !request.headers("Origin").isEmpty()) {
      return List.of();
    }
    RateLimitProfile actual = match(method, request);
    if (!"POST".equals(method)) {
      return actual == null ? List.of() : List.of(actual);
    }
    java.util.Set<RateLimitProfile> profiles = new java.util.LinkedHashSet<>(4);
    if (actual != null) {
      profiles.add(actual);
    }
    for (String override : request.methodOverrides()) {
      RateLimitProfile overridden = match(override, request);
      if (overridden != null) {
        profiles.add(overridden);
      }
    }
    return List.copyOf(profiles);
  }

  private RateLimitProfile match(String method, RequestView request) {
    String path = request.path();
    RateLimitProfile p = routes.match(method, path);
    if (p != null) {
      return p;
    }
    String raw = request.rawPath();
    return raw.equals(path) ? null : routes.match(method, raw);
  }

  /**
   * Decides for {@code request} under {@code profile}, charging it at most once per request: a
   * decision already recorded in the request's attributes (by the servlet filter, say) is reused.
   */
  RateLimitDecision decideOnce(RateLimitProfile profile, RequestView request,
      Function<String, Object> getAttribute, BiConsumer<String, Object> setAttribute) {
    return decideOnce(profile, 0, request, getAttribute, setAttribute);
  }

  /**
   * The cost of a request under {@code profile}: a route's annotated cost if set, else the
   * profile's {@link CostFunction} of the servlet request (held to 1..1,000,000; the profile's
   * cost if it throws), else 0 (the profile's cost).
   */
  long costOf(RateLimitProfile profile, long annotated,
      jakarta.servlet.http.HttpServletRequest request) {
    if (annotated > 0) {
      return annotated;
    }
    CostFunction f = profile.costFunctionOrNull();
    if (f == null || request == null) {
      return 0;
    }
    try {
      return Math.max(1, Math.min(1_000_000, f.cost(request)));
    } catch (RuntimeException failed) {
      unexpectedFailures.warn("The cost function of profile " + profile.name()
          + " failed; charged its cost (" + profile.cost() + "): " + failed, failed);
      return 0;
    }
  }

  /**
   * {@link #decideOnce(RateLimitProfile, RequestView, Function, BiConsumer)} for a request that
   * costs {@code cost} tokens ({@code @RateLimited(cost = …)}; 0 for the profile's). A request
   * charged already for the profile at a lower cost (by the filter, say) is charged the
   * difference, so a route's cost cannot be dodged by a cheaper guard in front of it.
   */
  RateLimitDecision decideOnce(RateLimitProfile profile, long cost, RequestView request,
      Function<String, Object> getAttribute, BiConsumer<String, Object> setAttribute) {
    String attribute = DECISION_ATTRIBUTE + profile.name();
    long tokens = cost > 0 ? cost : profile.cost();
    RateLimitDecision charged = null;
    if (getAttribute.apply(attribute) instanceof RateLimitDecision earlier) {
      if (earlier.cost() >= tokens || !earlier.allowed()
          || earlier.backend() == Backend.NONE) {
        return earlier;
      }
      charged = earlier;
    }
    Entry e = entry(profile.name());
    ClientKeyResolver.Identity who = keyResolver.identify(request);
    LimitOverrides.Snapshot s = overridesNow(); // read once per decision
    boolean needsAddress = e.needsAddress() || s.deny().namesAddresses();
    RateLimitDecision d = acquire(e, who.key(),
        keyResolver.bucketClient(profile.key(), request, who.key()), who.plan(),
        needsAddress ? keyResolver.clientAddress(request) : null,
        charged == null ? tokens : tokens - charged.cost(), s);
    if (charged != null) {
      // The top-up's outcome, for the whole cost (a refused top-up keeps what was charged).
      d = d.withCost(d.allowed() ? tokens : charged.cost());
    }
    setAttribute.accept(attribute, d);
    return d;
  }

  private RateLimitDecision acquire(Entry e, String clientKey, String bucketClient, String plan,
      java.net.InetAddress address, long cost, LimitOverrides.Snapshot s) {
    if (observer == DecisionObserver.NONE) {
      return decideByPolicy(e, clientKey, bucketClient, plan, address, cost, s);
    }
    DecisionObserver.Scope scope = DecisionObserver.Scope.NONE;
    try {
      scope = observer.start(e.profile().name());
    } catch (RuntimeException failed) {
      unexpectedFailures.warn("A DecisionObserver failed: " + failed, failed);
    }
    RateLimitDecision d;
    try {
      d = decideByPolicy(e, clientKey, bucketClient, plan, address, cost, s);
    } catch (RuntimeException | Error t) {
      try {
        scope.failed(t);
      } catch (RuntimeException failed) {
        unexpectedFailures.warn("A DecisionObserver failed: " + failed, failed);
      }
      throw t;
    }
    try {
      scope.decided(d);
    } catch (RuntimeException failed) {
      unexpectedFailures.warn("A DecisionObserver failed: " + failed, failed);
    }
    return d;
  }

  /** The request attribute that marks a profile's decision as settled. */
  static final String SETTLED_ATTRIBUTE = "dev.ratecache.ratelimit.settled.";

  /** Whether any profile counts only some answers (then requests are settled when they end). */
  boolean settles() {
    return !settling.isEmpty();
  }

  /**
   * Settles, once per request and profile, every decision the request carries of a profile
   * that counts only some answers: {@code status} is the answer (500 for a request that threw).
   * Called by the filter, the JAX-RS feature and the MVC interceptor when the response is known;
   * a request settled already (by another of them, or an earlier dispatch) is left alone.
   */
  void settleRequest(Function<String, Object> getAttribute,
      BiConsumer<String, Object> setAttribute, int status) {
    for (Entry e : settling) {
      String name = e.profile().name();
      if (getAttribute.apply(DECISION_ATTRIBUTE + name) instanceof RateLimitDecision d
          && getAttribute.apply(SETTLED_ATTRIBUTE + name) == null) {
        setAttribute.accept(SETTLED_ATTRIBUTE + name, Boolean.TRUE);
        settle(d, status, getAttribute.apply(RequestAttributes.CACHE_HIT) != null);
      }
    }
  }

  /**
   * Settles a decision once its answer is known: under a profile that counts only some answers
   * ({@link RateLimitProfile#count()}), an admitted request whose answer does not count gets its
   * token back, in the store that charged it. Call it once per decision ({@link
   * #tryAcquire}'s callers); the filter, the feature and the interceptor do it themselves. A
   * refund that cannot be made (Redis unavailable) is dropped: the client keeps the charge, and
   * is never admitted more than the limit.
   *
   * @param status the answer's HTTP status (500 if the request failed)
   */
  public void settle(RateLimitDecision decision, int status) {
    settle(decision, status, false);
  }

  /**
   * {@link #settle(RateLimitDecision, int)}, and, for a profile with a {@link
   * RateLimitProfile#costOnHit()}, an answer from the cache ({@code cachedHit}) or a {@code 304}
   * gives back what its cost exceeds the cost on a hit.
   */
  public void settle(RateLimitDecision decision, int status, boolean cachedHit) {
    RateLimitProfile profile = decision.profile();
    if (!decision.allowed() || decision.backend() == Backend.NONE) {
      return;
    }
    long refund;
    if (profile.count() != CountMode.ALL && !profile.count().counts(status)) {
      refund = decision.cost(); // an answer that does not count: all of it
    } else if ((cachedHit || status == 304) && profile.costOnHit() < profile.cost()) {
      refund = Math.max(0, decision.cost() - profile.costOnHit());
    } else {
      return;
    }
    Entry e = profiles.get(profile.name());
    if (e == null || refund == 0) {
      return;
    }
    String key = profile.name() + ":" + decision.clientKey();
    try {
      if (decision.backend() == Backend.REDIS) {
        if (redisStore == null || !connector.isAvailable()) {
          return;
        }
        redisStore.refund(key, e.config(), refund);
      } else {
        localStore.refund(key, e.config(), refund);
      }
      e.refunded().increment();
    } catch (RuntimeException failed) {
      // Redis unavailable (counted and logged by the connector) or an error reply: the client
      // keeps the charge, which can only under-admit it.
      if (!(failed instanceof dev.ratecache.redis.RedisUnavailableException)) {
        unexpectedFailures.warn("Refund for profile " + profile.name() + " failed: " + failed,
            failed);
      }
    }
  }

  /**
   * The lists first (a denied client is refused and an allowed one admitted, neither charged),
   * then the limit; in shadow mode a refusal is counted as {@code would_reject} and admitted.
   */
  private RateLimitDecision decideByPolicy(Entry e, String clientKey, String bucketClient,
      String plan, java.net.InetAddress address, long cost, LimitOverrides.Snapshot s) {
    if ((!e.deny().isEmpty() && e.deny().contains(address, clientKey))
        || (!s.deny().isEmpty() && s.deny().contains(address, clientKey))) {
      e.denied().increment();
      return new RateLimitDecision(Outcome.DENIED, e.profile(), clientKey, -1, -1, 0,
          Backend.NONE, RateLimitDecision.Reason.DENIED);
    }
    if (!e.allow().isEmpty() && e.allow().contains(address, clientKey)) {
      e.allowlisted().increment();
      return new RateLimitDecision(Outcome.ALLOWED, e.profile(), clientKey, -1, -1, 0,
          Backend.NONE, RateLimitDecision.Reason.ALLOWLISTED);
    }
    RateLimitDecision d = decide(e, shape(e, clientKey, plan, s), s.revision(), bucketClient,
        cost).withCost(cost);
    if (!e.shadow()) {
      return d;
    }
    if (!d.allowed()) {
      // Counted as it would have been refused, not as refused: the profile is being tried.
      (d.outcome() == Outcome.UNAVAILABLE ? e.unavailable() : e.rejected()).decrement();
      e.wouldReject().increment();
      e.allowed().increment();
    }
    return new RateLimitDecision(Outcome.ALLOWED, d.profile(), d.clientKey(), d.remaining(),
        d.resetSeconds(), 0, d.backend(), RateLimitDecision.Reason.SHADOW, cost);
  }

  /**
   * Decides under {@code shape} (the profile with the client's limits: its own, its plan's, or
   * the profile's), in the bucket {@code <profile>:<client>} whatever the shape, so a changed
   * limit keeps the client's bucket ({@link BucketConfigurations}).
   */
  private RateLimitDecision decide(Entry e, LimitOverrides.Shape shape, long revision,
      String clientKey, long cost) {
    RateLimitProfile profile = shape.profile();
    BucketConfiguration config = shape.config();
    String key = profile.name() + ":" + clientKey;
    long now = Time.epochNanos(clock);

    // A profile that gives tokens back (count=failures) is not decided from a remembered
    // rejection: a refund on any instance can end it before its retry time.
    // A rejection is remembered (the client cannot have a token before its retry time) only for
    // a profile that never gives tokens back, and for the profile's own cost (a remembered
    // refusal of a costly request must not refuse a cheaper one).
    boolean remembers = profile.count() == CountMode.ALL && profile.costOnHit() == profile.cost()
        && cost == profile.cost();
    Lockout lockout = profile.lockoutOrNull();
    // A lock can be remembered whatever the profile counts: only an operator's reset ends one.
    RejectionMemory.KnownRejection known = remembers || lockout != null ? rejections.get(key)
        : null;
    // A rejection decided locally (Redis could not decide for this key) stands only while the
    // connector is down; while it is up (one cluster master failing, since back) Redis decides
    // again, and while the key's master still fails its local bucket does.
    if (known != null && now < known.retryAt()
        && (known.backend() != Backend.LOCAL || !connector.isAvailable())) {
      e.rejected().increment();
      if (known.blocked()) {
        e.blocked().increment();
      }
      return new RateLimitDecision(Outcome.REJECTED, profile, clientKey, 0,
          RateLimitHeaders.ceilSeconds(known.resetAt() - now, 1),
          RateLimitHeaders.ceilSeconds(known.retryAt() - now, 1), known.backend(),
          known.blocked() ? RateLimitDecision.Reason.BLOCKED : reasonOf(known.backend()));
    }
    if (lockout != null) {
      RateLimitDecision blocked = whileLocked(e, profile, key, clientKey, now);
      if (blocked != null) {
        return blocked;
      }
    }

    BucketStore.Probe p = null;
    Backend backend = Backend.REDIS;
    // Read before the bucket: a rejection read from Redis is remembered only if no reset (a
    // clear heard, or a resubscription that may have missed one) happened since.
    if (eventSubscription != null) {
      eventSubscription.ensureOpen();
    }
    long mark = rejections.mark();
    boolean unreachable = !connector.isAvailable();
    if (redisStore != null && !unreachable) {
      try {
        p = cost == 1 ? redisStore.tryConsume(key, config, revision)
            : redisStore.tryConsume(key, config, revision, cost);
        rejections.settled(key);
      } catch (RedisUnavailableException redisFailed) {
        // Already counted and logged (throttled) by the connector; decide without Redis.
        p = null;
        unreachable = true;
      } catch (RuntimeException unexpected) {
        // Not Redis being unreachable: an error reply (the connector logged it) or a defect of
        // ours, such as a command the cluster client could not route, which nothing else would
        // say. Decided without Redis all the same.
        if (!(unexpected instanceof redis.clients.jedis.exceptions.JedisException)) {
          unexpectedFailures.warn("Rate-limit decision on Redis failed for profile "
              + profile.name() + "; decided locally: " + unexpected, unexpected);
        }
        p = null;
        // A connection lost mid-command (Redis killed, a reset) says nothing of what the bucket
        // holds: as unreachable, the fallback starts from what this instance last saw.
        unreachable = unexpected
            instanceof redis.clients.jedis.exceptions.JedisConnectionException;
      }
    }
    if (p == null) {
      e.fallback().increment();
      switch (profile.fallback()) {
        case OPEN -> {
          e.allowed().increment();
          return new RateLimitDecision(Outcome.ALLOWED, profile, clientKey, -1, -1, 0,
              Backend.NONE);
        }
        case CLOSED -> {
          e.unavailable().increment();
          return new RateLimitDecision(Outcome.UNAVAILABLE, profile, clientKey, -1, -1,
              CLOSED_RETRY_SECONDS, Backend.NONE);
        }
        default -> {
          RejectionMemory.KnownRejection doubt = rejections.getForFallback(key);
          if (doubt != null && now < doubt.retryAt()) {
            // Over its limit when Redis last said: still over it, not a fresh local bucket.
            e.rejected().increment();
            return new RateLimitDecision(Outcome.REJECTED, profile, clientKey, 0,
                RateLimitHeaders.ceilSeconds(doubt.resetAt() - now, 1),
                RateLimitHeaders.ceilSeconds(doubt.retryAt() - now, 1), Backend.LOCAL);
          }
          // Redis unreachable: a bucket this instance saw there starts from what it saw, not
          // full. (After an error reply for this key what Redis holds is unknown: a fresh one.)
          p = localStore.tryConsumeSeeded(key, config,
              redisStore != null && unreachable ? redisStore.rememberedTokens(key) : -1, cost);
          backend = Backend.LOCAL;
        }
      }
    }
    if (p.consumed()) {
      e.allowed().increment();
      return new RateLimitDecision(Outcome.ALLOWED, profile, clientKey, p.remaining(),
          RateLimitHeaders.ceilSeconds(p.nanosToReset(), 0), 0, backend);
    }
    e.rejected().increment();
    audit.rejection(profile, clientKey, reasonOf(backend));
    if (lockout != null) {
      return lockOut(e, profile, lockout, key, clientKey, backend, mark);
    }
    if (remembers) {
      rejections.remember(key, new RejectionMemory.KnownRejection(now + p.nanosToRetry(),
          now + p.nanosToReset(), backend), mark);
    }
    return new RateLimitDecision(Outcome.REJECTED, profile, clientKey, 0,
        RateLimitHeaders.ceilSeconds(p.nanosToReset(), 1),
        RateLimitHeaders.ceilSeconds(p.nanosToRetry(), 1), backend);
  }

  private static RateLimitDecision.Reason reasonOf(Backend backend) {
    return backend == Backend.REDIS ? RateLimitDecision.Reason.LIMIT
        : RateLimitDecision.Reason.FALLBACK;
  }

  /**
   * A refusal if the client is locked out ({@code 429}, {@code blocked}, nothing charged): a
   * lock this instance holds from a fallback, else the one in Redis.
   */
  private RateLimitDecision whileLocked(Entry e, RateLimitProfile profile, String key,
      String clientKey, long now) {
    Lockouts.Lock lock = lockouts.local(key);
    Backend backend = Backend.LOCAL;
    if (lock == null && redisStore != null && connector.isAvailable()) {
      eventSubscription.ensureOpen(); // before anything read from Redis is remembered
      long mark = rejections.mark();
      try {
        lock = lockouts.onRedis(key);
        backend = Backend.REDIS;
      } catch (RuntimeException unavailable) {
        return null; // the bucket's decision finds Redis down too, and takes the fallback
      }
      if (lock != null) {
        remember(key, lock, backend, mark);
      }
    }
    if (lock == null) {
      return null;
    }
    e.rejected().increment();
    e.blocked().increment();
    long wait = lock.until() * 1_000_000L - now;
    return new RateLimitDecision(Outcome.REJECTED, profile, clientKey, 0,
        RateLimitHeaders.ceilSeconds(wait, 1), RateLimitHeaders.ceilSeconds(wait, 1), backend,
        RateLimitDecision.Reason.BLOCKED);
  }

  /**
   * The limit was hit under a profile with a lockout: locks the client (the next level, or the
   * running lock another instance started at the same moment) where the bucket was decided.
   */
  private RateLimitDecision lockOut(Entry e, RateLimitProfile profile, Lockout lockout,
      String key, String clientKey, Backend backend, long mark) {
    Lockouts.Lock lock;
    if (backend == Backend.REDIS) {
      try {
        lock = lockouts.escalateOnRedis(key, lockout);
      } catch (RuntimeException unavailable) {
        backend = Backend.LOCAL; // the bucket said no on Redis; the lock is kept here
        lock = lockouts.escalateLocally(key, lockout);
      }
    } else {
      lock = lockouts.escalateLocally(key, lockout);
    }
    remember(key, lock, backend, mark);
    // From now, not from the decision's start: the lock began after the bucket's round trip.
    long wait = lock.until() * 1_000_000L - Time.epochNanos(clock);
    if (lock.started()) {
      e.lockouts().increment();
      audit.lockout(profile, clientKey, lock.level(), RateLimitHeaders.ceilSeconds(wait, 1));
    }
    return new RateLimitDecision(Outcome.REJECTED, profile, clientKey, 0,
        RateLimitHeaders.ceilSeconds(wait, 1), RateLimitHeaders.ceilSeconds(wait, 1), backend);
  }

  private void remember(String key, Lockouts.Lock lock, Backend backend, long mark) {
    long until = lock.until() * 1_000_000L;
    rejections.remember(key, new RejectionMemory.KnownRejection(until, until, backend, true),
        mark);
  }

  private Entry entry(String profileName) {
    Entry e = profiles.get(profileName);
    if (e == null) {
      throw new ConfigurationException("profile", "unknown rate-limit profile '" + profileName
          + "'; configured: " + profiles.keySet());
    }
    return e;
  }

  /** Releases the Redis client if this limiter created it. */
  @Override
  public void close() {
    if (eventSubscription != null) {
      try {
        eventSubscription.close();
      } catch (Exception ignored) {
        // removing a listener does not fail
      }
    }
    audit.close();
    if (ownsConnector) {
      connector.close();
    }
  }

  /** Local buckets held now; for tests of the memory bound. */
  long localBucketCount() {
    return localStore.size();
  }

  @Override
  public String toString() {
    return "RateLimiter{" + profiles.keySet() + ", " + connector + "}";
  }

  /** Builds a {@link RateLimiter}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, RateLimitProfile> profiles = new LinkedHashMap<>();
    private ClientKeyResolver keyResolver = ClientKeyResolver.builder().build();
    private RedisConnector connector;
    private RedisSettings redisSettings;
    private java.util.function.Function<String, String> env = System::getenv;
    private Map<String, String> redisOverrides = Map.of();
    private Clock clock = Clock.systemUTC();
    private HeaderStyle headerStyle = HeaderStyle.DRAFT;
    private long localMaxBuckets = 100_000;
    private RedisBucketProtocol redisBuckets = RedisBucketProtocol.ONE_ROUND_TRIP;
    private boolean foldCase = true;
    private boolean chargePreflight;
    private String problemType = "about:blank";
    private DecisionObserver observer = DecisionObserver.NONE;
    private EnforcementMode mode = EnforcementMode.ENFORCE;
    private List<String> allow = List.of();
    private List<String> deny = List.of();
    private int maxOverrides = 10_000;
    private long auditMax = 10_000;
    private ApiKeyVerifier apiKeyVerifier;
    private boolean hearOverrides = true;
    private java.util.function.UnaryOperator<BucketStore> redisStoreDecorator =
        java.util.function.UnaryOperator.identity();

    private Builder() {
      RateLimitProfile.defaults().forEach(this::profile);
    }

    /**
     * Told of every decision (for tracing: the starter's Micrometer Observation); default none.
     * What it throws is logged, never the caller's.
     */
    public Builder observer(DecisionObserver observer) {
      this.observer = Objects.requireNonNull(observer, "observer");
      return this;
    }

    /**
     * The mode of every profile that sets none ({@code mode}); {@link EnforcementMode#SHADOW}
     * counts every refusal as {@code would_reject} and admits the request. Default enforce.
     */
    public Builder mode(EnforcementMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Clients no profile limits ({@code allow}): addresses or CIDR blocks, or {@code
     * user:<name>}, {@code key:<owner>}, {@code client:<id>}, {@code app:<id>}; admitted and
     * counted ({@code allowlisted}), never charged. A profile's own list adds to this one.
     *
     * @throws ConfigurationException from {@link #build()} for an entry of no such form
     */
    public Builder allow(List<String> clients) {
      this.allow = List.copyOf(clients);
      return this;
    }

    /**
     * Clients every profile refuses with 403 problem+json ({@code deny}), in the forms of {@link
     * #allow}; nothing is charged. The deny list wins over the allow list.
     */
    public Builder deny(List<String> clients) {
      this.deny = List.copyOf(clients);
      return this;
    }

    /**
     * The most runtime overrides ({@link RateLimiter#overrides()}) the store in Redis holds
     * ({@code overrides-max}); default 10,000. A write past it is refused.
     */
    public Builder maxOverrides(int max) {
      if (max < 1 || max > 1_000_000) {
        throw new ConfigurationException("overrides-max", "must be 1-1000000, got " + max);
      }
      this.maxOverrides = max;
      return this;
    }

    /**
     * Whether this instance hears of other instances' overrides; false only in tests, for an
     * instance that has not heard of one yet.
     */
    Builder hearOverrides(boolean hear) {
      this.hearOverrides = hear;
      return this;
    }

    /**
     * About how many records the audit trail's Redis stream keeps ({@code audit-max}); default
     * 10,000.
     */
    public Builder auditMax(long max) {
      if (max < 100 || max > 10_000_000) {
        throw new ConfigurationException("audit-max", "must be 100-10000000, got " + max);
      }
      this.auditMax = max;
      return this;
    }

    /** Adds a profile, replacing one of the same name. */
    public Builder profile(RateLimitProfile profile) {
      profiles.put(profile.name(), profile);
      return this;
    }

    /** Replaces every profile. */
    public Builder profiles(List<RateLimitProfile> replacement) {
      profiles.clear();
      replacement.forEach(this::profile);
      return this;
    }

    /** Removes a profile (for example a default one). */
    public Builder removeProfile(String name) {
      profiles.remove(name);
      return this;
    }

    /**
     * The API-key verifier {@link #params} uses when they name none ({@code api-key-verifier}):
     * for frameworks that provide one as an object (the starter's {@code ApiKeyVerifier} bean).
     * Call it before {@link #params}; a {@link #keyResolver} given directly has its own.
     */
    public Builder apiKeyVerifier(ApiKeyVerifier verifier) {
      this.apiKeyVerifier = Objects.requireNonNull(verifier, "verifier");
      return this;
    }

    ApiKeyVerifier apiKeyVerifier() {
      return apiKeyVerifier;
    }

    /** How clients are identified. */
    public Builder keyResolver(ClientKeyResolver resolver) {
      this.keyResolver = Objects.requireNonNull(resolver, "keyResolver");
      return this;
    }

    /** Use this connector (not closed by the limiter). */
    public Builder connector(RedisConnector connector) {
      this.connector = Objects.requireNonNull(connector, "connector");
      return this;
    }

    /**
     * Where the Redis settings are read from when neither {@link #connector} nor {@link #redis}
     * is given. Default: the process environment. Read by {@link #build()}, not before.
     */
    public Builder environment(java.util.function.Function<String, String> env) {
      this.env = Objects.requireNonNull(env, "env");
      return this;
    }

    /**
     * Applies settings named as {@link RateLimitFilter}'s init-params ({@code profiles}, {@code
     * profile.<name>.limit}, {@code headers}, {@code trusted-proxies}, {@code REDIS_*}...), with
     * the same validation: for frameworks that read such names from their own configuration
     * (the Spring Boot starter reads them under {@code ratecache.ratelimit.}). Redis settings
     * among them override the {@link #environment} unless a {@link #connector} is given.
     *
     * @throws ConfigurationException naming the setting that is unknown or malformed
     */
    public Builder params(Map<String, String> params) {
      return InitParams.apply(this, Objects.requireNonNull(params, "params"));
    }

    Builder redisOverrides(Map<String, String> redis) {
      this.redisOverrides = Map.copyOf(redis);
      return this;
    }

    /** Use the shared connector for these settings. Default: from the environment. */
    public Builder redis(RedisSettings settings) {
      this.redisSettings = Objects.requireNonNull(settings, "settings");
      this.connector = null;
      return this;
    }

    /** The time source for buckets; tests pass a clock they advance. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Which headers to send. Default {@link HeaderStyle#DRAFT}. */
    public Builder headerStyle(HeaderStyle style) {
      this.headerStyle = Objects.requireNonNull(style, "headerStyle");
      return this;
    }

    /** The most local buckets (and cached rejections) held in memory. Default 100,000. */
    public Builder localMaxBuckets(long max) {
      if (max < 1) {
        throw new ConfigurationException("local-max-buckets", "must be at least 1, got " + max);
      }
      this.localMaxBuckets = max;
      return this;
    }

    /**
     * How decisions reach the buckets in Redis. Default {@link
     * RedisBucketProtocol#ONE_ROUND_TRIP}.
     */
    public Builder redisBuckets(RedisBucketProtocol protocol) {
      this.redisBuckets = Objects.requireNonNull(protocol, "protocol");
      return this;
    }

    /**
     * Whether {@code /API/Chat} matches the prefix {@code /api/chat}. Default true: a path that a
     * case-insensitive resource may serve cannot escape its limit by changing case.
     */
    public Builder caseInsensitivePaths(boolean foldCase) {
      this.foldCase = foldCase;
      return this;
    }

    /**
     * Whether a CORS preflight ({@code OPTIONS} with {@code Origin} and {@code
     * Access-Control-Request-Method}) costs a token. Default false: browsers send one before
     * many cross-origin requests, and charging it would halve the allowance of a browser client.
     */
    public Builder chargePreflight(boolean charge) {
      this.chargePreflight = charge;
      return this;
    }

    /** The {@code type} of problem+json rejections (RFC 9457). Default {@code about:blank}. */
    public Builder problemType(String uri) {
      try {
        java.net.URI.create(uri);
      } catch (IllegalArgumentException | NullPointerException e) {
        throw new ConfigurationException("problem-type", "'" + uri + "' is not a URI");
      }
      this.problemType = uri;
      return this;
    }

    /** Wraps the Redis bucket store; for tests that need to act in the middle of a decision. */
    Builder redisStoreDecorator(java.util.function.UnaryOperator<BucketStore> decorator) {
      this.redisStoreDecorator = Objects.requireNonNull(decorator, "decorator");
      return this;
    }

    /**
     * Validates and builds.
     *
     * @throws ConfigurationException if the profiles conflict
     */
    public RateLimiter build() {
      return new RateLimiter(this);
    }
  }
}
