package dev.ratecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ratecache.cache.DefaultKeyScheme;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.cli.CliParsingTest.Run;
import dev.ratecache.ops.AdminResource;
import dev.ratecache.ops.CacheWarmer;
import dev.ratecache.ops.Operations;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.RedisServer;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Every CLI command against a real redis-server (and a real application for warm-up). */
class CliIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "a-long-enough-admin-token";

  private String[] conn(String... args) {
    String[] all = new String[args.length + 4];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--host";
    all[args.length + 1] = "127.0.0.1";
    all[args.length + 2] = "--port";
    all[args.length + 3] = String.valueOf(redis.port());
    return all;
  }

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @Test
  void healthExitsZeroWhenUpAndOneWhenStopped() {
    Run up = Run.of(conn("health"));
    assertThat(up.exit()).isZero();
    assertThat(up.out()).contains("status:     UP").contains("version:    7.");
    Run json = Run.of(conn("health", "--json"));
    assertThat(json.out()).contains("\"status\":\"UP\"").contains("\"backend\":\"redis\"");

    redis.stop();
    Run down = Run.of(conn("health"));
    assertThat(down.exit()).isEqualTo(1);
    assertThat(down.out()).contains("DEGRADED");
  }

  @Test
  void clearWithAPatternRemovesExactlyTheMatchesAmongAHundredThousandKeys() {
    redis.withClient(j -> j.sendCommand(() -> "DEBUG".getBytes(), "POPULATE", "100000",
        "query:chat:id"));
    redis.withClient(j -> {
      for (int i = 0; i < 500; i++) {
        j.set(DefaultKeyScheme.userByEmail("u" + i + "@example.com"), "{}");
      }
      for (int i = 0; i < 300; i++) {
        j.set("foreign:" + i, "theirs");
      }
      return null;
    });

    Run dry = Run.of(conn("clear", "--pattern", "query:user:*", "--dry-run"));
    assertThat(dry.exit()).isZero();
    assertThat(dry.out()).contains("would remove 500 keys matching query:user:*");
    assertThat(redis.<Long>withClient(j -> j.dbSize())).isEqualTo(100_800);

    Run refused = Run.of(Map.of(), "n\n", conn("clear", "--pattern", "query:user:*"));
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("aborted");
    assertThat(redis.<Long>withClient(j -> j.dbSize())).isEqualTo(100_800);

    Run confirmed = Run.of(Map.of(), "y\n", conn("clear", "--pattern", "query:user:*"));
    assertThat(confirmed.exit()).isZero();
    assertThat(confirmed.out()).contains("Remove 500 keys matching query:user:*? [y/N]")
        .contains("removed 500 keys");
    assertThat(redis.<Long>withClient(j -> j.dbSize())).isEqualTo(100_300);

    Run all = Run.of(conn("clear", "--yes"));
    assertThat(all.exit()).isZero();
    assertThat(all.out()).contains("removed 100000 keys");
    assertThat(redis.<Long>withClient(j -> j.dbSize())).as("foreign keys untouched")
        .isEqualTo(300);
  }

  @Test
  void statsJsonAggregatesTrafficFromTwoInstances() throws Exception {
    for (String id : new String[] {"app-1", "app-2"}) {
      try (RedisConnector c = RedisConnector.create(RedisSettings.builder().url(redis.url()).build());
          RateLimiter limiter = RateLimiter.builder().connector(c).build();
          QueryCache cache = QueryCache.builder().connector(c).build();
          Operations ops = Operations.builder(c).rateLimiter(limiter).cache(cache)
              .instanceId(id).build()) {
        int requests = id.equals("app-1") ? 3 : 4;
        for (int i = 0; i < requests; i++) {
          limiter.tryAcquire("chat", id + "-user");
        }
        cache.put(DefaultKeyScheme.userByEmail(id), "x");
        cache.get(DefaultKeyScheme.userByEmail(id), String.class); // hit
        cache.get(DefaultKeyScheme.userByEmail("none"), String.class); // miss
        assertThat(ops.publishNow()).isTrue();
      }
    }
    Run r = Run.of(conn("stats", "--json"));
    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode stats = JSON.readTree(r.out());
    assertThat(stats.get("instances")).hasSize(2);
    JsonNode total = stats.get("total").get("counters");
    assertThat(total.get("ratelimit.chat.allowed").asLong()).isEqualTo(7);
    assertThat(total.get("cache.user.hits").asLong()).isEqualTo(2);
    assertThat(total.get("cache.user.misses").asLong()).isEqualTo(2);
    assertThat(stats.get("redis").get("keysByNamespace").get("ratecache").asLong()).isEqualTo(2);
    assertThat(stats.get("redis").get("keysByNamespace").get("rate_limit").asLong()).isEqualTo(2);

    Run table = Run.of(conn("stats"));
    assertThat(table.out()).containsPattern("app-1\\s+redis").containsPattern("app-2\\s+redis")
        .containsPattern("total\\s+redis\\s+50\\.0%\\s+2\\s+2\\s+7\\s+0");
  }

  @Test
  void monitorRefreshesTheGivenNumberOfTimes() {
    Run r = Run.of(conn("monitor", "--count", "2", "--interval", "0.05"));
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out().split("ratecache monitor", -1)).hasSize(3);
    assertThat(r.out()).contains("redis:").contains("ops/s");
  }

  @Test
  void monitorShowsARefusalAndKeepsRefreshing() {
    redis.withClient(j -> j.aclSetUser("noinfo", "on", ">noinfo-pw", "~*", "&*", "+@all",
        "-info"));
    try {
      Run r = Run.of("monitor", "--count", "2", "--interval", "0.05", "--url",
          "redis://noinfo:noinfo-pw@127.0.0.1:" + redis.port());
      assertThat(r.exit()).as(r.err()).isZero();
      assertThat(r.out().split("Redis refused: NOPERM", -1)).as(r.out()).hasSize(3);
      assertThat(r.out()).contains("'info'");
    } finally {
      redis.withClient(j -> j.aclDelUser("noinfo"));
    }
  }

  @Test
  void warmRunsTheApplicationsWarmersThroughItsAdminEndpoint() throws Exception {
    try (RedisConnector c = RedisConnector.create(RedisSettings.builder().url(redis.url()).build());
        QueryCache cache = QueryCache.builder().connector(c).build();
        Operations ops = Operations.builder(c).cache(cache).build()) {
      ops.warmup().register(CacheWarmer.of("users", q -> {
        q.put(DefaultKeyScheme.userByEmail("alice@example.com"), Map.of("name", "Alice"));
        q.put(DefaultKeyScheme.userByEmail("bob@example.com"), Map.of("name", "Bob"));
        return 2;
      })).register(CacheWarmer.of("broken", q -> {
        throw new IllegalStateException("database unavailable");
      }));
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(new ServletHolder(new ServletContainer(new ResourceConfig()
          .register(AdminResource.withToken(ops, TOKEN)))), "/*");
      try (JettyApp app = JettyApp.start(context)) {
        String url = "http://127.0.0.1:" + app.port();
        Run r = Run.of(Map.of("ADMIN_TOKEN", TOKEN), "", "warm", "--app-url", url);
        assertThat(r.exit()).as("one warmer failed").isEqualTo(1);
        assertThat(r.out()).containsPattern("users\\s+2\\s+")
            .contains("FAILED: java.lang.IllegalStateException: database unavailable");
        assertThat(redis.<Boolean>withClient(j -> j.exists("query:user:email:bob@example.com")))
            .isTrue();

        Run wrong = Run.of("warm", "--app-url", url, "--token", "not-the-admin-token");
        assertThat(wrong.exit()).isEqualTo(1);
        assertThat(wrong.err()).contains("refused the token (HTTP 401)");

        assertThat(app.send("GET", "/admin/ratecache/health").statusCode()).isEqualTo(401);
        assertThat(app.send("POST", "/admin/ratecache/clear").statusCode()).isEqualTo(401);
        assertThat(app.send("GET", "/admin/ratecache/stats", "Authorization", "Bearer x")
            .statusCode()).isEqualTo(401);
        assertThat(app.send("GET", "/admin/ratecache/health", "Authorization",
            "Bearer " + TOKEN).statusCode()).isEqualTo(200);
        var cleared = app.send("POST", "/admin/ratecache/clear?pattern=query:user:*",
            "Authorization", "Bearer " + TOKEN);
        assertThat(cleared.statusCode()).isEqualTo(200);
        assertThat(cleared.body()).isEqualTo("{\"removed\":2}");
      }
    }
  }

  /**
   * {@code override} sets, lists and removes the limiter's runtime overrides through the admin
   * endpoint; the application's limiter applies them at once; a malformed one exits with 2 and
   * the endpoint's reason.
   */
  @Test
  void overrideSetsListsAndRemovesRuntimeOverridesThroughTheAdminEndpoint() throws Exception {
    try (RedisConnector c = RedisConnector.create(RedisSettings.builder().url(redis.url()).build());
        RateLimiter limiter = RateLimiter.builder().connector(c).build();
        Operations ops = Operations.builder(c).rateLimiter(limiter).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(new ServletHolder(new ServletContainer(new ResourceConfig()
          .register(AdminResource.withToken(ops, TOKEN)))), "/*");
      try (JettyApp app = JettyApp.start(context)) {
        String url = "http://127.0.0.1:" + app.port();
        Map<String, String> env = Map.of("ADMIN_TOKEN", TOKEN);
        Run set = Run.of(env, "", "override", "set", "--app-url", url, "--kind", "limit",
            "--profile", "chat", "--client", "app:alice", "--value", "2/1h", "--ttl", "1h");
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(JSON.readTree(set.out()).get("revision").asLong()).isPositive();
        assertThat(limiter.tryAcquire("chat", "alice").allowed()).isTrue();
        assertThat(limiter.tryAcquire("chat", "alice").allowed()).isTrue();
        assertThat(limiter.tryAcquire("chat", "alice").allowed()).isFalse();

        Run deny = Run.of(env, "", "override", "set", "--app-url", url, "--kind", "deny",
            "--client", "203.0.113.0/24", "--ttl", "10m");
        assertThat(deny.exit()).as(deny.err()).isZero();
        JsonNode listed = JSON.readTree(Run.of(env, "", "override", "list", "--app-url", url)
            .out());
        assertThat(listed.get("overrides")).hasSize(2);
        assertThat(listed.get("overrides").findValuesAsText("subject"))
            .containsExactlyInAnyOrder("app:alice", "203.0.113.0/24");

        Run bad = Run.of(env, "", "override", "set", "--app-url", url, "--kind", "deny",
            "--client", "nobody");
        assertThat(bad.exit()).isEqualTo(2);
        assertThat(bad.err()).contains("HTTP 400").contains("names no client");
        assertThat(Run.of(env, "", "override", "set", "--app-url", url, "--kind", "limit",
            "--client", "app:x").exit()).as("no profile, no value").isEqualTo(2);

        Run removed = Run.of(env, "", "override", "remove", "--app-url", url, "--kind",
            "limit", "--profile", "chat", "--client", "app:alice");
        assertThat(removed.out().trim()).isEqualTo("{\"removed\":true}");
        assertThat(Run.of(env, "", "override", "list", "--app-url", url).out())
            .doesNotContain("app:alice");
        assertThat(app.send("GET", "/admin/ratecache/overrides").statusCode()).isEqualTo(401);

        // explain, reset and the audit trail, through the same endpoint.
        for (int i = 0; i < 21; i++) {
          limiter.tryAcquire("chat", "eve");
        }
        Run explained = Run.of(env, "", "explain", "--app-url", url, "--path", "/api/chat",
            "--method", "POST", "--client", "app:eve");
        assertThat(explained.exit()).as(explained.err()).isZero();
        JsonNode e = JSON.readTree(explained.out());
        assertThat(e.at("/profiles/0/redisKey").asText()).isEqualTo("rate_limit:chat:app:eve");
        assertThat(e.at("/profiles/0/tokens").asLong()).isZero();
        assertThat(e.get("next").asText()).startsWith("rejected (429)");
        assertThat(Run.of(env, "", "explain", "--app-url", url, "--path", "/api/chat",
            "--client", "nobody").exit()).isEqualTo(2);
        Run reset = Run.of(env, "", "reset", "--app-url", url, "--client", "app:eve",
            "--profile", "chat");
        assertThat(reset.out().trim()).isEqualTo("{\"removed\":1}");
        assertThat(limiter.tryAcquire("chat", "eve").allowed()).isTrue();
        limiter.audit().flush(); // records are written in the background
        Run audit = Run.of(env, "", "audit", "--app-url", url, "--count", "10");
        assertThat(audit.exit()).isZero();
        assertThat(JSON.readTree(audit.out()).get("records").findValuesAsText("type"))
            .contains("operator:reset", "rejected", "operator:override");
      }
    }
  }

  @Test
  void unreachableApplicationExitsWithThree() {
    Run r = Run.of("warm", "--app-url", "http://127.0.0.1:" + dev.ratecache.testing.Ports.free(),
        "--token", TOKEN);
    assertThat(r.exit()).isEqualTo(3);
    assertThat(r.err()).contains("cannot reach");
  }
}
