package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.internal.JedisVersions;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.util.SafeEncoder;

/**
 * The Jedis each failsafe execution of the root pom puts on the classpath is the one it names
 * (a run that silently tested the build's own Jedis would prove nothing), and the clients the
 * library makes on it answer on each topology.
 */
class JedisVersionIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  @Test
  void theJedisOnTheClasspathIsTheOneThisRunNames() {
    String expected = System.getProperty("ratecache.expected.jedis");
    assertThat(JedisVersions.version()).isNotEqualTo("unknown");
    if (expected != null) {
      assertThat(JedisVersions.version()).isEqualTo(expected);
    }
  }

  @Test
  void aStandaloneClientAndItsPipelinesWork() {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build())) {
      connector.execute(j -> j.set("jedis-version", "standalone"));
      assertThat((String) connector.execute(j -> j.get("jedis-version"))).isEqualTo("standalone");
      assertThat((String) connector.autoPipeline().execute(SafeEncoder.encode("jedis-version"),
          connector.autoPipeline().commands().get("jedis-version"))).isEqualTo("standalone");
    }
  }

  @Test
  void aClusterClientAndItsPipelinesWork() {
    try (RedisConnector connector =
        RedisConnector.create(TestRedis.settings(cluster).build())) {
      for (int i = 0; i < 20; i++) {
        String key = "jedis-version:" + i;
        connector.execute(j -> j.set(key, "cluster"));
        assertThat((String) connector.autoPipeline().execute(SafeEncoder.encode(key),
            connector.autoPipeline().commands().get(key))).isEqualTo("cluster");
      }
    }
  }
}
