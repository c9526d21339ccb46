package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisSentinel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sentinel promotes the replica when the master dies; the connector follows it, and a client the
 * limiter had rejected stays rejected through the outage and after it.
 */
class RedisSentinelFailoverIT {
  @RegisterExtension
  static final RedisSentinel sentinel = new RedisSentinel(true);

  @Test
  void theConnectorFollowsAFailoverToThePromotedReplica() throws Exception {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(sentinel).failureThreshold(1)
        .build());
        dev.ratecache.ratelimit.RateLimiter limiter = dev.ratecache.ratelimit.RateLimiter.builder()
            .connector(c).profile(dev.ratecache.ratelimit.RateLimitProfile.builder("login")
                .limit(dev.ratecache.ratelimit.Limit.parse("3/1h", "login")).prefix("/login")
                .build()).build()) {
      for (int i = 0; i < 3; i++) {
        assertThat(limiter.tryAcquire("login", "mallory").allowed()).isTrue();
      }
      assertThat(limiter.tryAcquire("login", "mallory").allowed()).isFalse();
      c.run(j -> j.set("before-failover", "1")); // replicated after the bucket, in order
      // Replication is asynchronous: a master killed before its replica has the write loses it
      // (as in production); the test is about the failover, so it waits for the copy first.
      dev.ratecache.testing.Await.until("the replica has the write", () -> "1".equals(
          sentinel.replica().<String>withClient(j -> j.get("before-failover"))));
      String replicaAddress = "127.0.0.1:" + sentinel.replica().port();
      sentinel.master().kill();
      try {
        c.execute(j -> j.get("before-failover"));
      } catch (RedisUnavailableException expected) {
        // known down until the sentinel promotes the replica
      }
      assertThat(limiter.tryAcquire("login", "mallory").allowed())
          .as("still limited while Redis is unreachable").isFalse();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (!sentinel.currentMaster().equals(replicaAddress) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(sentinel.currentMaster()).as("sentinel promoted the replica")
          .isEqualTo(replicaAddress);
      RedisConnectorIT.awaitState(c, RedisHealth.State.UP, Duration.ofSeconds(15));
      assertThat(c.<String>execute(j -> j.get("before-failover"))).as("replicated data")
          .isEqualTo("1");
      assertThat(limiter.tryAcquire("login", "mallory").allowed())
          .as("still limited on the promoted replica").isFalse();
      c.run(j -> j.set("after-failover", "2"));
      assertThat(sentinel.replica().<String>withClient(j -> j.get("after-failover")))
          .as("writes go to the promoted replica").isEqualTo("2");
    }
  }
}
