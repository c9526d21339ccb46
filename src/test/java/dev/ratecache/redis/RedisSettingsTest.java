package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisSettings.Endpoint;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RedisSettingsTest {

  private static RedisSettings env(String... pairs) {
    Map<String, String> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return RedisSettings.fromLookup(m::get);
  }

  @Test
  void everySettingNameIsInTheReadmeConfigurationTable() throws Exception {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("docs", "configuration.md"));
    for (String name : RedisSettings.Name.ALL) {
      assertThat(readme).as("docs/configuration.md row for %s", name).contains("| `" + name + "` |");
    }
  }

  @Test
  void emptyEnvironmentGivesDocumentedDefaults() {
    RedisSettings s = env();
    assertThat(s.enabled()).isTrue();
    assertThat(s.topology()).isInstanceOf(RedisTopology.Standalone.class);
    assertThat(s.endpoints()).containsExactly(new Endpoint("localhost", 6379));
    assertThat(s.password()).isNull();
    assertThat(s.username()).isNull();
    assertThat(s.database()).isZero();
    assertThat(s.tls()).isFalse();
    assertThat(s.tlsCaCertFile()).isNull();
    assertThat(s.tlsVerify()).isEqualTo(RedisSettings.TlsVerify.FULL);
    assertThat(s.connectTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.socketTimeout()).isEqualTo(Duration.ofMillis(500));
    assertThat(s.poolMaxTotal()).isEqualTo(32);
    assertThat(s.poolMaxWait()).isEqualTo(Duration.ofMillis(200));
    assertThat(s.failureThreshold()).isEqualTo(3);
    assertThat(s.slowCallThreshold()).isEqualTo(s.socketTimeout());
  }

  @Test
  void hostPortPasswordAndDbFromEnvironment() {
    RedisSettings s = env("REDIS_HOST", "cache.internal", "REDIS_PORT", "6380",
        "REDIS_PASSWORD", " s3cret ", "REDIS_DB", "4");
    assertThat(s.endpoints()).containsExactly(new Endpoint("cache.internal", 6380));
    assertThat(s.password()).as("passwords keep their spaces").isEqualTo(" s3cret ");
    assertThat(s.database()).isEqualTo(4);
  }

  @Test
  void emptyPasswordMeansNoAuthentication() {
    assertThat(env("REDIS_PASSWORD", "").password()).isNull();
  }

  @Test
  void urlTakesPrecedenceAndCarriesUserPasswordDbAndTls() {
    RedisSettings s = env("REDIS_HOST", "ignored", "REDIS_PORT", "1",
        "REDIS_URL", "rediss://app:p%40ss@redis.example.com:6390/7");
    assertThat(s.endpoints()).containsExactly(new Endpoint("redis.example.com", 6390));
    assertThat(s.username()).isEqualTo("app");
    assertThat(s.password()).isEqualTo("p@ss");
    assertThat(s.database()).isEqualTo(7);
    assertThat(s.tls()).isTrue();
  }

  @Test
  void urlWithPasswordOnlyAndDefaultPort() {
    RedisSettings s = RedisSettings.fromUrl("redis://:pw@10.0.0.5");
    assertThat(s.endpoints()).containsExactly(new Endpoint("10.0.0.5", 6379));
    assertThat(s.username()).isNull();
    assertThat(s.password()).isEqualTo("pw");
    assertThat(s.database()).isZero();
    assertThat(s.tls()).isFalse();
  }

  @Test
  void urlWithIpv6Host() {
    RedisSettings s = RedisSettings.fromUrl("redis://[::1]:7000/2");
    assertThat(s.endpoints()).containsExactly(new Endpoint("::1", 7000));
    assertThat(s.endpoints().get(0)).hasToString("[::1]:7000");
  }

  @Test
  void clusterNodesSelectClusterMode() {
    RedisSettings s = env("REDIS_CLUSTER_NODES", "a:7000, b:7001,[::1]:7002",
        "REDIS_PASSWORD", "pw");
    assertThat(s.topology()).isInstanceOf(RedisTopology.Cluster.class);
    assertThat(s.endpoints()).containsExactly(new Endpoint("a", 7000), new Endpoint("b", 7001),
        new Endpoint("::1", 7002));
    assertThat(s.password()).isEqualTo("pw");
  }

  @Test
  void sentinelsNeedAMasterName() {
    RedisSettings s = env("REDIS_SENTINELS", "s1:26379,s2:26379",
        "REDIS_SENTINEL_MASTER", "mymaster", "REDIS_DB", "2");
    assertThat(s.topology()).isInstanceOfSatisfying(RedisTopology.Sentinel.class,
        t -> assertThat(t.master()).isEqualTo("mymaster"));
    assertThat(s.database()).isEqualTo(2);
    assertThatThrownBy(() -> env("REDIS_SENTINELS", "s1:26379"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("REDIS_SENTINEL_MASTER");
  }

  @ParameterizedTest(name = "{0}={1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "REDIS_PORT | abc | must be a whole number",
      "REDIS_PORT | 0 | between 1 and 65535",
      "REDIS_PORT | 70000 | between 1 and 65535",
      "REDIS_DB | -1 | must not be negative",
      "REDIS_DB | one | must be a whole number",
      "REDIS_URL | http://localhost:6379 | unknown scheme 'http'",
      "REDIS_URL | localhost:6379 | unknown scheme",
      "REDIS_URL | redis://host/abc | database in the path",
      "REDIS_URL | redis:// | ",
      "REDIS_CLUSTER_NODES | a:7000,b | expected host:port",
      "REDIS_CLUSTER_NODES | a:x | must be a whole number",
      "REDIS_ENABLED | maybe | must be true or false",
      "REDIS_TLS | 2 | must be true or false",
      "REDIS_SOCKET_TIMEOUT_MS | 0 | must be positive",
      "REDIS_CONNECT_TIMEOUT_MS | -5 | must not be negative",
      "REDIS_POOL_MAX_TOTAL | 0 | at least 1",
      "REDIS_FAILURE_THRESHOLD | 0 | at least 1",
      "REDIS_HOST | bad host | not a valid host name",
  })
  void malformedValuesNameTheirSetting(String name, String value, String problem) {
    assertThatThrownBy(() -> env(name, value))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith(name + ":")
        .hasMessageContaining(problem == null ? "" : problem)
        .satisfies(e -> assertThat(((ConfigurationException) e).setting()).isEqualTo(name));
  }

  @Test
  void clusterRejectsNonZeroDatabase() {
    assertThatThrownBy(() -> env("REDIS_CLUSTER_NODES", "a:7000", "REDIS_DB", "3"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("REDIS_DB:")
        .hasMessageContaining("Cluster supports only database 0");
  }

  @Test
  void clusterAndSentinelTogetherAreRejected() {
    assertThatThrownBy(() -> env("REDIS_CLUSTER_NODES", "a:7000", "REDIS_SENTINELS", "s:1",
        "REDIS_SENTINEL_MASTER", "m"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("REDIS_CLUSTER_NODES")
        .hasMessageContaining("REDIS_SENTINELS");
  }

  @Test
  void propertiesAcceptDottedLowerCaseNamesAndIgnoreOthers() {
    Map<String, String> params = Map.of("redis.host", "h", "redis.port", "7001",
        "REDIS_DB", "1", "profiles", "chat,auth");
    RedisSettings s = RedisSettings.fromProperties(params);
    assertThat(s.endpoints()).containsExactly(new Endpoint("h", 7001));
    assertThat(s.database()).isEqualTo(1);
  }

  @Test
  void propertiesErrorsNameTheCanonicalSetting() {
    assertThatThrownBy(() -> RedisSettings.fromProperties(Map.of("redis.port", "x")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("REDIS_PORT:");
  }

  @Test
  void toStringNeverShowsThePassword() {
    RedisSettings s = RedisSettings.fromUrl("redis://user:topsecret@h:1/2");
    assertThat(s.toString()).doesNotContain("topsecret").contains("password=***");
    assertThat(s.describe()).doesNotContain("topsecret");
  }

  @Test
  void urlErrorsDoNotEchoTheCredentials() {
    assertThatThrownBy(() -> RedisSettings.fromUrl("redis://user:topsecret@/0"))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("topsecret"));
  }

  @Test
  void equalSettingsAreEqualAndToBuilderRoundTrips() {
    RedisSettings a = env("REDIS_CLUSTER_NODES", "a:1,b:2", "REDIS_SOCKET_TIMEOUT_MS", "100");
    RedisSettings b = env("REDIS_CLUSTER_NODES", "a:1,b:2", "REDIS_SOCKET_TIMEOUT_MS", "100");
    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
    assertThat(a.toBuilder().build()).isEqualTo(a);
    assertThat(a.toBuilder().database(0).socketTimeout(Duration.ofMillis(101)).build())
        .isNotEqualTo(a);
  }

  @Test
  void builderMisuseNamesTheSetting() {
    assertThatThrownBy(() -> RedisSettings.builder().cluster(List.of()))
        .hasMessageStartingWith("REDIS_CLUSTER_NODES:");
    assertThatThrownBy(() -> RedisSettings.builder().probeInitial(Duration.ofSeconds(10))
        .probeMax(Duration.ofSeconds(1)).build())
        .hasMessageStartingWith("REDIS_PROBE_MAX_MS:");
  }
}
