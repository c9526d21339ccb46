package dev.ratecache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.LookupObserver;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.DecisionObserver;
import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The tracing hooks: every decision and every lookup is started and ended once, with what it was
 * and where it was answered, on Redis and on the fallback; an observer that throws changes
 * nothing.
 */
class ObserversIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private final List<String> seen = new CopyOnWriteArrayList<>();
  private RedisConnector connector;

  @BeforeEach
  void connect() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    connector = RedisConnector.create(TestRedis.settings(redis).build());
  }

  @AfterEach
  void close() {
    connector.close();
  }

  private final DecisionObserver decisions = profile -> {
    seen.add("start " + profile);
    return new DecisionObserver.Scope() {
      @Override
      public void decided(RateLimitDecision d) {
        seen.add(d.outcome() + " " + d.backend());
      }

      @Override
      public void failed(Throwable error) {
        seen.add("failed " + error);
      }
    };
  };

  private final LookupObserver lookups = category -> {
    seen.add("lookup " + category);
    return new LookupObserver.Scope() {
      @Override
      public void found(boolean hit, boolean onRedis) {
        seen.add((hit ? "hit" : "miss") + (onRedis ? " redis" : " memory"));
      }

      @Override
      public void failed(Throwable error) {
        seen.add("failed " + error);
      }
    };
  };

  @Test
  void everyDecisionIsObservedWithItsOutcomeAndBackend() {
    try (RateLimiter limiter = RateLimiter.builder().connector(connector).observer(decisions)
        .profile(RateLimitProfile.builder("chat").limit(dev.ratecache.ratelimit.Limit.of(1, Duration.ofMinutes(1))).build())
        .build()) {
      limiter.tryAcquire("chat", "u1");
      limiter.tryAcquire("chat", "u1");
      redis.kill();
      limiter.tryAcquire("chat", "u2");
      assertThat(seen).containsExactly("start chat", "ALLOWED REDIS", "start chat",
          "REJECTED REDIS", "start chat", "ALLOWED LOCAL");
    }
  }

  @Test
  void everyLookupIsObservedWithItsResultAndWhereItWasAnswered() {
    try (QueryCache cache = QueryCache.builder().connector(connector).observer(lookups).build()) {
      cache.getOrLoad("query:user:id:1", Duration.ofMinutes(1), String.class, () -> "one");
      cache.get("query:user:id:1", String.class);
      redis.kill();
      Await.until("the fallback", () -> {
        cache.get("query:user:id:2", String.class);
        return !connector.isAvailable();
      });
      seen.clear();
      cache.get("query:user:id:3", String.class);
      assertThat(seen).containsExactly("lookup user", "miss memory");
    }
  }

  @Test
  void lookupsOnRedisAreSeenAsSuch() {
    try (QueryCache cache = QueryCache.builder().connector(connector).observer(lookups).build()) {
      cache.getOrLoad("query:user:id:1", Duration.ofMinutes(1), String.class, () -> "one");
      cache.get("query:user:id:1", String.class);
      assertThat(seen).containsExactly("lookup user", "miss redis", "lookup user", "hit redis");
    }
  }

  @Test
  void anObserverThatThrowsChangesNoDecisionAndNoLookup() {
    DecisionObserver broken = profile -> {
      throw new IllegalStateException("observer defect");
    };
    LookupObserver brokenScope = category -> new LookupObserver.Scope() {
      @Override
      public void found(boolean hit, boolean onRedis) {
        throw new IllegalStateException("observer defect");
      }

      @Override
      public void failed(Throwable error) {}
    };
    try (RateLimiter limiter = RateLimiter.builder().connector(connector).observer(broken)
        .profile(RateLimitProfile.builder("chat").limit(dev.ratecache.ratelimit.Limit.of(1, Duration.ofMinutes(1))).build())
        .build();
        QueryCache cache = QueryCache.builder().connector(connector).observer(brokenScope)
            .build()) {
      assertThat(limiter.tryAcquire("chat", "u").allowed()).isTrue();
      assertThat(limiter.tryAcquire("chat", "u").allowed()).isFalse();
      assertThat(cache.getOrLoad("query:user:id:1", Duration.ofMinutes(1), String.class,
          () -> "one")).isEqualTo("one");
      assertThat(cache.get("query:user:id:1", String.class)).hasValue("one");
    }
  }
}
