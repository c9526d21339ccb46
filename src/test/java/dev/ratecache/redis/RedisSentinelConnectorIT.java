package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisSentinel;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Sentinel topology end to end: the master is found through a real sentinel. */
class RedisSentinelConnectorIT {
  @RegisterExtension
  static final RedisSentinel sentinel = new RedisSentinel();

  @Test
  void commandsReachTheMasterTheSentinelNames() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(sentinel).build())) {
      c.run(j -> j.set("via-sentinel", "yes"));
      assertThat(sentinel.master().<String>withClient(j -> j.get("via-sentinel")))
          .isEqualTo("yes");
      Map<String, String> pings = c.executeOnMasters(conn -> "ok");
      assertThat(pings).hasSize(1);
    }
  }

  @Test
  void fromEnvironmentVariablesAndRateLimitingThroughSentinel() {
    String sentinels = TestRedis.settings(sentinel).build().endpoints().get(0).toString();
    RedisSettings settings = RedisSettings.fromLookup(Map.of(
        "REDIS_SENTINELS", sentinels, "REDIS_SENTINEL_MASTER", RedisSentinel.MASTER_NAME)::get);
    assertThat(settings.topology()).isInstanceOf(RedisTopology.Sentinel.class);
    try (RedisConnector c = RedisConnector.create(settings);
        RateLimiter limiter = RateLimiter.builder().connector(c).build()) {
      for (int i = 0; i < 5; i++) {
        assertThat(limiter.tryAcquire("auth", "s").allowed()).isTrue();
      }
      RateLimitDecision sixth = limiter.tryAcquire("auth", "s");
      assertThat(sixth.allowed()).isFalse();
      assertThat(sixth.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
      assertThat(sentinel.master().<Boolean>withClient(j -> j.exists("rate_limit:auth:app:s")))
          .isTrue();
    }
  }

  @Test
  void masterDownIsNoticedAndRecoveredThroughTheSentinel() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(sentinel).failureThreshold(1)
        .build())) {
      c.run(j -> j.set("k", "1"));
      sentinel.master().kill();
      try {
        c.execute(j -> j.get("k"));
      } catch (RedisUnavailableException expected) {
        // the switch trips
      }
      assertThat(c.isAvailable()).isFalse();
      sentinel.master().start();
      RedisConnectorIT.awaitState(c, RedisHealth.State.UP, java.time.Duration.ofSeconds(10));
      c.run(j -> j.set("k", "2"));
      assertThat(sentinel.master().<String>withClient(j -> j.get("k"))).isEqualTo("2");
    }
  }
}
