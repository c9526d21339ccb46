package dev.ratecache.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ratecache.testing.Ports;
import dev.ratecache.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The demo started in-process on a free port against a real redis-server, route by route. */
class DemoAppIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();
  private static final String TOKEN = "demo-admin-token-0123456789";

  private DemoApp app;

  private static Map<String, String> env(int redisPort) {
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("REDIS_HOST", "127.0.0.1");
    env.put("REDIS_PORT", String.valueOf(redisPort));
    env.put("REDIS_SOCKET_TIMEOUT_MS", "250");
    env.put("REDIS_PROBE_INITIAL_MS", "20");
    env.put("REDIS_PROBE_MAX_MS", "200");
    env.put("ADMIN_TOKEN", TOKEN);
    env.put("DEMO_API_KEYS", "partner-key-1, pro-key-1=pro");
    return env;
  }

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    if (app != null) {
      app.close();
    }
  }

  private HttpResponse<String> send(String method, String path, String body, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + app.port() + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    return send("GET", path, null, headers);
  }

  private long ttl(String key) {
    return redis.withClient(j -> j.pttl(key));
  }

  private static void awaitTrue(Supplier<Boolean> condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.get() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(condition.get()).isTrue();
  }

  @Test
  void healthSaysUpOnRedisAndDegradedOnceItStops() throws Exception {
    app = DemoApp.start(env(redis.port()));
    JsonNode up = JSON.readTree(get("/health").body());
    assertThat(up.get("status").asText()).isEqualTo("UP");
    assertThat(up.get("backend").asText()).isEqualTo("redis");
    redis.stop();
    JsonNode down = JSON.readTree(get("/health").body());
    assertThat(down.get("status").asText()).isEqualTo("DEGRADED");
    assertThat(down.get("backend").asText()).isEqualTo("memory");
    assertThat(get("/api/users/alice@example.com").statusCode()).as("still serving")
        .isEqualTo(200);
  }

  @Test
  void usersAreCachedUnderTheDocumentedKeyAndRenamesInvalidateThem() throws Exception {
    app = DemoApp.start(env(redis.port()));
    app.warmup().join();
    redis.flushAll(); // start from an empty cache, after warm-up filled it
    HttpResponse<String> miss = get("/api/users/bob@example.com");
    assertThat(miss.statusCode()).isEqualTo(200);
    assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(JSON.readTree(miss.body()).get("name").asText()).isEqualTo("Bob");
    assertThat(get("/api/users/bob@example.com").headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(ttl("query:user:email:bob@example.com")).isBetween(299_000L, 300_000L);

    HttpResponse<String> renamed = send("PUT", "/api/users/bob@example.com",
        "{\"name\": \"Robert\"}");
    assertThat(renamed.statusCode()).isEqualTo(200);
    HttpResponse<String> after = get("/api/users/bob@example.com");
    assertThat(after.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(JSON.readTree(after.body()).get("name").asText()).isEqualTo("Robert");

    assertThat(get("/api/users/nobody@example.com").statusCode()).isEqualTo(404);
  }

  @Test
  void malformedOrIncompleteBodiesGet400ProblemsNever500() throws Exception {
    app = DemoApp.start(env(redis.port()));
    for (String[] c : new String[][] {
        {"PUT", "/api/users/alice@example.com", "{\"name\": "},
        {"PUT", "/api/users/alice@example.com", "{}"},
        {"PUT", "/api/users/alice@example.com", "{\"name\": \"  \"}"},
        {"PUT", "/api/users/alice@example.com", "{\"name\": {\"first\": \"A\"}}"},
        {"PUT", "/api/users/alice@example.com", "[1, 2]"},
        {"POST", "/api/chat", "not json"},
        {"POST", "/api/chat", "{\"msg\": \"typo\"}"},
        {"POST", "/api/chat", ""},
        {"POST", "/api/chats/1/messages", "{\"message\": null}"},
        {"POST", "/api/auth/login", "{\"email\": 42}"},
    }) {
      HttpResponse<String> r = send(c[0], c[1], c[2]);
      assertThat(r.statusCode()).as("%s %s %s", c[0], c[1], c[2]).isEqualTo(400);
      assertThat(r.headers().firstValue("Content-Type").orElse(""))
          .as("%s %s", c[0], c[2]).startsWith("application/problem+json");
      assertThat(JSON.readTree(r.body()).get("status").asInt()).isEqualTo(400);
    }
    assertThat(get("/api/documents").statusCode()).as("missing userId").isEqualTo(400);
    assertThat(get("/api/documents?userId=1&limit=0").statusCode()).isEqualTo(400);
    assertThat(get("/api/search").statusCode()).isEqualTo(400);
  }

  @Test
  void chatsMessagesAndDocumentsUseTheirNamespacesAndTtls() throws Exception {
    app = DemoApp.start(env(redis.port()));
    assertThat(get("/api/chats/1").statusCode()).isEqualTo(200);
    // A chat is fresh for 180 s and stored 600 s longer: servable stale while refreshed (60 s)
    // or when the database fails (600 s).
    assertThat(ttl("query:chat:id:1")).isBetween(779_000L, 780_000L);
    assertThat(JSON.readTree(get("/api/users/1/chats").body())).hasSize(2);
    assertThat(ttl("query:chat:user:1")).isBetween(179_000L, 180_000L);

    JsonNode messages = JSON.readTree(get("/api/chats/1/messages").body());
    assertThat(messages).hasSize(2);
    assertThat(ttl("query:messages:chat:1")).isBetween(119_000L, 120_000L);
    assertThat(get("/api/chats/2").statusCode()).isEqualTo(200);
    HttpResponse<String> posted = send("POST", "/api/chats/1/messages",
        "{\"message\": \"And in June?\"}", "Authorization", "Bearer alice");
    assertThat(posted.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(posted.body()).get("author").asText()).isEqualTo("alice");
    HttpResponse<String> fresh = get("/api/chats/1/messages");
    assertThat(fresh.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(JSON.readTree(fresh.body())).hasSize(3);
    assertThat(get("/api/chats/1").headers().firstValue("X-Cache")).as("the chat's tag went too")
        .hasValue("MISS");
    assertThat(get("/api/chats/2").headers().firstValue("X-Cache")).as("another chat's stays")
        .hasValue("HIT");

    assertThat(JSON.readTree(get("/api/documents?userId=1&limit=2").body())).hasSize(2);
    assertThat(ttl("query:rag_documents:user:1:limit:2")).isBetween(59_000L, 60_000L);
    JsonNode stats = JSON.readTree(get("/api/documents/stats?userId=1").body());
    assertThat(stats.get("documents").asInt()).isEqualTo(3);
    assertThat(ttl("query:document_stats:user:1")).isBetween(29_000L, 30_000L);
    assertThat(get("/api/chats/999").statusCode()).isEqualTo(404);
    HttpResponse<String> absent = get("/api/chats/999");
    assertThat(absent.statusCode()).as("a missing chat's 404, cached").isEqualTo(404);
    assertThat(absent.headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(absent.body()).as("replayed as it was sent").contains("No chat 999");
    assertThat(absent.headers().firstValue("Content-Type")).hasValue("application/problem+json");
    assertThat(ttl("query:chat:id:999")).isBetween(1L, 30_000L);
  }

  @Test
  void everyGuardedRouteAdmitsItsLimitThenRejects() throws Exception {
    app = DemoApp.start(env(redis.port()));
    record Route(String method, String path, String body, int limit, String policy) {}
    for (Route r : new Route[] {
        new Route("POST", "/api/chat", "{\"message\": \"hi\"}", 20, "\"chat\";q=20;w=60"),
        new Route("POST", "/api/auth/login", "{\"email\": \"alice@example.com\"}", 5,
            "\"auth\";q=5;w=900"),
        new Route("POST", "/api/upload", "{\"file\": \"x\"}", 5, "\"upload\";q=5;w=60"),
        new Route("GET", "/api/search?q=ali", null, 30, "\"search\";q=30;w=60"),
        new Route("GET", "/legacy/reports/7", null, 10, "\"reports\";q=10;w=60"),
    }) {
      for (int i = 1; i <= r.limit(); i++) {
        HttpResponse<String> ok = send(r.method(), r.path(), r.body(), "Authorization",
            "Bearer walker");
        assertThat(ok.statusCode()).as("%s request %d", r.path(), i).isEqualTo(200);
        assertThat(ok.headers().firstValue("RateLimit-Policy")).hasValue(r.policy());
        assertThat(ok.headers().allValues("RateLimit")).hasSize(1);
      }
      HttpResponse<String> rejected = send(r.method(), r.path(), r.body(), "Authorization",
          "Bearer walker");
      assertThat(rejected.statusCode()).as(r.path()).isEqualTo(429);
      assertThat(rejected.headers().firstValue("Retry-After")).isPresent();
      assertThat(rejected.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("application/problem+json");
    }
    // Another client, identified through X-Forwarded-For from the trusted loopback proxy.
    assertThat(send("POST", "/api/upload", "{}", "X-Forwarded-For", "203.0.113.7").statusCode())
        .isEqualTo(200);
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:upload:ip:203.0.113.7")))
        .isTrue();
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:chat:u:walker"))).isTrue();
    // Anonymous from 127.0.0.1 until the limit; a random key changes nothing, a real one does.
    for (int i = 0; i < 5; i++) {
      send("POST", "/api/auth/login", "{\"email\": \"alice@example.com\"}");
    }
    for (int i = 0; i < 5; i++) {
      assertThat(send("POST", "/api/auth/login", "{\"email\": \"alice@example.com\"}",
          "X-API-Key", "random-" + i).statusCode()).as("a forged key").isEqualTo(429);
    }
    assertThat(send("POST", "/api/auth/login", "{\"email\": \"alice@example.com\"}",
        "X-API-Key", "partner-key-1").statusCode()).as("a demo key").isEqualTo(200);
    // A key on the pro plan chats at the plan's limit; the same request with a forged key and a
    // header naming the plan at the profile's.
    assertThat(send("POST", "/api/chat", "{\"message\": \"hi\"}", "X-API-Key", "pro-key-1")
        .headers().firstValue("RateLimit-Policy")).contains("\"chat\";q=200;w=60");
    assertThat(send("POST", "/api/chat", "{\"message\": \"hi\"}", "X-API-Key", "forged",
        "X-Plan", "pro").headers().firstValue("RateLimit-Policy")).contains("\"chat\";q=20;w=60");
  }

  @Test
  void adminEndpointNeedsTheToken() throws Exception {
    app = DemoApp.start(env(redis.port()));
    assertThat(get("/admin/ratecache/stats").statusCode()).isEqualTo(401);
    HttpResponse<String> stats = get("/admin/ratecache/stats", "Authorization",
        "Bearer " + TOKEN);
    assertThat(stats.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(stats.body()).get("instance").get("backend").asText())
        .isEqualTo("redis");
    HttpResponse<String> warm = send("POST", "/admin/ratecache/warm", null, "Authorization",
        "Bearer " + TOKEN);
    assertThat(JSON.readTree(warm.body()).get("results").get(0).get("entries").asInt())
        .isEqualTo(2);
  }

  @Test
  void startsWithoutRedisThenSwitchesToRedisWhenItAppears() throws Exception {
    int port = Ports.free();
    app = DemoApp.start(env(port));
    JsonNode health = JSON.readTree(get("/health").body());
    assertThat(health.get("status").asText()).isEqualTo("DEGRADED");
    assertThat(health.get("backend").asText()).isEqualTo("memory");
    assertThat(get("/api/users/alice@example.com").statusCode()).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      assertThat(send("POST", "/api/upload", "{}").statusCode()).isEqualTo(200);
    }
    assertThat(send("POST", "/api/upload", "{}").statusCode()).as("limited in memory")
        .isEqualTo(429);

    try (RedisServer late = RedisServer.builder().port(port).build().start()) {
      awaitTrue(() -> {
        try {
          return JSON.readTree(get("/health").body()).get("status").asText().equals("UP");
        } catch (Exception e) {
          return false;
        }
      });
      assertThat(get("/api/chats/2").statusCode()).isEqualTo(200);
      assertThat(late.<Boolean>withClient(j -> j.exists("query:chat:id:2"))).isTrue();
    }
  }
}
