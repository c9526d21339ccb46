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
 * @param reason why: the limit, the fallback, a deny or allow list, or shadow mode
 * @param cost the tokens the request was charged, or would have been (1 unless weighted)
 */
public record RateLimitDecision(
    Outcome outcome,
    RateLimitProfile profile,
    String clientKey,
    long remaining,
    long resetSeconds,
    long retryAfterSeconds,
    Backend backend,
    Reason reason,
    long cost) {

  /** A decision of a request that costs one token. */
  public RateLimitDecision(Outcome outcome, RateLimitProfile profile, String clientKey,
      long remaining, long resetSeconds, long retryAfterSeconds, Backend backend,
      Reason reason) {
    this(outcome, profile, clientKey, remaining, resetSeconds, retryAfterSeconds, backend,
        reason, 1);
  }

  /** This decision for a request that costs {@code tokens}. */
  RateLimitDecision withCost(long tokens) {
    return tokens == cost ? this : new RateLimitDecision(outcome, profile, clientKey, remaining,
        resetSeconds, retryAfterSeconds, backend, reason, tokens);
  }

  /**
   * A decision for its limit: {@link Reason#LIMIT} on Redis, {@link Reason#FALLBACK} otherwise.
   */
  public RateLimitDecision(Outcome outcome, RateLimitProfile profile, String clientKey,
      long remaining, long resetSeconds, long retryAfterSeconds, Backend backend) {
    this(outcome, profile, clientKey, remaining, resetSeconds, retryAfterSeconds, backend,
        backend == Backend.REDIS ? Reason.LIMIT : Reason.FALLBACK);
  }

  /** Why the decision is what it is (in metrics and in refusal bodies). */
  public enum Reason {
    /** The client's bucket on Redis decided. */
    LIMIT,
    /** Decided without Redis: a local bucket, or the profile's open or closed fallback. */
    FALLBACK,
    /** The client is on a deny list: 403 Forbidden, nothing charged. */
    DENIED,
    /**
     * The client is locked out ({@link RateLimitProfile#lockout()}): 429 until the block ends,
     * nothing charged.
     */
    BLOCKED,
    /** The client is on an allow list: admitted, nothing charged. */
    ALLOWLISTED,
    /**
     * The profile is in shadow mode: admitted whatever its limit said (a refusal it would have
     * made is counted as {@code would_reject}), and no rate-limit headers are sent.
     */
    SHADOW
  }

  /** What happens to the request. */
  public enum Outcome {
    /** Admitted. */
    ALLOWED,
    /** Over the limit: 429 Too Many Requests. */
    REJECTED,
    /** Redis is down and the profile fails closed: 503 Service Unavailable. */
    UNAVAILABLE,
    /** The client is on a deny list: 403 Forbidden. */
    DENIED
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
