package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisSettings.TlsVerify;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.TestCertificates;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real 3-master cluster over TLS ({@code tls-cluster yes}). Its nodes announce themselves by
 * IP, which a certificate for a host name does not cover: the situation {@code
 * REDIS_TLS_VERIFY=ca} exists for.
 */
class RedisClusterTlsIT {
  static final TestCertificates CERTS = TestCertificates.shared();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster(CERTS);

  private RedisSettings.Builder tls(TlsVerify verify) {
    return TestRedis.settings(cluster).cluster(cluster.tlsSeeds("localhost")).tls(true)
        .tlsCaCertFile(CERTS.caCert()).tlsVerify(verify);
  }

  @Test
  void chainOnlyVerificationServesEverySlotOverTls() {
    cluster.flushAll();
    try (RedisConnector c = RedisConnector.create(tls(TlsVerify.CA).build())) {
      assertThat(c.checkNow()).isTrue();
      for (int i = 0; i < 50; i++) {
        String key = "k" + i;
        c.run(j -> j.set(key, key));
      }
      Map<String, Long> perMaster = c.executeOnMasters(conn -> conn.executeCommand(
          new redis.clients.jedis.CommandObjects().dbSize()));
      assertThat(perMaster).hasSize(3);
      assertThat(perMaster.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(50);
      assertThat(perMaster.values()).allSatisfy(n -> assertThat(n).isPositive());
    }
  }

  @Test
  void fullVerificationRefusesNodesAnnouncedByAnAddressTheCertificateDoesNotName() {
    try (RedisConnector c = RedisConnector.create(tls(TlsVerify.FULL).build())) {
      assertThat(c.checkNow()).isFalse();
      // The seeds answer (they are reached as localhost); the nodes they announce do not.
      assertThat(c.health().snapshot().lastError())
          .contains("No subject alternative names matching IP address 127.0.0.1");
    }
  }
}
