package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisSentinel;
import dev.ratecache.testing.TestCertificates;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sentinel over TLS: a real sentinel and master that both speak TLS (the sentinel monitors the
 * master's TLS port), reached with the same TLS settings for both.
 */
class RedisSentinelTlsIT {
  private static final TestCertificates CERTS = TestCertificates.shared();

  @RegisterExtension
  static final RedisSentinel sentinel = new RedisSentinel(CERTS);

  @Test
  void theMasterIsFoundThroughTheSentinelAndUsedOverTls() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(sentinel).build());
        RateLimiter limiter = RateLimiter.builder().connector(c).build()) {
      assertThat(c.checkNow()).isTrue();
      c.run(j -> j.set("via-tls-sentinel", "yes"));
      assertThat(sentinel.master().<String>withClient(j -> j.get("via-tls-sentinel")))
          .isEqualTo("yes");
      assertThat(sentinel.master().<String>withClient(j -> j.clientList()))
          .as("the master's clients include ours, on its TLS port")
          .contains("laddr=127.0.0.1:" + sentinel.master().tlsPort());
      for (int i = 0; i < 5; i++) {
        assertThat(limiter.tryAcquire("auth", "tls").allowed()).isTrue();
      }
      RateLimitDecision sixth = limiter.tryAcquire("auth", "tls");
      assertThat(sixth.allowed()).isFalse();
      assertThat(sixth.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
    }
  }

  @Test
  void theSameSettingsByEnvironmentNamesWork() {
    RedisSettings built = TestRedis.settings(sentinel).build();
    RedisSettings settings = RedisSettings.fromLookup(Map.of(
        "REDIS_SENTINELS", built.endpoints().get(0).toString(),
        "REDIS_SENTINEL_MASTER", RedisSentinel.MASTER_NAME,
        "REDIS_TLS", "true",
        "REDIS_TLS_CA_CERT_FILE", CERTS.caCert().toString(),
        "REDIS_TLS_VERIFY", "ca")::get);
    try (RedisConnector c = RedisConnector.create(settings)) {
      assertThat(c.checkNow()).isTrue();
      assertThat(c.<String>execute(j -> j.ping())).isEqualTo("PONG");
    }
  }

  @Test
  void aClientThatDoesNotTrustTheCaNeverReachesTheMasterAndFailsFast() {
    RedisSettings untrusting = TestRedis.settings(sentinel).tlsCaCertFile(null).build();
    try (RedisConnector c = RedisConnector.create(untrusting)) {
      assertThat(c.checkNow()).isFalse();
      assertThatThrownBy(() -> c.execute(j -> j.ping()))
          .isInstanceOf(RedisUnavailableException.class);
    }
  }
}
