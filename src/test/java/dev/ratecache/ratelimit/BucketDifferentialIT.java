package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Differential: random timelines through Bucket4j's own local bucket ({@link LocalBucketStore})
 * and through the Redis bucket protocols must give the same decisions, remaining tokens and
 * wait times, step by step, with two instances taking turns on each bucket: several limits per
 * bucket, greedy and interval refill, bursts, long idle gaps, and a clock far from the epoch.
 * Seeds are fixed, so a failure names its timeline.
 */
class BucketDifferentialIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final int TIMELINES = 40;
  private static final int STEPS = 120;

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void redisBucketsDecideExactlyAsBucket4jsLocalBucket(RedisBucketProtocol protocol) {
    differential(protocol, protocol);
  }

  /**
   * A fleet half-way through a change of protocol: one instance on each, on the same buckets.
   * Both protocols store Bucket4j's own state under the same key and swap it by comparison, so
   * they read each other's writes exactly.
   */
  @org.junit.jupiter.api.Test
  void aFleetMixingTheTwoProtocolsDecidesAsOneBucket() {
    differential(RedisBucketProtocol.ONE_ROUND_TRIP, RedisBucketProtocol.BUCKET4J_JEDIS);
  }

  private static void differential(RedisBucketProtocol protocol, RedisBucketProtocol other) {
    redis.flushAll();
    // A clock late in this century: large nanosecond values, as real ones are.
    MutableClock clock = new MutableClock(Instant.parse("2093-06-01T12:00:00Z"));
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RedisConnector otherConnector = RedisConnector.create(TestRedis.settings(redis).build())) {
      // Two instances sharing each bucket, taking turns at random: each must decide as the
      // one local bucket does, whichever wrote last (remembered states, failed swaps included).
      RedisBucketStore[] instances = {
          new RedisBucketStore(connector, clock, 10_000, protocol),
          new RedisBucketStore(otherConnector, clock, 10_000, other)};
      // Never evicted within a timeline (idle gaps are at most two days): Bucket4j's own bucket
      // carries its refill timeline across every gap, as the Redis state does.
      LocalBucketStore local = new LocalBucketStore(10_000, Duration.ofDays(3650), clock);
      for (int t = 0; t < TIMELINES; t++) {
        Random random = new Random(1000 + t);
        BucketConfiguration config = randomConfig(random);
        String key = "diff:" + protocol + ":" + t;
        List<String> timeline = new ArrayList<>();
        for (int step = 0; step < STEPS; step++) {
          long gap = gap(random, config);
          clock.advance(Duration.ofNanos(gap));
          timeline.add("+" + gap + "ns");
          int burst = random.nextInt(10) == 0 ? 1 + random.nextInt(8) : 1;
          int by = random.nextInt(4) == 0 ? 1 : 0;
          if (burst > 1 && instances[by].protocol() == RedisBucketProtocol.ONE_ROUND_TRIP
              && random.nextBoolean()) {
            // The burst as one batch, as concurrent requests queued behind a decision are
            // decided: the same outcomes, in order, as one by one.
            List<BucketStore.Probe> expected = new ArrayList<>();
            for (int i = 0; i < burst; i++) {
              expected.add(local.tryConsume(key, config));
            }
            timeline.add("batch of " + burst);
            assertThat(instances[by].tryConsumeTogether(key, config, burst))
                .as("timeline %d (seed %d) %s, step %d: %s", t, 1000 + t, config, step,
                    String.join(" ", timeline.subList(Math.max(0, timeline.size() - 12),
                        timeline.size())))
                .isEqualTo(expected);
            continue;
          }
          for (int i = 0; i < burst; i++) {
            BucketStore.Probe expected = local.tryConsume(key, config);
            BucketStore.Probe actual = instances[random.nextInt(4) == 0 ? 1 : 0]
                .tryConsume(key, config);
            timeline.add(expected.consumed() ? "ok" : "no");
            assertThat(actual).as("timeline %d (seed %d) %s, step %d: %s", t, 1000 + t, config,
                step, String.join(" ", timeline.subList(Math.max(0, timeline.size() - 12),
                    timeline.size()))).isEqualTo(expected);
          }
        }
      }
      if (protocol == RedisBucketProtocol.ONE_ROUND_TRIP) {
        // The swaps that found the other instance's state were decided by the script in Redis
        // (those whose numbers Lua holds exactly), and every one of those agreed with Bucket4j.
        long decided = instances[0].stats().decidedInRedis() + instances[1].stats().decidedInRedis();
        long corrected = instances[0].stats().corrected() + instances[1].stats().corrected();
        long declined = instances[0].stats().declined() + instances[1].stats().declined();
        assertThat(decided).as("mismatches decided in Redis").isGreaterThan(100);
        assertThat(corrected).as("script decisions that disagreed with Bucket4j").isZero();
        assertThat(declined).as("mismatches the script left to the caller (every number here is"
            + " within its range: daily and weekly quotas included)").isZero();
      }
    }
  }

  /**
   * One to three limits: greedy or interval refill, with or without a burst capacity; some are
   * large quotas (to a million a week), whose products pass 2^53 in the swap script.
   */
  private static BucketConfiguration randomConfig(Random random) {
    ConfigurationBuilder b = BucketConfiguration.builder();
    int limits = 1 + random.nextInt(3);
    Duration[] periods = {Duration.ofSeconds(1), Duration.ofSeconds(7), Duration.ofMinutes(1),
        Duration.ofMinutes(15), Duration.ofHours(1), Duration.ofDays(1), Duration.ofDays(7)};
    long[] quotas = {1_000, 10_000, 1_000_000};
    for (int i = 0; i < limits; i++) {
      long requests = i > 0 && random.nextInt(3) == 0 ? quotas[random.nextInt(quotas.length)]
          : 1 + random.nextInt(i == 0 ? 20 : 1000);
      Duration period = periods[random.nextInt(periods.length)];
      Limit limit = random.nextBoolean() ? Limit.of(requests, period)
          : Limit.intervally(requests, period);
      if (random.nextInt(4) == 0) {
        limit = limit.withBurst(requests + 1 + random.nextInt(50));
      }
      b.addLimit(limit.toBandwidth());
    }
    return b.build();
  }

  /**
   * Mostly short gaps, some around a token's refill time, some a random part of a limit's refill
   * period, a few idle for days.
   */
  private static long gap(Random random, BucketConfiguration config) {
    long shortest = Long.MAX_VALUE;
    var bandwidths = config.getBandwidths();
    for (var bandwidth : bandwidths) {
      shortest = Math.min(shortest, bandwidth.getRefillPeriodNanos() / bandwidth.getRefillTokens());
    }
    return switch (random.nextInt(20)) {
      case 0 -> Duration.ofDays(1 + random.nextInt(2)).toNanos();
      case 1, 2, 3 -> shortest * (1 + random.nextInt(3)) + random.nextInt(1_000_000);
      case 4 -> (long) (random.nextDouble()
          * bandwidths[random.nextInt(bandwidths.length)].getRefillPeriodNanos());
      default -> random.nextInt(50) * 1_000_000L + random.nextInt(1000);
    };
  }
}
