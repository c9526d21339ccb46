package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A named set of limits and the URL prefixes and HTTP methods they guard; an immutable value.
 *
 * <p>{@link #defaults()} gives the four profiles of the original design:
 *
 * <table>
 *   <caption>default profiles</caption>
 *   <tr><th>profile</th><th>prefix</th><th>limit</th></tr>
 *   <tr><td>chat</td><td>/api/chat</td><td>20 / minute</td></tr>
 *   <tr><td>auth</td><td>/api/auth</td><td>5 / 15 minutes</td></tr>
 *   <tr><td>upload</td><td>/api/upload</td><td>5 / minute</td></tr>
 *   <tr><td>search</td><td>/api/search</td><td>30 / minute</td></tr>
 * </table>
 */
public final class RateLimitProfile {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");

  private final String name;
  private final List<Limit> limits;
  private final List<String> prefixes;
  private final Set<String> methods;
  private final FallbackMode fallback;
  /** Null: the limiter's mode. */
  private final EnforcementMode mode;
  private final List<String> allow;
  private final List<String> deny;
  private final CountMode count;
  /** Null: no lockout. */
  private final Lockout lockout;
  private final BucketKey key;
  private final long cost;
  private final long costOnHit;
  /** Null: every request costs {@link #cost}. */
  private final CostFunction costFunction;
  /** Limits per plan, for clients a verifier or the application puts on one. */
  private final java.util.Map<String, List<Limit>> planLimits;
  /** The RateLimit-Policy header value: constant per profile, so formatted once. */
  private final String policyHeader;

  private RateLimitProfile(Builder b) {
    this.name = b.name;
    this.limits = List.copyOf(b.limits);
    this.prefixes = List.copyOf(b.prefixes);
    this.methods = Set.copyOf(b.methods);
    this.fallback = b.fallback;
    this.mode = b.mode;
    this.allow = List.copyOf(b.allow);
    this.deny = List.copyOf(b.deny);
    this.count = b.count;
    this.lockout = b.lockout;
    this.key = b.key;
    this.cost = b.cost;
    this.costOnHit = b.costOnHit < 0 ? b.cost : b.costOnHit;
    this.costFunction = b.costFunction;
    this.planLimits = java.util.Collections.unmodifiableMap(
        new java.util.LinkedHashMap<>(b.planLimits));
    this.policyHeader = RateLimitHeaders.policy(this);
  }

  String policyHeader() {
    return policyHeader;
  }

  /**
   * A builder for a profile.
   *
   * @param name lower-case letters, digits, {@code _} and {@code -}; used in Redis keys and in the
   *     RateLimit headers
   * @throws ConfigurationException if the name is not of that form
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The built-in profiles: chat, auth, upload and search. */
  public static List<RateLimitProfile> defaults() {
    return List.of(
        builder("chat").limit(Limit.of(20, Duration.ofMinutes(1))).prefix("/api/chat").build(),
        builder("auth").limit(Limit.of(5, Duration.ofMinutes(15))).prefix("/api/auth").build(),
        builder("upload").limit(Limit.of(5, Duration.ofMinutes(1))).prefix("/api/upload").build(),
        builder("search").limit(Limit.of(30, Duration.ofMinutes(1))).prefix("/api/search")
            .build());
  }

  public String name() {
    return name;
  }

  /** One or more limits; a request must pass all of them. */
  public List<Limit> limits() {
    return limits;
  }

  /** The URL prefixes guarded, normalised; may be empty for annotation-only profiles. */
  public List<String> prefixes() {
    return prefixes;
  }

  /** Upper-case HTTP methods this profile applies to; empty means every method. */
  public Set<String> methods() {
    return methods;
  }

  public FallbackMode fallback() {
    return fallback;
  }

  /** The longest period among the limits. */
  Duration longestPeriod() {
    return java.util.stream.Stream.concat(limits.stream(),
            planLimits.values().stream().flatMap(List::stream))
        .map(Limit::period).max(Duration::compareTo).orElseThrow();
  }

  /** A builder that starts from this profile. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.limits.addAll(limits);
    b.prefixes.addAll(prefixes);
    b.methods.addAll(methods);
    b.fallback = fallback;
    b.mode = mode;
    b.allow.addAll(allow);
    b.deny.addAll(deny);
    b.count = count;
    b.planLimits.putAll(planLimits);
    b.lockout = lockout;
    b.key = key;
    b.cost = cost;
    b.costOnHit = costOnHit == cost ? -1 : costOnHit;
    b.costFunction = costFunction;
    return b;
  }

  /** What works out a request's cost from the request ({@code cost-function}), if anything. */
  public java.util.Optional<CostFunction> costFunction() {
    return java.util.Optional.ofNullable(costFunction);
  }

  CostFunction costFunctionOrNull() {
    return costFunction;
  }

  /** The tokens a request costs ({@code cost}); default 1. */
  public long cost() {
    return cost;
  }

  /**
   * The tokens a request costs in the end when its answer came from a cache ({@code @CachedQuery}
   * hit) or was {@code 304 Not Modified} ({@code cost-on-hit}); equal to {@link #cost()} unless
   * set. The difference is given back when the answer is known.
   */
  public long costOnHit() {
    return costOnHit;
  }

  /** The escalating lockout after the limit is hit ({@code lockout}), if any. */
  public java.util.Optional<Lockout> lockout() {
    return java.util.Optional.ofNullable(lockout);
  }

  /** Whose bucket is charged ({@code key}); default {@link BucketKey#CLIENT}. */
  public BucketKey key() {
    return key;
  }

  /** The lockout or null, for the decision path. */
  Lockout lockoutOrNull() {
    return lockout;
  }

  /**
   * The limits of clients on each plan ({@code profile.<name>.limit.<plan>}); a client on a plan
   * not named here, or on none, has {@link #limits()}.
   */
  public java.util.Map<String, List<Limit>> planLimits() {
    return planLimits;
  }

  /**
   * This profile deciding with {@code replacement} limits (a plan's, an operator's override):
   * its headers and refusals then report those.
   */
  RateLimitProfile withLimits(List<Limit> replacement) {
    return toBuilder().limits(replacement).build();
  }

  /** Whether {@code plan} is a well-formed plan name (as profile names are). */
  static boolean isPlanName(String plan) {
    return plan != null && NAME.matcher(plan).matches();
  }

  /** Which requests count ({@code count}); default {@link CountMode#ALL}. */
  public CountMode count() {
    return count;
  }

  /** This profile's own mode, or empty to take the limiter's ({@code mode}, default enforce). */
  public java.util.Optional<EnforcementMode> mode() {
    return java.util.Optional.ofNullable(mode);
  }

  /** Clients this profile never limits (besides the limiter's own allow list). */
  public List<String> allow() {
    return allow;
  }

  /** Clients this profile refuses with 403 (besides the limiter's own deny list). */
  public List<String> deny() {
    return deny;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RateLimitProfile p && name.equals(p.name) && limits.equals(p.limits)
        && prefixes.equals(p.prefixes) && methods.equals(p.methods) && fallback == p.fallback
        && mode == p.mode && allow.equals(p.allow) && deny.equals(p.deny) && count == p.count
        && planLimits.equals(p.planLimits) && Objects.equals(lockout, p.lockout)
        && key == p.key && cost == p.cost && costOnHit == p.costOnHit
        && Objects.equals(costFunction, p.costFunction);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, limits, prefixes, methods, fallback, mode, allow, deny, count,
        planLimits, lockout, key, cost, costOnHit);
  }

  @Override
  public String toString() {
    return "RateLimitProfile{" + name + " " + limits + " on " + prefixes
        + (methods.isEmpty() ? "" : " " + methods) + ", fallback " + fallback
        + (mode == null ? "" : ", " + mode) + (allow.isEmpty() ? "" : ", allow " + allow)
        + (deny.isEmpty() ? "" : ", deny " + deny)
        + (count == CountMode.ALL ? "" : ", counts " + count)
        + (planLimits.isEmpty() ? "" : ", plans " + planLimits)
        + (lockout == null ? "" : ", " + lockout)
        + (key == BucketKey.CLIENT ? "" : ", by " + key)
        + (cost == 1 ? "" : ", cost " + cost)
        + (costOnHit == cost ? "" : ", " + costOnHit + " on a hit") + "}";
  }

  /** Builds a {@link RateLimitProfile}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<Limit> limits = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();
    private final Set<String> methods = new LinkedHashSet<>();
    private FallbackMode fallback = FallbackMode.LOCAL;
    private EnforcementMode mode;
    private final List<String> allow = new ArrayList<>();
    private final List<String> deny = new ArrayList<>();
    private CountMode count = CountMode.ALL;
    private final java.util.Map<String, List<Limit>> planLimits = new java.util.LinkedHashMap<>();
    private Lockout lockout;
    private BucketKey key = BucketKey.CLIENT;
    private long cost = 1;
    /** -1: the cost. */
    private long costOnHit = -1;
    private CostFunction costFunction;

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new ConfigurationException("profile", "name '" + name
            + "' must be 1-64 lower-case letters, digits, '_' or '-', starting with a letter"
            + " or digit");
      }
      this.name = name;
    }

    /** Adds a limit. */
    public Builder limit(Limit limit) {
      limits.add(Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /** Replaces every limit. */
    public Builder limits(List<Limit> replacement) {
      limits.clear();
      replacement.forEach(this::limit);
      return this;
    }

    /** Adds a URL prefix, relative to the context path, such as {@code /api/chat}. */
    public Builder prefix(String prefix) {
      String setting = "profile." + name + ".prefixes";
      if (prefix == null || !prefix.startsWith("/")) {
        throw new ConfigurationException(setting, "prefix '" + prefix + "' must start with '/'");
      }
      prefixes.add(PathNormalizer.normalize(prefix, false));
      return this;
    }

    /** Replaces every prefix. */
    public Builder prefixes(List<String> replacement) {
      prefixes.clear();
      replacement.forEach(this::prefix);
      return this;
    }

    /** Restricts the profile to these HTTP methods (default: every method). */
    public Builder methods(String... names) {
      methods.clear();
      for (String m : names) {
        String upper = m.trim().toUpperCase(Locale.ROOT);
        if (!METHOD.matcher(upper).matches()) {
          throw new ConfigurationException("profile." + name + ".methods",
              "'" + m + "' is not an HTTP method");
        }
        methods.add(upper);
      }
      return this;
    }

    /** What to do while Redis is unavailable. Default {@link FallbackMode#LOCAL}. */
    public Builder fallback(FallbackMode mode) {
      this.fallback = Objects.requireNonNull(mode, "fallback");
      return this;
    }

    /**
     * {@link EnforcementMode#SHADOW} to compute and count every decision but refuse nothing (try
     * a limit on real traffic first); default the limiter's mode.
     */
    public Builder mode(EnforcementMode mode) {
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /**
     * Clients never limited by this profile: addresses or CIDR blocks, or {@code user:<name>},
     * {@code key:<owner>}, {@code client:<id>}, {@code app:<id>} (checked when the limiter is
     * built). Counted, not charged.
     */
    public Builder allow(List<String> clients) {
      allow.clear();
      allow.addAll(clients);
      return this;
    }

    /**
     * Which requests count: {@link CountMode#FAILURES} for a login route (only 4xx/5xx answers,
     * and requests that throw, use the limit). Each request is charged on arrival and given its
     * token back if its answer does not count, so concurrent requests never exceed the limit.
     */
    public Builder count(CountMode count) {
      this.count = Objects.requireNonNull(count, "count");
      return this;
    }

    /**
     * The limits of clients on {@code plan} ({@code profile.<name>.limit.<plan>}, e.g. {@code
     * pro} at 200/1m): who is on which plan is said by the {@link ApiKeyVerifier} (its {@link
     * ApiKeyVerifier.Owner#plan()}), by the application in the request attribute {@link
     * ClientKeyResolver#PLAN_ATTRIBUTE}, or by an operator at run time ({@link
     * LimitOverrides#assignPlan}); never by the client.
     *
     * @throws ConfigurationException if the plan name is malformed or no limit is given
     */
    public Builder planLimits(String plan, List<Limit> limits) {
      String setting = "profile." + name + ".limit." + plan;
      if (!isPlanName(plan)) {
        throw new ConfigurationException(setting, "plan name '" + plan
            + "' must be 1-64 lower-case letters, digits, '_' or '-'");
      }
      if (limits.isEmpty()) {
        throw new ConfigurationException(setting, "must give at least one limit, e.g. 200/1m");
      }
      limits.forEach(l -> Objects.requireNonNull(l, "limit"));
      planLimits.put(plan, List.copyOf(limits));
      return this;
    }

    /**
     * After the limit is hit, blocks the client for {@link Lockout#first()}, doubling on each
     * further lockout up to {@link Lockout#max()}, reset after {@link Lockout#reset()} of quiet
     * ({@code lockout}, {@code lockout-max}, {@code lockout-reset}); {@code null} for none.
     */
    public Builder lockout(Lockout lockout) {
      this.lockout = lockout;
      return this;
    }

    /**
     * Whose bucket is charged ({@code key}: {@code client}, {@code account} or {@code
     * account+client}); default the client.
     */
    public Builder key(BucketKey key) {
      this.key = Objects.requireNonNull(key, "key");
      return this;
    }

    /**
     * The tokens a request costs ({@code cost}, 1 to 1,000,000; default 1): a bulk export
     * costing 10 takes ten requests' worth of the limit. {@code @RateLimited(cost = …)} sets it
     * for one route.
     *
     * @throws ConfigurationException if out of range
     */
    public Builder cost(long tokens) {
      if (tokens < 1 || tokens > 1_000_000) {
        throw new ConfigurationException("profile." + name + ".cost",
            "must be 1-1000000, got " + tokens);
      }
      this.cost = tokens;
      return this;
    }

    /**
     * Works out each request's cost from the request ({@code cost-function}); {@link #cost} is
     * charged where it cannot run (no servlet request) or when it throws. {@code null}: none.
     */
    public Builder costFunction(CostFunction function) {
      this.costFunction = function;
      return this;
    }

    /**
     * The tokens a request costs in the end when its answer came from the cache or was a {@code
     * 304} ({@code cost-on-hit}, 0 to the cost): charged the full cost on arrival, given the
     * difference back when the answer is known. Only a library that owns both the limiter and
     * the cache can charge this way.
     *
     * @throws ConfigurationException if out of range (checked against the cost by {@link
     *     #build})
     */
    public Builder costOnHit(long tokens) {
      if (tokens < 0) {
        throw new ConfigurationException("profile." + name + ".cost-on-hit",
            "must not be negative, got " + tokens);
      }
      this.costOnHit = tokens;
      return this;
    }

    /** Clients this profile refuses with 403, in the forms of {@link #allow}; nothing charged. */
    public Builder deny(List<String> clients) {
      deny.clear();
      deny.addAll(clients);
      return this;
    }

    /**
     * Validates and returns the profile.
     *
     * @throws ConfigurationException if it has no limit
     */
    public RateLimitProfile build() {
      if (limits.isEmpty()) {
        throw new ConfigurationException("profile." + name + ".limit",
            "profile '" + name + "' needs at least one limit, e.g. 20/1m");
      }
      if (costOnHit > cost) {
        throw new ConfigurationException("profile." + name + ".cost-on-hit", "(" + costOnHit
            + ") must not exceed the cost (" + cost + ")");
      }
      return new RateLimitProfile(this);
    }
  }
}
