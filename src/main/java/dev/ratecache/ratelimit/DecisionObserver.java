package dev.ratecache.ratelimit;

/**
 * Told of every rate-limit decision as it is made, on the deciding thread: for tracing and timing
 * (the Spring Boot starter turns each into a Micrometer Observation named {@code
 * rate_limit.decision}). Counters need none of this: {@link RateLimiter#stats()} keeps them.
 *
 * <p>Implementations must be thread-safe and quick. What they throw is logged (throttled) and
 * never changes a decision.
 */
public interface DecisionObserver {
  /** Observes nothing (the default). */
  DecisionObserver NONE = profile -> Scope.NONE;

  /**
   * A decision for {@code profile} begins.
   *
   * @return what is told how it ended
   */
  Scope start(String profile);

  /** One decision being made. */
  interface Scope {
    /** Nothing to tell. */
    Scope NONE = new Scope() {
      @Override
      public void decided(RateLimitDecision decision) {}

      @Override
      public void failed(Throwable error) {}
    };

    /** The decision made. */
    void decided(RateLimitDecision decision);

    /** No decision: the limiter failed (a defect; decisions do not throw on Redis failures). */
    void failed(Throwable error);
  }
}
