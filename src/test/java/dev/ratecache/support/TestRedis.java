package dev.ratecache.support;

import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisSentinel;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.List;

/**
 * Library settings for the ratecache-testing fixtures, with short timeouts and fast probing suited
 * to tests. (The fixtures know nothing of the library, so that its own tests can use them.)
 */
public final class TestRedis {
  private TestRedis() {}

  /** Settings pointing at {@code server}'s plain port. */
  public static RedisSettings.Builder settings(RedisServer server) {
    return fast(RedisSettings.builder().host("127.0.0.1").port(server.port())
        .password(server.password()));
  }

  /** Settings for a cluster seeded with {@code seeds} ({@code host:port,…}). */
  public static RedisSettings.Builder clusterSettings(String seeds) {
    return fast(RedisSettings.builder().cluster(seeds));
  }

  /** Settings for {@code cluster}, seeded with every node's plain port. */
  public static RedisSettings.Builder settings(RedisCluster cluster) {
    return fast(RedisSettings.builder().cluster(cluster.seeds()));
  }

  /**
   * Settings that find the master through {@code sentinel}; over TLS (trusting the test CA,
   * checking the chain only, since the sentinel names the master by IP) when it was built with
   * certificates.
   */
  public static RedisSettings.Builder settings(RedisSentinel sentinel) {
    boolean tls = sentinel.certificates() != null;
    RedisSettings.Builder b = fast(RedisSettings.builder().sentinel(RedisSentinel.MASTER_NAME,
        List.of(new RedisSettings.Endpoint("127.0.0.1",
            tls ? sentinel.tlsPort() : sentinel.port()))));
    return tls ? b.tls(true).tlsCaCertFile(sentinel.certificates().caCert())
        .tlsVerify(RedisSettings.TlsVerify.CA) : b;
  }

  /**
   * {@code b} with 5 s timeouts, so that a loaded machine's slowness (or a short write pause) is
   * never taken for an outage: for checks of what holds while Redis is reached.
   */
  public static RedisSettings patient(RedisSettings.Builder b) {
    return b.socketTimeout(Duration.ofSeconds(5)).slowCallThreshold(Duration.ofSeconds(5))
        .build();
  }

  private static RedisSettings.Builder fast(RedisSettings.Builder b) {
    return b.connectTimeout(Duration.ofMillis(250))
        .socketTimeout(Duration.ofMillis(250))
        .poolMaxWait(Duration.ofMillis(100))
        .probeInitial(Duration.ofMillis(20))
        .probeMax(Duration.ofMillis(200));
  }
}
