package dev.ratecache.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.cache.DefaultKeyScheme;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.BearerAuthFilter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.ManualScheduler;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.time.Duration;
import java.util.EnumSet;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Health, warm-up, publishing, admin access and metrics against real Redis. */
class OperationsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @Test
  void clusterHealthListsEveryMaster() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(cluster).build())) {
      HealthReport r = HealthCheck.check(c);
      assertThat(r.healthy()).isTrue();
      assertThat(r.topology()).isEqualTo("cluster");
      assertThat(r.nodes()).hasSize(3).allSatisfy(n -> {
        assertThat(n.role()).isEqualTo("master");
        assertThat(n.state()).isEqualTo("ok");
      });
      assertThat(r.redisVersion()).startsWith("7.");
      assertThat(r.usedMemoryBytes()).isPositive();
      assertThat(r.pingMillis()).as("a measured round trip (-1 when unreachable)").isPositive();
      assertThat(r.events()).isEqualTo("unused");

      // Once something listens for invalidation events, the report shows the subscription.
      try (AutoCloseable listening = c.events().subscribe(event -> { })) {
        Await.until("subscribed", () -> c.events().isLive());
        assertThat(HealthCheck.check(c).events()).isEqualTo("live");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
  }

  /**
   * While Redis is known down a report is built from the health state alone: a hundred reports
   * send Redis nothing (counted after the thaw, when Redis reads whatever was written to it while
   * frozen; the connector's background probe waits on a manual scheduler, so only the one {@code
   * checkNow} that found Redis down may show). The pool's idle test, the only other sender of
   * PINGs, first runs 30 s after the pool is made, far beyond this test's few hundred ms.
   */
  @Test
  void aDegradedReportCostsNoNetworkAndNamesTheError() {
    ManualScheduler time = new ManualScheduler(MutableClock.startingNow());
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build(), time.clock(),
        time)) {
      long pings = redis.commandCalls("ping");
      long infos = redis.commandCalls("info");
      redis.freeze();
      try {
        c.checkNow(); // one socket timeout, then known down
        for (int i = 0; i < 100; i++) {
          HealthReport r = HealthCheck.check(c);
          assertThat(r.status()).isEqualTo("DEGRADED");
          assertThat(r.backend()).isEqualTo("memory");
          assertThat(r.lastError()).contains("timed out");
        }
      } finally {
        redis.thaw();
      }
      assertThat(redis.commandCalls("ping") - pings).as("PINGs: at most checkNow's")
          .isLessThanOrEqualTo(1);
      // Only the counting's own INFO calls (the one that read infos, and the PING count's):
      // the hundred reports sent none.
      assertThat(redis.commandCalls("info") - infos).isEqualTo(2);
    }
  }

  @Test
  void warmupReportsEachWarmerAndNeverThrows() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build());
        QueryCache cache = QueryCache.builder().connector(c).build();
        Operations ops = Operations.builder(c).cache(cache).build()) {
      ops.warmup()
          .register(CacheWarmer.of("fails", q -> {
            throw new java.io.IOException("db gone");
          }))
          .register(CacheWarmer.of("chats", q -> {
            q.put(DefaultKeyScheme.chatById("1"), "c1");
            return 1;
          }));
      WarmupReport r = ops.warm();
      assertThat(r.succeeded()).isFalse();
      assertThat(r.entries()).isEqualTo(1);
      assertThat(r.results()).extracting(WarmupReport.Result::name).containsExactly("fails",
          "chats");
      assertThat(r.results().get(0).error()).contains("db gone");
      assertThat(redis.<Boolean>withClient(j -> j.exists(DefaultKeyScheme.chatById("1")))).isTrue();
      assertThat(ops.warmup().runInBackground().join().entries()).isEqualTo(1);
    }
  }

  @Test
  void publishedStatsExpireAfterThreeIntervals() throws Exception {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(c).build();
        Operations ops = Operations.builder(c).rateLimiter(limiter).instanceId("i-1").build()) {
      limiter.tryAcquire("search", "x");
      ops.publishEvery(Duration.ofMillis(200));
      long deadline = System.nanoTime() + 2_000_000_000L;
      while (ops.fleet().isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(ops.fleet()).singleElement().satisfies(s -> {
        assertThat(s.instance()).isEqualTo("i-1");
        assertThat(s.counter("ratelimit.search.allowed")).isEqualTo(1);
      });
      long ttl = redis.withClient(j -> j.pttl("ratecache:instances:i-1"));
      assertThat(ttl).isPositive().isLessThanOrEqualTo(600);
    }
  }

  @Test
  void anAdminClearStaysInsideTheLibrarysKeysAndLiftsRejectionsOnEveryInstance()
      throws Exception {
    redis.withClient(j -> {
      j.set("app:session:42", "s");
      j.set("billing:invoice:7", "i");
      return null;
    });
    String token = "a-token-of-sixteen-chars";
    try (RedisConnector connectorA = RedisConnector.create(TestRedis.settings(redis).build());
        RedisConnector connectorB = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiterA = RateLimiter.builder().connector(connectorA).build();
        RateLimiter limiterB = RateLimiter.builder().connector(connectorB).build();
        QueryCache cacheA = QueryCache.builder().connector(connectorA).build();
        Operations ops = Operations.builder(connectorA).cache(cacheA).rateLimiter(limiterA)
            .build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addFilter(new FilterHolder(new dev.ratecache.ratelimit.RateLimitFilter(limiterA)),
          "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder(new ServletContainer(new ResourceConfig()
          .register(AdminResource.withToken(ops, token)))), "/*");
      context.addServlet(new ServletHolder(new jakarta.servlet.http.HttpServlet() {
        @Override
        protected void service(jakarta.servlet.http.HttpServletRequest req,
            jakarta.servlet.http.HttpServletResponse res) {
          res.setStatus(200);
        }
      }), "/api/*");
      try (JettyApp a = JettyApp.start(context);
          JettyApp b = JettyApp.start(c -> c.addFilter(new FilterHolder(
              new dev.ratecache.ratelimit.RateLimitFilter(limiterB)), "/*",
              EnumSet.of(DispatcherType.REQUEST)))) {
        for (JettyApp app : new JettyApp[] {a, b}) {
          app.send("POST", "/api/upload"); // the first decision subscribes to events
        }
        Await.until("both subscribed",
            () -> connectorA.events().isLive() && connectorB.events().isLive());
        for (JettyApp app : new JettyApp[] {a, b}) {
          for (int i = 0; i < 4; i++) {
            app.send("POST", "/api/upload");
          }
          assertThat(app.send("POST", "/api/upload").statusCode()).isEqualTo(429);
        }
        for (String foreign : new String[] {"*", "app:*", "*session*", "quer?:*", "billing:*",
            "rate_limit", "[a-z]*"}) {
          var refused = a.send("POST", "/admin/ratecache/clear?pattern="
              + java.net.URLEncoder.encode(foreign, java.nio.charset.StandardCharsets.UTF_8),
              "Authorization", "Bearer " + token);
          assertThat(refused.statusCode()).as("pattern %s", foreign).isEqualTo(400);
          assertThat(refused.body()).contains("outside the library's namespaces");
        }
        assertThatThrownBy(() -> ops.clear("app:*", n -> { }))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("app:*");

        var cleared = a.send("POST", "/admin/ratecache/clear?pattern=rate_limit:upload:*",
            "Authorization", "bearer " + token); // the scheme has no case (RFC 9110)
        assertThat(cleared.statusCode()).isEqualTo(200);
        assertThat(cleared.body()).contains("\"removed\":1");
        assertThat(a.send("POST", "/api/upload").statusCode())
            .as("this instance's remembered rejection is lifted at once").isEqualTo(200);
        Await.until("the other instance heard the clear", () -> {
          try {
            return b.send("POST", "/api/upload").statusCode() == 200;
          } catch (java.io.IOException | InterruptedException e) {
            throw new IllegalStateException(e);
          }
        });
        assertThat(a.send("POST", "/admin/ratecache/clear", "Authorization", "Bearer " + token)
            .statusCode()).as("no pattern: every key the library owns").isEqualTo(200);
      }
    }
    assertThat(redis.<String>withClient(j -> j.get("app:session:42"))).isEqualTo("s");
    assertThat(redis.<String>withClient(j -> j.get("billing:invoice:7"))).isEqualTo("i");
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("*")))
        .as("the foreign keys, the cache's generation table, and the audit trail (written out"
            + " when the limiter closed) that recorded the clears")
        .containsExactlyInAnyOrder("app:session:42", "billing:invoice:7",
            "ratecache:generations", "ratecache:audit");
  }

  @Test
  void roleBasedAdminRefusesPrincipalsWithoutTheRole() throws Exception {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build());
        Operations ops = Operations.builder(c).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addFilter(new FilterHolder(new BearerAuthFilter()), "/*",
          EnumSet.of(DispatcherType.REQUEST));
      // The principal "root" has the role "ops"; everyone else has none.
      context.addFilter(new FilterHolder((req, res, chain) -> chain.doFilter(
          new HttpServletRequestWrapper((jakarta.servlet.http.HttpServletRequest) req) {
            @Override
            public boolean isUserInRole(String role) {
              return "ops".equals(role) && getUserPrincipal() != null
                  && "root".equals(getUserPrincipal().getName());
            }
          }, res)), "/*", EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder(new ServletContainer(new ResourceConfig()
          .register(AdminResource.withRole(ops, "ops")))), "/*");
      try (JettyApp app = JettyApp.start(context)) {
        assertThat(app.send("GET", "/admin/ratecache/health").statusCode()).isEqualTo(401);
        assertThat(app.send("GET", "/admin/ratecache/health", "Authorization", "Bearer guest")
            .statusCode()).isEqualTo(403);
        assertThat(app.send("GET", "/admin/ratecache/health", "Authorization", "Bearer root")
            .statusCode()).isEqualTo(200);
        redis.kill();
        c.checkNow();
        var degraded = app.send("GET", "/admin/ratecache/health", "Authorization", "Bearer root");
        assertThat(degraded.statusCode()).isEqualTo(503);
        assertThat(degraded.body()).contains("\"status\":\"DEGRADED\"");
      }
    }
    assertThatThrownBy(() -> AdminResource.withToken(null, "short"))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("ADMIN_TOKEN:");
  }

  @Test
  void micrometerMetersReadTheCounters() {
    try (RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(c).build();
        QueryCache cache = QueryCache.builder().connector(c).build()) {
      SimpleMeterRegistry registry = new SimpleMeterRegistry();
      new RatecacheMetrics(c, limiter, cache).bindTo(registry);
      for (int i = 0; i < 6; i++) {
        limiter.tryAcquire("auth", "m");
      }
      cache.get(DefaultKeyScheme.userByEmail("nobody"), String.class);
      assertThat(registry.get("ratecache.ratelimit.decisions").tag("profile", "auth")
          .tag("outcome", "allowed").functionCounter().count()).isEqualTo(5);
      assertThat(registry.get("ratecache.ratelimit.decisions").tag("profile", "auth")
          .tag("outcome", "rejected").functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("ratecache.cache.requests").tag("category", "user")
          .tag("result", "miss").functionCounter().count()).isEqualTo(1);
      assertThat(registry.get("ratecache.cache.stale").tag("reason", "error").functionCounter()
          .count()).as("nothing served stale here").isZero();
      assertThat(registry.get("ratecache.cache.fleet.waits").functionCounter().count()).isZero();
      assertThat(registry.get("ratecache.redis.up").gauge().value()).isEqualTo(1);

      // Another instance writes between two of this one's decisions on a bucket: the second is
      // made by the swap script in Redis, from the other's state. First this instance's event
      // subscription (begun by its first decision) must be live: when it goes live, everything
      // remembered is dropped (a clear may have gone unheard), which would make that decision
      // one on a bucket it does not remember instead.
      dev.ratecache.testing.Await.until("events subscribed", () -> c.events().isLive());
      double madeBefore = registry.get("ratecache.ratelimit.script.decisions")
          .tag("outcome", "made").functionCounter().count();
      try (RedisConnector otherConnector = RedisConnector.create(TestRedis.settings(redis)
          .build());
          RateLimiter other = RateLimiter.builder().connector(otherConnector).build()) {
        limiter.tryAcquire("chat", "f");
        other.tryAcquire("chat", "f");
        limiter.tryAcquire("chat", "f");
      }
      assertThat(registry.get("ratecache.ratelimit.script.decisions").tag("outcome", "made")
          .functionCounter().count()).isEqualTo(madeBefore + 1);
      assertThat(registry.get("ratecache.ratelimit.script.decisions").tag("outcome", "declined")
          .functionCounter().count()).isZero();
      assertThat(registry.get("ratecache.ratelimit.script.decisions").tag("outcome", "corrected")
          .functionCounter().count()).isZero();
    }
  }
}
