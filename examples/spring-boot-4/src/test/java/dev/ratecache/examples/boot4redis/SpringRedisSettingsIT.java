package dev.ratecache.examples.boot4redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * On Boot 4 (4.0 here, 4.1 in spring-boot-4.1), one place to configure Redis: with no {@code
 * ratecache.redis.*}, the starter uses Boot's {@code DataRedisConnectionDetails} (Spring Data
 * Redis is on this test class path): the one Boot makes from {@code spring.data.redis.*}, or the
 * application's own (what Testcontainers' {@code @ServiceConnection} and Docker Compose define);
 * {@code ratecache.redis.*} wins over both; what it cannot take fails the start, named.
 */
class SpringRedisSettingsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  /** An application (scanning nothing, so that it does not find the one below). */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class App {}

  /** An application whose connection details bean names the test server's db 6. */
  @SpringBootConfiguration
  @EnableAutoConfiguration
  static class ServiceConnectionApp {
    @Bean
    DataRedisConnectionDetails redisConnectionDetails() {
      return new DataRedisConnectionDetails() {
        @Override
        public Standalone getStandalone() {
          return Standalone.of("127.0.0.1", redis.port(), 6);
        }
      };
    }
  }

  private static ConfigurableApplicationContext start(Class<?> app, String... properties) {
    // Not the demo's application.properties, which sets ratecache.redis.*.
    List<String> args = new ArrayList<>(List.of("--spring.main.web-application-type=none",
        "--spring.config.name=no-such-file"));
    for (String p : properties) {
      args.add("--" + p);
    }
    return new SpringApplicationBuilder(app).run(args.toArray(String[]::new));
  }

  /** Writes through the app's connector; true if the key landed in {@code db} of the server. */
  private static boolean writesTo(ConfigurableApplicationContext context, int db) {
    RedisConnector connector = context.getBean(RedisConnector.class);
    String key = "written-" + db + "-" + System.nanoTime();
    connector.run(j -> j.set(key, "1"));
    return "1".equals(redis.<String>withClient(j -> {
      j.select(db);
      return j.get(key);
    }));
  }

  @Test
  void springDataRedisPropertiesChooseTheServer() {
    try (ConfigurableApplicationContext context = start(App.class,
        "spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redis.port(),
        "spring.data.redis.database=5", "spring.data.redis.timeout=800ms",
        "spring.data.redis.client-name=orders")) {
      RedisSettings s = context.getBean(RedisConnector.class).settings();
      assertThat(s.endpoints().get(0).port()).isEqualTo(redis.port());
      assertThat(s.database()).isEqualTo(5);
      assertThat(s.socketTimeout()).isEqualTo(Duration.ofMillis(800));
      assertThat(s.clientName()).isEqualTo("orders");
      assertThat(writesTo(context, 5)).isTrue();
      assertThat(context.getBeanProvider(DataRedisConnectionDetails.class).getIfUnique())
          .as("read through Boot's own connection details").isNotNull();
    }
  }

  /** Sentinel and Cluster as Spring names them (the client connects lazily: no servers here). */
  @Test
  void springsSentinelAndClusterSettingsAreTakenAsTheirTopologies() {
    try (ConfigurableApplicationContext context = start(App.class,
        "spring.data.redis.sentinel.master=orders", "spring.data.redis.sentinel.nodes="
            + "127.0.0.1:26379,127.0.0.1:26380", "spring.data.redis.sentinel.password=s3cret",
        "spring.data.redis.database=3")) {
      RedisSettings s = context.getBean(RedisConnector.class).settings();
      assertThat(s.topology().kind()).isEqualTo("sentinel");
      assertThat(s.endpoints()).extracting(RedisSettings.Endpoint::port)
          .containsExactly(26379, 26380);
      assertThat(s.database()).isEqualTo(3);
      assertThat(s.describe()).contains("orders");
    }
    try (ConfigurableApplicationContext context = start(App.class,
        "spring.data.redis.cluster.nodes=127.0.0.1:7001,127.0.0.1:7002")) {
      RedisSettings s = context.getBean(RedisConnector.class).settings();
      assertThat(s.topology().kind()).isEqualTo("cluster");
      assertThat(s.endpoints()).extracting(RedisSettings.Endpoint::port)
          .containsExactly(7001, 7002);
    }
  }

  @Test
  void aConnectionDetailsBeanChoosesTheServer() {
    try (ConfigurableApplicationContext context = start(ServiceConnectionApp.class,
        "spring.data.redis.port=1")) { // the bean, as Boot does, is above the properties
      assertThat(context.getBean(RedisConnector.class).settings().database()).isEqualTo(6);
      assertThat(writesTo(context, 6)).isTrue();
    }
  }

  @Test
  void ratecacheRedisSettingsWinOverSpringsOwn() {
    try (ConfigurableApplicationContext context = start(ServiceConnectionApp.class,
        "ratecache.redis.port=" + redis.port(), "ratecache.redis.db=2",
        "spring.data.redis.port=1")) {
      assertThat(context.getBean(RedisConnector.class).settings().database()).isEqualTo(2);
      assertThat(writesTo(context, 2)).isTrue();
    }
  }

  @Test
  void anSslBundleFailsTheStartNamingIt() {
    assertThatThrownBy(() -> start(App.class, "spring.data.redis.port=" + redis.port(),
        "spring.data.redis.ssl.bundle=redis", "spring.ssl.bundle.pem.redis.truststore.certificate="
            + dev.ratecache.testing.TestCertificates.shared().caCert().toUri()).close())
        .satisfies(t -> {
          ConfigurationException e = null;
          for (Throwable c = t; c != null && e == null; c = c.getCause()) {
            e = c instanceof ConfigurationException ce ? ce : null;
          }
          assertThat(e).as("a ConfigurationException in %s", t.toString()).isNotNull();
          assertThat(e.getMessage()).contains("spring.data.redis.ssl.bundle");
        });
  }
}
