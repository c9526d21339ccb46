package dev.ratecache.examples.boot4;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.Jackson3Codec;
import dev.ratecache.json.JsonCodec;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringBootVersion;
import org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter on Spring Boot 4 (4.0 here, 4.1 in spring-boot-4.1), under Boot's own dependency
 * management, on its embedded Tomcat against a real redis-server.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "ratecache.ratelimit.profile.search.limit=2/1m",
    "ratecache.redis.connect-timeout-ms=250",
    "ratecache.redis.socket-timeout-ms=250",
    "ratecache.redis.probe-initial-ms=20",
    "ratecache.redis.probe-max-ms=200",
    "spring.jackson.property-naming-strategy=SNAKE_CASE",
    "management.endpoint.ratecache.access=unrestricted"})
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class Boot4IT {
  private static final String AUTO = "dev.ratecache.spring.RatecacheAutoConfiguration";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();

  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @Value("${local.server.port}")
  int port;

  @Autowired
  ConfigurableApplicationContext context;

  @Autowired
  RedisConnector connector;

  @DynamicPropertySource
  static void redisPort(DynamicPropertyRegistry registry) {
    registry.add("ratecache.redis.port", () -> {
      if (!redis.isRunning()) {
        redis.start();
      }
      return redis.port();
    });
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * With {@code spring.threads.virtual.enabled=true} (the java-25 execution) requests are handled
   * on virtual threads, so every other test here runs the filter, the interceptor and the cache
   * on them; without it, on platform threads.
   */
  @Test
  @Order(0)
  void requestsRunOnTheThreadsBootIsConfiguredFor() throws Exception {
    boolean virtual = Boolean.parseBoolean(context.getEnvironment()
        .getProperty("spring.threads.virtual.enabled", "false"));
    HttpResponse<String> platform = get("/platform");
    assertThat(platform.statusCode()).isEqualTo(200);
    assertThat(platform.body()).contains("\"virtual\":" + virtual)
        .contains("\"java\":" + Runtime.version().feature());
  }

  @Test
  @Order(1)
  void everyAutoConfigurationTheStarterDeclaresAppliesNoneSilentlySkipped() {
    assertThat(SpringBootVersion.getVersion()).startsWith("4.");
    ConditionEvaluationReport report = ConditionEvaluationReport.get(context.getBeanFactory());
    Map<String, ConditionEvaluationReport.ConditionAndOutcomes> outcomes =
        report.getConditionAndOutcomesBySource();
    for (String applies : List.of(AUTO, AUTO + "$Web", AUTO + "$Web$Mvc", AUTO + "$Boot4Health",
        AUTO + "$Metrics", AUTO + "$Jackson3Json", AUTO + "$SpringCache",
        AUTO + "$Observations", AUTO + "$ActuatorEndpoint")) {
      assertThat(outcomes).as("conditions of " + applies).containsKey(applies);
      assertThat(outcomes.get(applies).isFullMatch()).as(applies + ": " + outcomes.get(applies))
          .isTrue();
    }
    assertThat(outcomes.get(AUTO + "$Health").isFullMatch())
        .as("Boot 3's health API is absent on Boot 4").isFalse();
    assertThat(context.getBeanNamesForType(
        org.springframework.boot.health.contributor.HealthIndicator.class))
        .contains("ratecacheHealthIndicator");
  }

  /**
   * A Boot 4 application needs no Jackson 2, and ratecache brings none: cached values are
   * written by Boot's own Jackson 3 {@code JsonMapper}, so {@code spring.jackson.*} (here
   * snake_case names) applies to what is stored in Redis as to what the endpoints answer.
   */
  @Test
  @Order(2)
  void cachedJsonIsWrittenByBootsJackson3MapperWithNoJackson2OnTheClassPath() throws Exception {
    assertThatThrownBy(() -> Class.forName("com.fasterxml.jackson.databind.ObjectMapper"))
        .isInstanceOf(ClassNotFoundException.class);
    assertThat(context.getBean(QueryCache.class).codec()).isInstanceOf(Jackson3Codec.class)
        .isSameAs(context.getBean(JsonCodec.class));
    ConditionEvaluationReport.ConditionAndOutcomes jackson2 = ConditionEvaluationReport
        .get(context.getBeanFactory()).getConditionAndOutcomesBySource()
        .get(AUTO + "$Jackson2Json");
    assertThat(jackson2 == null || !jackson2.isFullMatch()).as("Jackson 2 is absent").isTrue();

    HttpResponse<String> first = get("/profiles/9");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).contains("\"display_name\":\"User 9\"")
        .contains("\"member_since\":\"2026-01-02T03:04:05Z\"");
    String stored = redis.withClient(j -> j.get(j.keys("*profile:9*").iterator().next()));
    assertThat(stored).contains("\"display_name\":\"User 9\"").doesNotContain("displayName");
    assertThat(get("/profiles/9").body()).isEqualTo(first.body()); // read back by the same mapper
  }

  /**
   * {@code @Cacheable} and {@code @CacheEvict} go through ratecache's CacheManager, the value
   * written by Boot's Jackson 3 mapper with its type beside it, for the cache's own TTL.
   */
  @Test
  @Order(3)
  void springsCacheAnnotationsUseRatecache() throws Exception {
    assertThat(context.getBean(org.springframework.cache.CacheManager.class))
        .isInstanceOf(dev.ratecache.spring.RatecacheCacheManager.class);
    int before = Boot4App.Prices.LOADS.get();
    HttpResponse<String> first = get("/prices/ACME");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).contains("\"cents\":400");
    assertThat(get("/prices/ACME").body()).isEqualTo(first.body());
    assertThat(Boot4App.Prices.LOADS.get() - before).isEqualTo(1);
    String stored = redis.withClient(j -> j.get("query:spring:prices:ACME"));
    assertThat(stored).startsWith(
        "{\"t\":\"dev.ratecache.examples.boot4.Boot4App$Prices$Price\",\"v\":");
    long ttl = redis.withClient(j -> j.pttl("query:spring:prices:ACME"));
    assertThat(ttl).isBetween(1L, 30_000L);
    HttpResponse<String> evicted = HTTP.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + port + "/prices/ACME")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(evicted.statusCode()).isEqualTo(200);
    assertThat(get("/prices/ACME").body()).isEqualTo(first.body());
    assertThat(Boot4App.Prices.LOADS.get() - before).isEqualTo(2);
  }

  /** Records every observation that stops, by name and low-cardinality keys. */
  @org.springframework.boot.test.context.TestConfiguration
  static class Observed {
    static final java.util.List<String> STOPPED =
        new java.util.concurrent.CopyOnWriteArrayList<>();

    @org.springframework.context.annotation.Bean
    io.micrometer.observation.ObservationHandler<io.micrometer.observation.Observation.Context>
        recordingHandler() {
      return new io.micrometer.observation.ObservationHandler<>() {
        @Override
        public void onStop(io.micrometer.observation.Observation.Context c) {
          StringBuilder b = new StringBuilder(c.getName());
          c.getLowCardinalityKeyValues().stream()
              .sorted(java.util.Comparator.comparing(io.micrometer.common.KeyValue::getKey))
              .forEach(kv -> b.append(' ').append(kv.getKey()).append('=').append(kv.getValue()));
          STOPPED.add(b.toString());
        }

        @Override
        public boolean supportsContext(io.micrometer.observation.Observation.Context c) {
          return true;
        }
      };
    }
  }

  /**
   * Decisions and lookups are Observations on Boot's registry (what a tracer makes spans of),
   * and the Actuator endpoint answers, clears and refuses a pattern outside the library's keys.
   */
  @Test
  @Order(3)
  void decisionsAndLookupsAreObservationsAndTheActuatorEndpointActs() throws Exception {
    Observed.STOPPED.clear();
    assertThat(get("/reports/observed").statusCode()).isEqualTo(200);
    assertThat(get("/users/observed").statusCode()).isEqualTo(200);
    assertThat(Observed.STOPPED).contains(
        "rate_limit.decision backend=redis outcome=allowed profile=search",
        "ratecache.cache.lookup backend=redis category=user result=miss");

    HttpResponse<String> summary = get("/actuator/ratecache");
    assertThat(summary.statusCode()).isEqualTo(200);
    assertThat(summary.body()).contains("\"health\"").contains("ratelimit.search.allowed");
    assertThat(get("/actuator/ratecache/redis").statusCode()).isEqualTo(200);
    boolean stored = redis.withClient(j -> j.exists("query:user:id:observed"));
    assertThat(stored).isTrue();
    HttpResponse<String> cleared = post("/actuator/ratecache/clear",
        "{\"pattern\":\"query:user:*\"}");
    assertThat(cleared.statusCode()).isEqualTo(200);
    assertThat(cleared.body()).contains("\"removed\":");
    boolean left = redis.withClient(j -> j.exists("query:user:id:observed"));
    assertThat(left).isFalse();
    assertThat(post("/actuator/ratecache/clear", "{\"pattern\":\"*\"}").statusCode())
        .isEqualTo(400);
    assertThat(post("/actuator/ratecache/explode", "{}").statusCode()).isEqualTo(400);
    // The search token this test spent, given back as an operator would.
    assertThat(post("/actuator/ratecache/clear", "{\"pattern\":\"rate_limit:*\"}").body())
        .isEqualTo("{\"removed\":1}");
  }

  /**
   * An operator's runtime override through the Actuator endpoint: written, listed, applied by
   * the limiter at once, refused with 400 when malformed, and removed.
   */
  @Test
  @Order(3)
  void anOperatorsOverrideThroughTheActuatorEndpointAppliesAtOnce() throws Exception {
    HttpResponse<String> set = post("/actuator/ratecache/override", "{\"kind\":\"limit\","
        + "\"profile\":\"search\",\"subject\":\"127.0.0.1\",\"value\":\"1/1m\","
        + "\"ttl\":\"10m\"}");
    assertThat(set.statusCode()).as(set.body()).isEqualTo(200);
    assertThat(set.body()).contains("\"subject\":\"127.0.0.1\"").contains("\"revision\":");
    try {
      assertThat(get("/reports/override").statusCode()).isEqualTo(200);
      HttpResponse<String> limited = get("/reports/override");
      assertThat(limited.statusCode()).isEqualTo(429);
      assertThat(limited.body()).contains("1/1m");
      assertThat(get("/actuator/ratecache/overrides").body()).contains("\"value\":\"1/1m\"");
      HttpResponse<String> explained = get("/actuator/ratecache/explain?profile=search"
          + "&client=127.0.0.1");
      assertThat(explained.statusCode()).as(explained.body()).isEqualTo(200);
      assertThat(explained.body()).contains("\"redisKey\":\"rate_limit:search:ip:127.0.0.1\"")
          .contains("\"limitsFrom\":\"operator override for this client\"");
      assertThat(get("/actuator/ratecache/audit").body()).contains("operator:override");
      assertThat(post("/actuator/ratecache/override", "{\"kind\":\"deny\","
          + "\"subject\":\"nobody\"}").statusCode()).isEqualTo(400);
    } finally {
      assertThat(post("/actuator/ratecache/remove-override", "{\"kind\":\"limit\","
          + "\"profile\":\"search\",\"subject\":\"127.0.0.1\"}").body())
          .isEqualTo("{\"removed\":true}");
      post("/actuator/ratecache/clear", "{\"pattern\":\"rate_limit:*\"}");
    }
  }

  private HttpResponse<String> post(String path, String json) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @Order(3)
  void limitsHoldAndTheCacheServes() throws Exception {
    assertThat(get("/reports/a").statusCode()).isEqualTo(200);
    assertThat(get("/reports/a").statusCode()).isEqualTo(200);
    HttpResponse<String> third = get("/reports/a");
    assertThat(third.statusCode()).isEqualTo(429);
    assertThat(third.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    int before = Boot4App.Reports.LOADS.get();
    assertThat(get("/users/7").body()).contains("\"id\":\"7\"");
    assertThat(get("/users/7").body()).contains("\"id\":\"7\"");
    assertThat(Boot4App.Reports.LOADS.get() - before).as("loads for two reads").isEqualTo(1);
  }

  @Test
  @Order(4)
  void healthReportsRedisThenTheFallback() throws Exception {
    HttpResponse<String> up = get("/actuator/health/ratecache");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.body()).contains("\"status\":\"UP\"").contains("\"backend\":\"redis\"");
    redis.stop();
    Await.until("Redis seen down", Duration.ofSeconds(30), () -> {
      try {
        get("/users/8");
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
      return !connector.isAvailable();
    });
    HttpResponse<String> down = get("/actuator/health/ratecache");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("\"backend\":\"memory\"");
  }
}
