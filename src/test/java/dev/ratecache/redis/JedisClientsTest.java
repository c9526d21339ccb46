package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The start-up check of the Jedis version a framework may have chosen. */
class JedisClientsTest {
  @Test
  void theJedisOnThisClasspathHasEverythingTheLibraryUses() {
    assertThat(JedisClients.firstMissing(JedisClients.REQUIRED_CLASSES,
        getClass().getClassLoader())).isNull();
    assertThat(JedisClients.jedisVersion()).as("read from the jar's Maven metadata")
        .matches("\\d+\\.\\d+\\.\\d+.*");
  }

  @Test
  void aMissingClassIsNamed() {
    assertThat(JedisClients.firstMissing(List.of("redis.clients.jedis.UnifiedJedis",
        "redis.clients.jedis.NoSuchThingInAnyVersion"), getClass().getClassLoader()))
        .isEqualTo("redis.clients.jedis.NoSuchThingInAnyVersion");
  }
}
