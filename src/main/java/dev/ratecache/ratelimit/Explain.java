package dev.ratecache.ratelimit;

import dev.ratecache.internal.Hashing;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.Time;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@link RateLimiter#explain}: what the limiter would do with one client's next request under
 * each profile a request matches, and why, read without changing anything (a bucket is peeked,
 * never charged; a lock is read, never started).
 */
final class Explain {
  private Explain() {}

  static Map<String, Object> of(RateLimiter limiter, String path, String method, String client,
      String plan, String account, String profileName) {
    ClientKeyResolver resolver = limiter.keyResolver();
    String named = client == null ? "" : client.trim();
    String clientKey = resolver.requireClientKeyOf(named);
    if (plan != null && !plan.isBlank() && !RateLimitProfile.isPlanName(plan.trim())) {
      throw new IllegalArgumentException("plan '" + plan + "' is not a plan name");
    }
    String verb = method == null || method.isBlank() ? "GET"
        : method.trim().toUpperCase(Locale.ROOT);
    List<RateLimitProfile> matched = new ArrayList<>();
    if (profileName != null && !profileName.isBlank()) {
      RateLimiter.Entry e = limiter.entryOrNull(profileName.trim());
      if (e == null) {
        throw new IllegalArgumentException("unknown rate-limit profile '" + profileName
            + "'; configured: " + limiter.profiles().stream().map(RateLimitProfile::name)
            .toList());
      }
      matched.add(e.profile());
    } else if (path != null && !path.isBlank()) {
      if (!path.startsWith("/")) {
        throw new IllegalArgumentException("path '" + path + "' must start with '/'");
      }
      RateLimitProfile p = limiter.routes().match(verb, path.trim());
      if (p != null) {
        matched.add(p);
      }
    } else {
      throw new IllegalArgumentException("give a path (with a method) or a profile");
    }

    InetAddress address = named.matches("[0-9A-Fa-f.:]+") ? IpAddress.parse(named) : null;
    LimitOverrides.Snapshot s = limiter.overridesNow();
    String assigned = s.plans().get(clientKey);
    String effectivePlan = assigned != null ? assigned
        : plan == null || plan.isBlank() ? null : plan.trim();

    Map<String, Object> out = new LinkedHashMap<>();
    out.put("request", verb + " " + (path == null ? "(profile " + profileName + ")" : path));
    Map<String, Object> identity = new LinkedHashMap<>();
    identity.put("named", named);
    identity.put("as", ClientKeyResolver.kindOf(clientKey));
    identity.put("clientKey", clientKey);
    identity.put("hash", Hashing.sha256Short(clientKey));
    identity.put("plan", effectivePlan);
    identity.put("planFrom", assigned != null ? "operator (runtime override)"
        : effectivePlan != null ? "given (as the API key's verifier or the application would"
            + " name it)" : "none");
    identity.put("note", "a request is identified, in order, by the application's "
        + ClientKeyResolver.CLIENT_ATTRIBUTE + " attribute, the principal, a verified API key,"
        + " then the address after trusted proxies");
    out.put("identity", identity);
    out.put("overridesRevision", s.revision());
    if (matched.isEmpty()) {
      out.put("profiles", List.of());
      out.put("next", "allowed: no profile guards " + verb + " " + path);
      return out;
    }
    List<Map<String, Object>> profiles = new ArrayList<>();
    for (RateLimitProfile p : matched) {
      profiles.add(profile(limiter, limiter.entryOrNull(p.name()), s, clientKey, address,
          effectivePlan, account));
    }
    out.put("profiles", profiles);
    out.put("next", profiles.get(0).get("next"));
    return out;
  }

  private static Map<String, Object> profile(RateLimiter limiter, RateLimiter.Entry e,
      LimitOverrides.Snapshot s, String clientKey, InetAddress address, String plan,
      String account) {
    RateLimitProfile p = e.profile();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("profile", p.name());
    m.put("prefixes", p.prefixes());
    m.put("methods", p.methods());
    m.put("mode", e.shadow() ? "shadow" : "enforce");
    m.put("count", p.count().name().toLowerCase(Locale.ROOT));
    String bucketClient = limiter.keyResolver().bucketClient(p.key(), account, clientKey);
    m.put("bucketKey", p.key().toString());
    String key = p.name() + ":" + bucketClient;
    m.put("redisKey", KeySpace.RATE_LIMIT + key);

    LimitOverrides.Shape shape = RateLimiter.shape(e, clientKey, plan, s);
    m.put("limits", shape.profile().limits().stream().map(Limit::toString).toList());
    m.put("limitsFrom", limitsFrom(e, s, clientKey, plan, shape));

    boolean denied = e.deny().contains(address, clientKey);
    boolean deniedNow = s.deny().contains(address, clientKey);
    boolean allowed = e.allow().contains(address, clientKey);
    Map<String, Object> lists = new LinkedHashMap<>();
    lists.put("deny", denied);
    lists.put("operatorDeny", deniedNow);
    lists.put("allow", allowed);
    m.put("lists", lists);

    RateLimitDecision.Backend[] backend = new RateLimitDecision.Backend[1];
    BucketStore.Probe probe = limiter.peek(key, shape.config(), b -> backend[0] = b);
    m.put("tokens", probe.remaining());
    m.put("fullInSeconds", RateLimitHeaders.ceilSeconds(probe.nanosToReset(), 0));
    m.put("from", backend[0].name().toLowerCase(Locale.ROOT));
    Lockouts.Lock lock = p.lockoutOrNull() == null ? null : limiter.lock(key);
    long nowMs = Time.epochNanos(limiter.clock()) / 1_000_000L;
    if (p.lockoutOrNull() != null) {
      m.put("lockout", p.lockoutOrNull().toString());
      m.put("lock", lock == null ? null : Map.of("until", Instant.ofEpochMilli(lock.until())
          .toString(), "secondsLeft", Math.max(1, (lock.until() - nowMs + 999) / 1000),
          "level", lock.level()));
    }
    m.put("next", next(e, denied || deniedNow, allowed, lock, probe, nowMs));
    return m;
  }

  private static String next(RateLimiter.Entry e, boolean denied, boolean allowed,
      Lockouts.Lock lock, BucketStore.Probe probe, long nowMs) {
    if (denied) {
      return "denied (403): on a deny list; nothing charged";
    }
    if (allowed) {
      return "allowed: on the allow list; nothing charged";
    }
    String verdict;
    if (lock != null) {
      verdict = "blocked (429) for " + Math.max(1, (lock.until() - nowMs + 999) / 1000)
          + " s: locked out (level " + lock.level() + ")";
    } else if (probe.remaining() > 0) {
      verdict = "allowed: " + (probe.remaining() - 1) + " left after it";
    } else {
      verdict = "rejected (429): retry in "
          + RateLimitHeaders.ceilSeconds(probe.nanosToRetry(), 1) + " s"
          + (e.profile().lockoutOrNull() != null ? ", and locked out" : "");
    }
    return e.shadow() && !verdict.startsWith("allowed")
        ? "allowed (shadow mode; would be " + verdict + ")" : verdict;
  }

  private static String limitsFrom(RateLimiter.Entry e, LimitOverrides.Snapshot s,
      String clientKey, String plan, LimitOverrides.Shape shape) {
    String name = e.profile().name();
    if (shape == s.limits().get(LimitOverrides.clientLimitKey(name, clientKey))) {
      return "operator override for this client";
    }
    if (plan != null && shape == s.limits().get(LimitOverrides.planLimitKey(name, plan))) {
      return "operator override for plan " + plan;
    }
    if (plan != null && shape == e.plans().get(plan)) {
      return "plan " + plan + " (profile." + name + ".limit." + plan + ")";
    }
    return "the profile (profile." + name + ".limit)";
  }

}
