package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One contract, run against the Redis and the in-memory bucket stores. */
class BucketStoreContractTest {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  abstract static class Contract {
    final MutableClock clock = MutableClock.startingNow();
    final BucketConfiguration fivePerMinute = BucketConfiguration.builder()
        .addLimit(Limit.of(5, Duration.ofMinutes(1)).toBandwidth()).build();
    BucketStore store;

    abstract BucketStore create(Clock clock);

    @BeforeEach
    void setUp() {
      store = create(clock);
    }

    @Test
    void admitsExactlyTheCapacityThenRejectsWithARetryTime() {
      for (int i = 4; i >= 0; i--) {
        BucketStore.Probe p = store.tryConsume("c:k1", fivePerMinute);
        assertThat(p.consumed()).isTrue();
        assertThat(p.remaining()).isEqualTo(i);
      }
      BucketStore.Probe rejected = store.tryConsume("c:k1", fivePerMinute);
      assertThat(rejected.consumed()).isFalse();
      assertThat(rejected.remaining()).isZero();
      assertThat(rejected.nanosToRetry()).isEqualTo(Duration.ofSeconds(12).toNanos());
      assertThat(rejected.nanosToReset()).isEqualTo(Duration.ofMinutes(1).toNanos());
    }

    @Test
    void tokensComeBackAtTheRefillRate() {
      for (int i = 0; i < 5; i++) {
        store.tryConsume("c:k2", fivePerMinute);
      }
      clock.advance(Duration.ofSeconds(11));
      assertThat(store.tryConsume("c:k2", fivePerMinute).consumed()).isFalse();
      clock.advance(Duration.ofSeconds(1));
      assertThat(store.tryConsume("c:k2", fivePerMinute).consumed()).isTrue();
      assertThat(store.tryConsume("c:k2", fivePerMinute).consumed()).isFalse();
      clock.advance(Duration.ofMinutes(5));
      assertThat(store.tryConsume("c:k2", fivePerMinute).remaining()).as("capped at capacity")
          .isEqualTo(4);
    }

    @Test
    void keysAreIndependent() {
      for (int i = 0; i < 5; i++) {
        store.tryConsume("c:a", fivePerMinute);
      }
      assertThat(store.tryConsume("c:a", fivePerMinute).consumed()).isFalse();
      assertThat(store.tryConsume("c:b", fivePerMinute).consumed()).isTrue();
    }

    @Test
    void peekDoesNotConsume() {
      assertThat(store.peek("c:p", fivePerMinute).remaining()).isEqualTo(5);
      store.tryConsume("c:p", fivePerMinute);
      store.tryConsume("c:p", fivePerMinute);
      for (int i = 0; i < 3; i++) {
        BucketStore.Probe p = store.peek("c:p", fivePerMinute);
        assertThat(p.remaining()).isEqualTo(3);
        assertThat(p.nanosToReset()).isEqualTo(Duration.ofSeconds(24).toNanos());
      }
    }
  }

  @Nested
  class Local extends Contract {
    @Override
    BucketStore create(Clock clock) {
      return new LocalBucketStore(1000, Duration.ofMinutes(1), clock);
    }
  }

  @Nested
  class InRedis extends Contract {
    private RedisConnector connector;

    @Override
    BucketStore create(Clock clock) {
      redis.flushAll();
      connector = RedisConnector.create(redis.settings().build());
      return new RedisBucketStore(connector, clock, 1000);
    }

    @AfterEach
    void close() {
      connector.close();
    }

    @Test
    void bucketsLiveUnderTheRateLimitPrefixAndExpire() {
      store.tryConsume("chat:u:alice", fivePerMinute);
      long ttl = redis.withClient(j -> j.pttl("rate_limit:chat:u:alice"));
      assertThat(ttl).as("ms to live").isPositive().isLessThanOrEqualTo(70_000);
    }
  }
}
