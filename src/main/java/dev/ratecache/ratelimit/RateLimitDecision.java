package dev.ratecache.ratelimit;

/**
 * The answer for one request: a value, never an exception.
 *
 * @param outcome admitted, rejected (429) or refused because Redis is down and the profile is
 *     {@link FallbackMode#CLOSED} (503)
 * @param profile the profile that decided
 * @param clientKey who was charged
 * @param remaining requests left in the current window, or -1 when unknown ({@link
 *     FallbackMode#OPEN} and {@link FallbackMode#CLOSED} while Redis is down)
 * @param resetSeconds whole seconds until the bucket is full again, or -1 when unknown
 * @param retryAfterSeconds for a rejection, whole seconds (at least 1) until a retry can succeed;
 *     0 otherwise
 * @param backend which store decided
 */
public record RateLimitDecision(
    Outcome outcome,
    RateLimitProfile profile,
    String clientKey,
    long remaining,
    long resetSeconds,
    long retryAfterSeconds,
    Backend backend) {

  /** What happens to the request. */
  public enum Outcome {
    /** Admitted. */
    ALLOWED,
    /** Over the limit: 429 Too Many Requests. */
    REJECTED,
    /** Redis is down and the profile fails closed: 503 Service Unavailable. */
    UNAVAILABLE
  }

  /** Which store decided. */
  public enum Backend {
    /** Redis buckets, shared by every instance. */
    REDIS,
    /** This instance's memory (Redis down, {@link FallbackMode#LOCAL}). */
    LOCAL,
    /** No bucket was consulted ({@link FallbackMode#OPEN} or {@link FallbackMode#CLOSED}). */
    NONE
  }

  /** True if the request may proceed. */
  public boolean allowed() {
    return outcome == Outcome.ALLOWED;
  }
}
