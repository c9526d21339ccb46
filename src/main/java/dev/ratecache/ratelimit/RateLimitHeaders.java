package dev.ratecache.ratelimit;

import java.util.List;
import java.util.function.BiConsumer;

/**
 * Formats rate-limit response headers; pure.
 *
 * <p>Draft style (draft-ietf-httpapi-ratelimit-headers-11, structured fields):
 * {@code RateLimit-Policy: "chat";q=20;w=60} names each limit with its quota {@code q} and window
 * {@code w} in seconds; {@code RateLimit: "chat";r=17;t=9} gives the remaining quota {@code r} and
 * the seconds {@code t} until it is whole again. A profile with several limits lists each policy
 * ({@code "api"}, {@code "api-2"}, …); {@code RateLimit} then reports the profile's tightest
 * remaining quota under its first policy name. Legacy style: {@code X-RateLimit-Limit} (the first
 * limit's capacity), {@code X-RateLimit-Remaining}, {@code X-RateLimit-Reset} (seconds from now).
 * {@code Retry-After} (RFC 9110, whole seconds) is sent on every rejection whatever the style.
 */
final class RateLimitHeaders {
  private RateLimitHeaders() {}

  static String policy(RateLimitProfile profile) {
    List<Limit> limits = profile.limits();
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < limits.size(); i++) {
      if (i > 0) {
        b.append(", ");
      }
      Limit l = limits.get(i);
      b.append('"').append(policyName(profile, i)).append("\";q=").append(l.capacity())
          .append(";w=").append(l.windowSeconds());
    }
    return b.toString();
  }

  static String policyName(RateLimitProfile profile, int index) {
    return index == 0 ? profile.name() : profile.name() + "-" + (index + 1);
  }

  static String rateLimit(RateLimitDecision d) {
    return "\"" + policyName(d.profile(), 0) + "\";r=" + d.remaining() + ";t=" + d.resetSeconds();
  }

  /** Sets the headers for {@code d} in {@code style} through {@code setHeader}. */
  static void apply(RateLimitDecision d, HeaderStyle style, BiConsumer<String, String> setHeader) {
    if (d.reason() == RateLimitDecision.Reason.SHADOW || d.outcome()
        == RateLimitDecision.Outcome.DENIED) {
      return; // a limit being tried says nothing to clients; a denied client has no limit
    }
    boolean known = d.remaining() >= 0;
    if (style == HeaderStyle.DRAFT || style == HeaderStyle.BOTH) {
      setHeader.accept("RateLimit-Policy", d.profile().policyHeader());
      if (known) {
        setHeader.accept("RateLimit", rateLimit(d));
      }
    }
    if ((style == HeaderStyle.LEGACY || style == HeaderStyle.BOTH) && known) {
      setHeader.accept("X-RateLimit-Limit", String.valueOf(d.profile().limits().get(0).capacity()));
      setHeader.accept("X-RateLimit-Remaining", String.valueOf(d.remaining()));
      setHeader.accept("X-RateLimit-Reset", String.valueOf(d.resetSeconds()));
    }
    if (d.outcome() != RateLimitDecision.Outcome.ALLOWED && d.retryAfterSeconds() > 0) {
      setHeader.accept("Retry-After", String.valueOf(d.retryAfterSeconds()));
    }
  }

  /** Whole seconds, rounded up, at least {@code min}. */
  static long ceilSeconds(long nanos, long min) {
    long s = nanos <= 0 ? 0 : (nanos + 999_999_999L) / 1_000_000_000L;
    return Math.max(min, s);
  }
}
