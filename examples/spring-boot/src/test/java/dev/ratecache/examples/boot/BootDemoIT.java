package dev.ratecache.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Spring Boot demo under Boot's own dependency management (no version pinned), on its
 * embedded Tomcat, against a real redis-server: every part the starter configures.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "ratecache.ratelimit.profile.chat.limit=3/1m",
    "ratecache.ratelimit.profile.search.limit=2/1m",
    "ratecache.ratelimit.profile.auth.fallback=closed",
    "ratecache.redis.connect-timeout-ms=250",
    "ratecache.redis.socket-timeout-ms=250",
    "ratecache.redis.probe-initial-ms=20",
    "ratecache.redis.probe-max-ms=200"})
class BootDemoIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @LocalServerPort
  int port;

  @Autowired
  RedisConnector connector;

  /**
   * Every test starts with no buckets. Cleared as an operator would (a sweep announced to every
   * instance), not by FLUSHALL behind the limiter's back: it remembers rejected clients.
   */
  @BeforeEach
  void resetBuckets() {
    if (!redis.isRunning()) {
      redis.start();
    }
    connector.unlinkMatching("rate_limit:*", scanned -> { });
    redis.flushAll();
  }

  @DynamicPropertySource
  static void redisPort(DynamicPropertyRegistry registry) {
    BootTests.redisPort(registry, redis);
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    return BootTests.send(port, method, path);
  }

  /** {@link #send} for use inside an {@link Await} condition. */
  private HttpResponse<String> get(String path) {
    try {
      return send("GET", path);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Autowired
  org.springframework.context.ConfigurableApplicationContext context;

  /**
   * Every auto-configuration the starter declares applies on Boot 3.5 (the Boot 4 health one is
   * skipped, its API being absent): a condition that is silently false fails here.
   */
  @Test
  void everyAutoConfigurationTheStarterDeclaresApplies() {
    String auto = "dev.ratecache.spring.RatecacheAutoConfiguration";
    var outcomes = org.springframework.boot.autoconfigure.condition.ConditionEvaluationReport
        .get(context.getBeanFactory()).getConditionAndOutcomesBySource();
    for (String applies : java.util.List.of(auto, auto + "$Web", auto + "$Web$Mvc",
        auto + "$Health", auto + "$Metrics", auto + "$Jackson2Json", auto + "$SpringCache",
        auto + "$Observations", auto + "$ActuatorEndpoint")) {
      assertThat(outcomes).as("conditions of " + applies).containsKey(applies);
      assertThat(outcomes.get(applies).isFullMatch()).as(applies + ": " + outcomes.get(applies))
          .isTrue();
    }
    assertThat(outcomes.get(auto + "$Boot4Health").isFullMatch())
        .as("Boot 4's health API is absent on Boot 3.5").isFalse();
    // Cached JSON is written by the application's own ObjectMapper (Boot 3's Jackson 2).
    assertThat(context.getBean(dev.ratecache.cache.QueryCache.class).codec())
        .isInstanceOf(dev.ratecache.json.Jackson2Codec.class)
        .isSameAs(context.getBean(dev.ratecache.json.JsonCodec.class));
  }

  /**
   * The ApiKeyVerifier bean's plan reaches the limiter: a pro key has the pro plan's chat limit
   * (ratecache.ratelimit.profile.chat.limit.pro, bound beside ...chat.limit), a forged key or a
   * header naming a plan the profile's own.
   */
  @Test
  void anApiKeysPlanFromTheVerifierBeanSetsItsLimit() throws Exception {
    HttpResponse<String> pro = BootTests.HTTP.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port + "/api/chat")).header("X-API-Key",
        "demo-pro-key").POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(pro.statusCode()).isEqualTo(200);
    assertThat(pro.headers().firstValue("RateLimit-Policy")).contains("\"chat\";q=40;w=60");
    HttpResponse<String> forged = BootTests.HTTP.send(java.net.http.HttpRequest.newBuilder(
        java.net.URI.create("http://127.0.0.1:" + port + "/api/chat")).header("X-API-Key",
        "guessed").header("X-Plan", "pro").POST(java.net.http.HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(forged.headers().firstValue("RateLimit-Policy")).contains("\"chat\";q=3;w=60");
  }

  @Test
  void theFilterLimitsByPrefixWithHeadersAndAnUntouchedProblemBody() throws Exception {
    for (int i = 3; i > 0; i--) {
      HttpResponse<String> ok = send("POST", "/api/chat");
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.headers().firstValue("X-RateLimit-Remaining")).contains(String.valueOf(i - 1));
      assertThat(ok.headers().firstValue("X-RateLimit-Limit")).contains("3");
      assertThat(ok.headers().firstValue("RateLimit-Policy")).isPresent(); // and the draft's
    }
    HttpResponse<String> refused = send("POST", "/api/chat");
    assertThat(refused.statusCode()).isEqualTo(429);
    assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(refused.headers().firstValue("Retry-After")).isPresent();
    assertThat(refused.body()).contains("\"status\":429").doesNotContain("\"path\"")
        .as("Spring's error page would add path and timestamp").doesNotContain("timestamp");
    java.util.Set<String> buckets = redis.withClient(j -> j.keys("rate_limit:chat:*"));
    assertThat(buckets).as("the bucket is in Redis").hasSize(1);
  }

  @Test
  void rateLimitedOnAControllerIsHonouredAndChargedOnceWithTheFilter() throws Exception {
    assertThat(send("GET", "/reports/q1").statusCode()).isEqualTo(200);
    HttpResponse<String> second = send("GET", "/reports/q2");
    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(second.headers().firstValue("X-RateLimit-Remaining")).contains("0");
    HttpResponse<String> third = send("GET", "/reports/q3");
    assertThat(third.statusCode()).as("@RateLimited(\"search\") alone, 2/min").isEqualTo(429);
    assertThat(third.body()).contains("\"status\":429");

    // Under the chat prefix and annotated with chat too: one token per request, not two.
    for (int left = 2; left >= 0; left--) {
      HttpResponse<String> r = send("POST", "/api/chat/annotated");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("X-RateLimit-Remaining")).contains(String.valueOf(left));
    }
    assertThat(send("POST", "/api/chat/annotated").statusCode()).isEqualTo(429);
  }

  /**
   * {@code @Cacheable} and {@code @CacheEvict} go through ratecache's CacheManager (Boot's own
   * cache auto-configuration backs off): one load for two reads, stored in Redis with the cache's
   * own TTL and the value's type, and an eviction reloads.
   */
  @Test
  void springsCacheAnnotationsUseRatecache() throws Exception {
    assertThat(context.getBean(org.springframework.cache.CacheManager.class))
        .isInstanceOf(dev.ratecache.spring.RatecacheCacheManager.class);
    int before = BootDemoApp.Prices.LOADS.get();
    HttpResponse<String> first = send("GET", "/prices/ACME");
    assertThat(first.statusCode()).isEqualTo(200);
    assertThat(first.body()).contains("\"cents\":400");
    assertThat(send("GET", "/prices/ACME").body()).isEqualTo(first.body());
    assertThat(BootDemoApp.Prices.LOADS.get() - before).isEqualTo(1);
    String stored = redis.withClient(j -> j.get("query:spring:prices:ACME"));
    assertThat(stored).startsWith(
        "{\"t\":\"dev.ratecache.examples.boot.BootDemoApp$Prices$Price\",\"v\":");
    long ttl = redis.withClient(j -> j.pttl("query:spring:prices:ACME"));
    assertThat(ttl).isBetween(1L, 30_000L);
    assertThat(send("DELETE", "/prices/ACME").statusCode()).isEqualTo(200);
    assertThat(send("GET", "/prices/ACME").body()).isEqualTo(first.body());
    assertThat(BootDemoApp.Prices.LOADS.get() - before).isEqualTo(2);
  }

  /**
   * The Actuator endpoint answers health and counters, read-only as the demo exposes it; every
   * decision is an Observation, which Boot's meter handler makes the timer rate_limit.decision.
   */
  @Test
  void theActuatorEndpointAndTheObservationsAreThere() throws Exception {
    assertThat(send("GET", "/reports/observed").statusCode()).isEqualTo(200);
    HttpResponse<String> summary = send("GET", "/actuator/ratecache");
    assertThat(summary.statusCode()).isEqualTo(200);
    assertThat(summary.body()).contains("\"health\"").contains("\"instance\"")
        .contains("ratelimit.search.allowed");
    assertThat(send("POST", "/actuator/ratecache/clear").statusCode())
        .as("writes are off while the endpoint is read-only").isGreaterThanOrEqualTo(400);
    HttpResponse<String> timer = send("GET", "/actuator/metrics/rate_limit.decision");
    assertThat(timer.statusCode()).isEqualTo(200);
    assertThat(timer.body()).contains("\"profile\"").contains("search");
  }

  /**
   * {@code count=failures} through the MVC interceptor: right passwords (also answered
   * asynchronously) never use the limit, three wrong ones do, and then even the right one waits.
   */
  @Test
  void onlyFailedLoginsUseTheLoginLimit() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertThat(send("POST", "/login?pw=right").statusCode()).isEqualTo(200);
      assertThat(send("POST", "/login/slow?pw=right").statusCode()).isEqualTo(200);
    }
    assertThat(send("POST", "/login?pw=bad").statusCode()).isEqualTo(401);
    assertThat(send("POST", "/login/slow?pw=bad").statusCode()).isEqualTo(401);
    assertThat(send("POST", "/login?pw=bad").statusCode()).isEqualTo(401);
    HttpResponse<String> limited = send("POST", "/login?pw=right");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.body()).contains("\"policy\":\"login\"");
    var stats = context.getBean(dev.ratecache.ratelimit.RateLimiter.class).stats().profiles()
        .get("login");
    assertThat(stats.refunded()).as("every success gave its token back").isEqualTo(12);
  }

  /**
   * Failed logins for one account from one address lock that pair out (1 minute, then doubling),
   * with nothing charged while blocked; another account from the same address logs in.
   */
  @Test
  void failedLoginsLockOutOneAccountFromOneAddress() throws Exception {
    for (int i = 0; i < 3; i++) {
      assertThat(send("POST", "/login?user=carol&pw=bad").statusCode()).isEqualTo(401);
    }
    HttpResponse<String> hit = send("POST", "/login?user=carol&pw=right");
    assertThat(hit.statusCode()).isEqualTo(429);
    assertThat(hit.headers().firstValue("Retry-After")).contains("60");
    HttpResponse<String> blocked = send("POST", "/login?user=carol&pw=right");
    assertThat(blocked.statusCode()).isEqualTo(429);
    assertThat(blocked.body()).contains("\"reason\":\"blocked\"");
    assertThat(send("POST", "/login?user=dave&pw=right").statusCode()).isEqualTo(200);
    var stats = context.getBean(dev.ratecache.ratelimit.RateLimiter.class).stats().profiles()
        .get("login");
    assertThat(stats.lockouts()).isPositive();
  }

  @Test
  void theQueryCacheServesRepeatsWithoutLoading() throws Exception {
    int before = BootDemoApp.Users.LOADS.get();
    assertThat(send("GET", "/users/7").body()).contains("User 7");
    assertThat(send("GET", "/users/7").body()).contains("User 7");
    assertThat(BootDemoApp.Users.LOADS.get() - before).isEqualTo(1);
    boolean stored = redis.withClient(j -> j.exists("query:user:id:7"));
    assertThat(stored).as("the entry is in Redis").isTrue();
  }

  @Test
  void actuatorHealthGoesDownWithRedisAndUpAgainAndMetricsAreBoundAndClosedProfilesAnswer503() throws Exception {
    assertThat(send("GET", "/actuator/metrics/ratecache.redis.up").statusCode())
        .isEqualTo(200);
    assertThat(send("GET", "/actuator/metrics/ratecache.ratelimit.decisions")
        .statusCode()).isEqualTo(200);
    HttpResponse<String> up = send("GET", "/actuator/health/ratecache");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.body()).contains("\"status\":\"UP\"").contains("\"backend\":\"redis\"");
    redis.stop();
    try {
      // The first call that meets the dead server switches to the fallback; it is still served.
      assertThat(send("GET", "/users/8").statusCode()).isEqualTo(200);
      Await.until("health DOWN", () -> {
        HttpResponse<String> h = get("/actuator/health/ratecache");
        return h.statusCode() == 503 && h.body().contains("\"backend\":\"memory\"");
      });
      assertThat(send("GET", "/actuator/health").body()).contains("\"status\":\"DOWN\"");
      // A profile that fails closed answers 503 while Redis is down, in the library's words.
      HttpResponse<String> closed = send("POST", "/api/auth/login");
      assertThat(closed.statusCode()).isEqualTo(503);
      assertThat(closed.headers().firstValue("Retry-After")).isPresent();
      assertThat(closed.headers().firstValue("Content-Type")).hasValueSatisfying(
          t -> assertThat(t).startsWith("application/problem+json"));
      assertThat(closed.body()).contains("\"status\":503").doesNotContain("timestamp");
    } finally {
      redis.start();
    }
    Await.until("health UP again", () -> get("/actuator/health/ratecache").statusCode() == 200);
  }
}
