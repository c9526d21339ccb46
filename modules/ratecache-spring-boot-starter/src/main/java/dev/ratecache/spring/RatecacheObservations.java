package dev.ratecache.spring;

import dev.ratecache.cache.LookupObserver;
import dev.ratecache.ratelimit.DecisionObserver;
import dev.ratecache.ratelimit.RateLimitDecision;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * Decisions and cache lookups as Micrometer Observations, so traces show them and Boot's
 * observation handlers time them: {@code rate_limit.decision} (low-cardinality keys {@code
 * profile}, {@code outcome}, {@code backend}) and {@code ratecache.cache.lookup} ({@code
 * category}, {@code result} hit or miss, {@code backend} redis or memory). Nothing is made while
 * the registry is the no-op one. Thread-safe.
 */
final class RatecacheObservations {
  static final String DECISION = "rate_limit.decision";
  static final String LOOKUP = "ratecache.cache.lookup";

  private final Supplier<ObservationRegistry> source;
  private volatile ObservationRegistry registry;

  /** @param source the application's registry, asked for once, on the first decision or lookup */
  RatecacheObservations(Supplier<ObservationRegistry> source) {
    this.source = source;
  }

  private ObservationRegistry registry() {
    ObservationRegistry r = registry;
    if (r == null) {
      r = source.get();
      registry = r = r != null ? r : ObservationRegistry.NOOP;
    }
    return r;
  }

  DecisionObserver decisions() {
    return profile -> {
      ObservationRegistry r = registry();
      if (r.isNoop()) {
        return DecisionObserver.Scope.NONE;
      }
      Observation o = Observation.createNotStarted(DECISION, r)
          .contextualName("rate_limit " + profile).lowCardinalityKeyValue("profile", profile)
          .start();
      return new DecisionObserver.Scope() {
        @Override
        public void decided(RateLimitDecision d) {
          o.lowCardinalityKeyValue("outcome", d.outcome().name().toLowerCase(Locale.ROOT))
              .lowCardinalityKeyValue("backend", d.backend().name().toLowerCase(Locale.ROOT))
              .stop();
        }

        @Override
        public void failed(Throwable error) {
          o.error(error);
          o.stop();
        }
      };
    };
  }

  LookupObserver lookups() {
    return category -> {
      ObservationRegistry r = registry();
      if (r.isNoop()) {
        return LookupObserver.Scope.NONE;
      }
      Observation o = Observation.createNotStarted(LOOKUP, r)
          .contextualName("cache lookup " + category).lowCardinalityKeyValue("category", category)
          .start();
      return new LookupObserver.Scope() {
        @Override
        public void found(boolean hit, boolean onRedis) {
          o.lowCardinalityKeyValue("result", hit ? "hit" : "miss")
              .lowCardinalityKeyValue("backend", onRedis ? "redis" : "memory").stop();
        }

        @Override
        public void failed(Throwable error) {
          o.error(error);
          o.stop();
        }
      };
    };
  }
}
