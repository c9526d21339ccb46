package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisSentinel;
import dev.ratecache.testing.RedisServer;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The default protocol's promise on every topology: with two instances taking turns on each
 * client (a fleet behind a round-robin balancer), every admitted decision costs exactly one
 * command sent to Redis, a rejection at most one, and each decision is Bucket4j's. Counted at
 * the client (the commands the auto-pipeline sent), so a decision that needed a second swap
 * would show as two.
 */
class OneRoundTripTopologiesIT {
  @RegisterExtension
  static final RedisServer standalone = RedisServer.builder().build();

  @RegisterExtension
  static final RedisSentinel sentinel = new RedisSentinel();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static final BucketConfiguration FIVE_PER_MINUTE = BucketConfiguration.builder()
      .addLimit(Limit.of(5, Duration.ofMinutes(1)).toBandwidth()).build();

  @Test
  void standalone() {
    standalone.flushAll();
    takingTurns(TestRedis.settings(standalone).build());
  }

  @Test
  void sentinel() {
    sentinel.master().flushAll();
    takingTurns(TestRedis.settings(sentinel).build());
  }

  @Test
  void cluster() {
    cluster.flushAll();
    takingTurns(TestRedis.settings(cluster).build());
  }

  private static void takingTurns(RedisSettings settings) {
    MutableClock clock = MutableClock.startingNow(); // frozen: five pass per client, then none
    try (RedisConnector a = RedisConnector.create(settings);
        RedisConnector b = RedisConnector.create(settings)) {
      RedisConnector[] connectors = {a, b};
      RedisBucketStore[] fleet = {
          new RedisBucketStore(a, clock, 10_000, RedisBucketProtocol.ONE_ROUND_TRIP),
          new RedisBucketStore(b, clock, 10_000, RedisBucketProtocol.ONE_ROUND_TRIP)};
      LocalBucketStore bucket4j = new LocalBucketStore(10_000, Duration.ofHours(1), clock);
      // A window of clients first: each instance learns that the buckets it has not seen
      // mostly exist already (ColdBuckets), as a fleet's instances do within moments.
      int clients = 2 * ColdBuckets.WINDOW + 64;
      int measured = 0;
      for (int c = 0; c < clients; c++) {
        String key = "turns:" + c;
        for (int d = 0; d < 7; d++) {
          int by = (c + d) % 2; // each client's first decision on either instance
          long before = connectors[by].autoPipeline().counts().commands();
          BucketStore.Probe probe = fleet[by].tryConsume(key, FIVE_PER_MINUTE);
          long sent = connectors[by].autoPipeline().counts().commands() - before;
          assertThat(probe).as("client %d, decision %d", c, d)
              .isEqualTo(bucket4j.tryConsume(key, FIVE_PER_MINUTE));
          if (c < ColdBuckets.WINDOW + 32) {
            continue; // learning
          }
          measured++;
          if (probe.consumed()) {
            assertThat(sent).as("commands for admitted decision %d of client %d", d, c)
                .isEqualTo(1);
          } else {
            assertThat(sent).as("commands for rejected decision %d of client %d", d, c)
                .isLessThanOrEqualTo(1);
          }
        }
      }
      assertThat(measured).isGreaterThan(1_000);
      long decided = fleet[0].stats().decidedInRedis() + fleet[1].stats().decidedInRedis();
      assertThat(decided).as("decisions on the other instance's write, made in Redis")
          .isGreaterThan(2L * clients);
      assertThat(fleet[0].stats().corrected() + fleet[1].stats().corrected())
          .as("corrected").isZero();
      assertThat(fleet[0].stats().declined() + fleet[1].stats().declined())
          .as("declined").isZero();
    }
  }
}
