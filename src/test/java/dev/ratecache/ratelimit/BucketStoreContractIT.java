package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One contract, run against the Redis and the in-memory bucket stores. */
class BucketStoreContractIT {
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

  abstract static class InRedis extends Contract {
    final List<RedisConnector> connectors = new ArrayList<>();

    abstract RedisBucketProtocol protocol();

    @Override
    BucketStore create(Clock clock) {
      redis.flushAll();
      return another(clock);
    }

    /** Another instance's store on the same Redis. */
    RedisBucketStore another(Clock clock) {
      RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
      connectors.add(connector);
      return new RedisBucketStore(connector, clock, 1000, protocol());
    }

    @AfterEach
    void close() {
      connectors.forEach(RedisConnector::close);
    }

    @Test
    void bucketsLiveUnderTheRateLimitPrefixAndExpire() {
      store.tryConsume("chat:u:alice", fivePerMinute);
      long ttl = redis.withClient(j -> j.pttl("rate_limit:chat:u:alice"));
      assertThat(ttl).as("ms to live").isPositive().isLessThanOrEqualTo(70_000);
    }

    @Test
    void twoInstancesTakingTurnsShareOneExactLimit() {
      RedisBucketStore other = another(clock);
      int admitted = 0;
      for (int i = 0; i < 10; i++) {
        if ((i % 2 == 0 ? store : other).tryConsume("c:shared", fivePerMinute).consumed()) {
          admitted++;
        }
      }
      assertThat(admitted).isEqualTo(5);
    }
  }

  static long calls(String command) {
    return redis.commandCalls(command);
  }

  @Nested
  class InRedisThroughBucket4jJedis extends InRedis {
    @Override
    RedisBucketProtocol protocol() {
      return RedisBucketProtocol.BUCKET4J_JEDIS;
    }
  }

  @Nested
  class InRedisInOneRoundTrip extends InRedis {
    @Override
    RedisBucketProtocol protocol() {
      return RedisBucketProtocol.ONE_ROUND_TRIP;
    }

    @Test
    void aRedisThatLostItsScriptsIsSentTheScriptAgainAndTheLimitHolds() {
      assertThat(store.tryConsume("c:ns", fivePerMinute).consumed()).isTrue();
      // As after a restart or a failover to a replica that never saw the script.
      redis.withClient(j -> j.scriptFlush());
      redis.withClient(j -> j.configResetStat());
      for (int i = 0; i < 4; i++) {
        assertThat(store.tryConsume("c:ns", fivePerMinute).consumed()).isTrue();
      }
      assertThat(store.tryConsume("c:ns", fivePerMinute).consumed()).isFalse();
      assertThat(calls("eval")).as("the script sent once, after NOSCRIPT").isEqualTo(1);
      assertThat(calls("evalsha")).as("then called by its hash").isEqualTo(4);
    }

    /**
     * Eight requests for one bucket at once: one decision goes out, the other seven queue behind
     * it (Redis is frozen, so it cannot come back before they have queued) and are then decided
     * together in one swap, each with its own outcome, exactly as if they had come one by one.
     */
    @Test
    void concurrentRequestsForOneBucketShareOneSwap() throws Exception {
      RedisConnector patient = RedisConnector.create(TestRedis.settings(redis)
          .socketTimeout(Duration.ofSeconds(60)).build());
      connectors.add(patient);
      RedisBucketStore hot = new RedisBucketStore(patient, clock, 1000, protocol());
      assertThat(hot.tryConsume("c:hot", fivePerMinute).remaining()).isEqualTo(4);
      redis.withClient(j -> j.configResetStat());
      ExecutorService threads = Executors.newFixedThreadPool(8);
      List<Future<BucketStore.Probe>> outcomes = new ArrayList<>();
      redis.freeze();
      try {
        for (int i = 0; i < 8; i++) {
          outcomes.add(threads.submit(() -> hot.tryConsume("c:hot", fivePerMinute)));
        }
        // A state, not a time: all but one must queue behind the decision Redis holds up (the
        // deadline only turns a hang into a named failure).
        Await.until("seven requests queued", Duration.ofSeconds(30),
            () -> hot.queued("c:hot") == 7);
      } finally {
        redis.thaw();
      }
      List<Long> admitted = new ArrayList<>();
      int rejected = 0;
      for (Future<BucketStore.Probe> f : outcomes) {
        BucketStore.Probe p = f.get(30, TimeUnit.SECONDS);
        if (p.consumed()) {
          admitted.add(p.remaining());
        } else {
          rejected++;
        }
      }
      threads.shutdown();
      assertThat(admitted).as("the four tokens left, each handed to one request")
          .containsExactlyInAnyOrder(3L, 2L, 1L, 0L);
      assertThat(rejected).isEqualTo(4);
      assertThat(calls("evalsha")).as("one swap for the first, one for the seven queued")
          .isEqualTo(2);
      assertThat(hot.queued("c:hot")).isZero();
    }

    @Test
    void aDecisionIsOneRoundTripWhileThisInstanceWroteLastAndARejectionNone() {
      store.tryConsume("c:rt", fivePerMinute); // creates the bucket
      redis.withClient(j -> j.configResetStat());
      for (int i = 0; i < 4; i++) {
        assertThat(store.tryConsume("c:rt", fivePerMinute).consumed()).isTrue();
      }
      assertThat(store.tryConsume("c:rt", fivePerMinute).consumed()).isFalse();
      // commandstats also counts the GET each script runs inside Redis: none came on its own.
      assertThat(calls("evalsha") + calls("eval")).as("scripts").isEqualTo(4);
      assertThat(calls("get")).as("GETs, all inside the scripts").isEqualTo(4);
    }

    @Test
    void aBucketThisInstanceDoesNotRememberCostsOneSetIfNewAndASetAndOneScriptIfNot() {
      store.tryConsume("c:warm", fivePerMinute); // the script is loaded
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:cold", fivePerMinute).remaining()).isEqualTo(4);
      assertThat(calls("set")).as("a new key: one SET NX GET").isEqualTo(1);
      assertThat(calls("evalsha") + calls("eval") + calls("get")).as("no script, no GET")
          .isZero();

      RedisBucketStore other = another(clock); // remembers nothing
      redis.withClient(j -> j.configResetStat());
      assertThat(other.tryConsume("c:cold", fivePerMinute).remaining()).isEqualTo(3);
      assertThat(calls("set")).as("a key that exists: the SET NX GET that finds it...")
          .isEqualTo(2); // the second is the swap script's own SET
      assertThat(calls("evalsha") + calls("eval")).as("...then the swap that counts")
          .isEqualTo(1);
      assertThat(calls("get")).as("GETs, all inside the script").isEqualTo(1);
    }

    @Test
    void anotherInstancesWriteIsDecidedInRedisInTheSameRoundTrip() {
      RedisBucketStore other = another(clock);
      store.tryConsume("c:t", fivePerMinute);
      other.tryConsume("c:t", fivePerMinute); // reads once: it has no remembered state
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:t", fivePerMinute).remaining()).isEqualTo(2);
      assertThat(calls("evalsha")).as("one swap: its script decides from the other's state")
          .isEqualTo(1);
      assertThat(calls("get")).as("GETs, all inside the script").isEqualTo(1);
      assertThat(((RedisBucketStore) store).stats())
          .isEqualTo(new RedisBucketStats(1, 0, 0));
    }

    /**
     * Lets {@code other} create a window's worth of buckets that this store then finds existing,
     * so it sends the buckets it does not remember as the script (a fleet taking turns).
     */
    private void bucketsMostlyExist(RedisBucketStore other) {
      for (int i = 0; i < ColdBuckets.WINDOW + 10; i++) {
        other.tryConsume("c:f" + i, fivePerMinute);
      }
      for (int i = 0; i < ColdBuckets.WINDOW; i++) {
        assertThat(store.tryConsume("c:f" + i, fivePerMinute).remaining()).isEqualTo(3);
      }
    }

    @Test
    void bucketsThisInstanceDoesNotRememberAreDecidedInRedisOnceTheyMostlyExist() {
      // Another instance created these; this one has never seen them (a fleet taking turns).
      RedisBucketStore other = another(clock);
      bucketsMostlyExist(other);
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:f" + ColdBuckets.WINDOW, fivePerMinute).remaining())
          .isEqualTo(3);
      assertThat(calls("evalsha")).as("one script, deciding in Redis").isEqualTo(1);
      assertThat(calls("set")).as("the script's own SET, no SET NX GET before it").isEqualTo(1);
      assertThat(((RedisBucketStore) store).stats().decidedInRedis()).isEqualTo(1);
    }

    @Test
    void aDailyQuotaWhoseProductsPassLuasDoublesIsStillDecidedInRedis() {
      // 1,000 a day: tokens x nanoseconds since the last refill (1,000 x 3 h) and refill period
      // x missing tokens (86,400 s x 376) both pass 2^53, where Lua's doubles stop being exact.
      BucketConfiguration daily = BucketConfiguration.builder()
          .addLimit(Limit.of(1_000, Duration.ofDays(1)).toBandwidth()).build();
      RedisBucketStore other = another(clock);
      bucketsMostlyExist(other);
      for (int i = 0; i < 500; i++) {
        other.tryConsume("c:d", daily);
      }
      clock.advance(Duration.ofHours(3)); // refills 125 exactly
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:d", daily).remaining()).isEqualTo(1_000 - 500 + 125 - 1);
      assertThat(calls("evalsha")).as("one swap: the script decides, exactly").isEqualTo(1);
      assertThat(((RedisBucketStore) store).stats())
          .isEqualTo(new RedisBucketStats(1, 0, 0));
    }

    @Test
    void aBillionASecondIsDecidedInRedisToo() {
      BucketConfiguration huge = BucketConfiguration.builder()
          .addLimit(Limit.of(1_000_000_000L, Duration.ofSeconds(1)).toBandwidth()).build();
      RedisBucketStore other = another(clock);
      store.tryConsume("c:h", huge);
      clock.advance(Duration.ofMillis(500));
      other.tryConsume("c:h", huge);
      clock.advance(Duration.ofMillis(300));
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:h", huge).consumed()).isTrue();
      assertThat(calls("evalsha")).isEqualTo(1);
      assertThat(((RedisBucketStore) store).stats())
          .isEqualTo(new RedisBucketStats(1, 0, 0));
    }

    @Test
    void pastLongMaxValueTheScriptFollowsBucket4jIntoDoubles() {
      // About a token a nanosecond for 26 days: tokens x nanoseconds passes 2^63 after 4 us,
      // where Bucket4j computes refill and refill time in doubles instead of longs.
      long tokens = 1L << 51;
      BucketConfiguration vast = BucketConfiguration.builder()
          .addLimit(io.github.bucket4j.Bandwidth.builder().capacity(tokens)
              .refillGreedy(tokens, Duration.ofNanos(tokens + (1L << 20))).build())
          .build();
      RedisBucketStore other = another(clock);
      bucketsMostlyExist(other);
      // A Bucket4j client elsewhere took a million tokens at once, a path this library never
      // takes, to leave a deficit that 10 us of refill does not fill.
      var entry = new io.github.bucket4j.distributed.remote.MutableBucketEntry((byte[]) null);
      new io.github.bucket4j.distributed.remote.commands.CreateInitialStateAndExecuteCommand<>(
          vast, io.github.bucket4j.distributed.remote.commands.TryConsumeCommand.create(1_000_000))
          .execute(entry, dev.ratecache.internal.Time.epochNanos(clock));
      byte[] state = entry.getStateBytes(io.github.bucket4j.distributed.proxy.ClientSideConfig
          .getDefault().getBackwardCompatibilityVersion());
      redis.withClient(j -> j.set("rate_limit:c:v".getBytes(java.nio.charset.StandardCharsets.UTF_8),
          state));
      clock.advance(Duration.ofNanos(10_000));
      redis.withClient(j -> j.configResetStat());
      // Bucket4j refills (long) (10,000.0 / (2^51 + 2^20) * 2^51) = 9,999 tokens.
      assertThat(store.tryConsume("c:v", vast).remaining())
          .isEqualTo(tokens - 1_000_000 + 9_999 - 1);
      assertThat(calls("evalsha")).as("one swap: the script decides, in doubles").isEqualTo(1);
      assertThat(((RedisBucketStore) store).stats())
          .as("decided in Redis, and as Bucket4j decides (the state and TTL checked)")
          .isEqualTo(new RedisBucketStats(1, 0, 0));
    }

    @Test
    void aScriptDecisionThatDisagreesWithBucket4jIsReplacedByBucket4jsOwn() {
      // A swap script that takes two tokens per admission where Bucket4j takes one.
      String wrong = BucketSwaps.SCRIPT.replace("limits[j].size = limits[j].size - 1",
          "limits[j].size = limits[j].size - 2");
      assertThat(wrong).isNotEqualTo(BucketSwaps.SCRIPT);
      RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
      connectors.add(connector);
      OneRoundTripBuckets misled = new OneRoundTripBuckets(
          new BucketSwaps(connector.autoPipeline(), wrong), "rate_limit:",
          dev.ratecache.internal.Time.timeMeter(clock), Duration.ofSeconds(10), 1000,
          Duration.ofSeconds(10));
      store.tryConsume("c:w", fivePerMinute); // 4 left, created by a sound instance
      misled.tryConsume("c:w", fivePerMinute); // 3 left: plain swaps, no script decision yet
      store.tryConsume("c:w", fivePerMinute); // 2 left: decided in Redis by the sound script
      redis.withClient(j -> j.configResetStat());

      // The misled instance's state is stale: its script decides, wrongly, in Redis (0 left);
      // the instance sees that Bucket4j, from the same state and time, leaves 1, and puts that
      // in place of the script's state with one more swap.
      assertThat(misled.tryConsume("c:w", fivePerMinute).remaining()).isEqualTo(1);
      assertThat(misled.corrected()).isEqualTo(1);
      assertThat(misled.decidedByScript()).isZero();
      assertThat(calls("evalsha")).as("the wrong decision, then its correction").isEqualTo(2);
      assertThat(store.tryConsume("c:w", fivePerMinute).remaining())
          .as("the bucket holds Bucket4j's decision: one token was left").isZero();
      assertThat(store.tryConsume("c:w", fivePerMinute).consumed()).isFalse();
    }

    @Test
    void aBucketIdleForMoreThanFiftyTwoDaysIsDecidedByTheCallerInstead() {
      // Its key would have expired in production; here Redis's clock is not the test's. Past
      // 2^52 ns since the last refill the script declines, and this instance decides.
      RedisBucketStore other = another(clock);
      bucketsMostlyExist(other);
      other.tryConsume("c:i", fivePerMinute);
      clock.advance(Duration.ofDays(60));
      redis.withClient(j -> j.configResetStat());
      assertThat(store.tryConsume("c:i", fivePerMinute).remaining()).isEqualTo(4);
      assertThat(calls("evalsha")).as("a swap the script declined, then the one that counts")
          .isEqualTo(2);
      assertThat(((RedisBucketStore) store).stats())
          .isEqualTo(new RedisBucketStats(0, 1, 0));
    }

    @Test
    void aResetBucketIsFullAgainOnceItsRememberedStateIsForgotten() {
      for (int i = 0; i < 5; i++) {
        store.tryConsume("c:r", fivePerMinute);
      }
      redis.withClient(j -> j.del("rate_limit:c:r")); // an operator's clear
      ((RedisBucketStore) store).forget(k -> k.startsWith("rate_limit:c:"));
      assertThat(store.tryConsume("c:r", fivePerMinute).remaining()).isEqualTo(4);
    }

    @Test
    void rememberedStatesLastTenSecondsOfTheInjectedClock() {
      for (int i = 0; i < 5; i++) {
        store.tryConsume("c:e", fivePerMinute);
      }
      redis.withClient(j -> j.del("rate_limit:c:e")); // reset without telling this instance
      assertThat(store.tryConsume("c:e", fivePerMinute).consumed())
          .as("still remembered as empty").isFalse();
      clock.advance(Duration.ofSeconds(10));
      // Two tokens came back by refill, but the bucket was reset: it is full.
      assertThat(store.tryConsume("c:e", fivePerMinute).remaining()).isEqualTo(4);
    }
  }
}
