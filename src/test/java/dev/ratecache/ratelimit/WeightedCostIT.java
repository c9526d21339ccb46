package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.CachedQuery;
import dev.ratecache.cache.CachedQueryFeature;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.ClientKeyResolverTest.Req;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Weighted cost on real Redis: over HTTP a route's {@code @RateLimited(cost = …)} tops up what
 * the filter's prefix charged, a {@code @CachedQuery} hit or a 304 costs the profile's {@code
 * cost-on-hit}, and the headers report what is left; and a recorded history of requests of mixed
 * costs on two instances (standalone and Cluster, both bucket protocols) never admits more
 * tokens than the bucket held plus its refill.
 */
class WeightedCostIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
  }

  /** An item (cached) and an export (10 tokens). */
  @Path("/items")
  @Produces(MediaType.APPLICATION_JSON)
  public static class Items {
    @GET
    @Path("{id}")
    @RateLimited("api")
    @CachedQuery(value = "query:item:{id}", ttlSeconds = 60, shared = true)
    public Map<String, String> item(@PathParam("id") String id) {
      return Map.of("id", id);
    }

    @GET
    @Path("export")
    @RateLimited(value = "api", cost = 10)
    public Map<String, String> export() {
      return Map.of("rows", "many");
    }
  }

  private static long left(HttpResponse<String> r) {
    String header = r.headers().firstValue("X-RateLimit-Remaining").orElseThrow();
    return Long.parseLong(header);
  }

  @Test
  void aRoutesCostTopsUpTheFiltersChargeAndACacheHitCostsItsCostOnHit() throws Exception {
    RateLimitProfile api = RateLimitProfile.builder("api").limit(Limit.of(30,
        Duration.ofHours(1))).prefix("/api").cost(3).costOnHit(1).build();
    try (RedisConnector c = RedisConnector.create(TestRedis.patient(TestRedis.settings(redis)));
        RateLimiter limiter = RateLimiter.builder().connector(c).profiles(List.of(api))
            .headerStyle(HeaderStyle.BOTH).build();
        QueryCache cache = QueryCache.builder().connector(c).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
          EnumSet.of(DispatcherType.REQUEST));
      context.addServlet(new ServletHolder(new ServletContainer(new ResourceConfig()
          .register(new CachedQueryFeature(cache)).register(new RateLimitFeature(limiter))
          .register(Items.class))), "/api/*");
      try (JettyApp app = JettyApp.start(context)) {
        HttpResponse<String> miss = app.send("GET", "/api/items/1");
        assertThat(miss.headers().firstValue("X-Cache")).contains("MISS");
        assertThat(left(miss)).as("30 - 3").isEqualTo(27);
        HttpResponse<String> hit = app.send("GET", "/api/items/1");
        assertThat(hit.headers().firstValue("X-Cache")).contains("HIT");
        assertThat(left(hit)).as("charged 3 on arrival").isEqualTo(24);
        String client = "ip:127.0.0.1";
        assertThat(limiter.status("api", client).remaining()).as("a hit costs 1 in the end")
            .isEqualTo(26);
        String etag = hit.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> notModified = app.send("GET", "/api/items/1", "If-None-Match", etag);
        assertThat(notModified.statusCode()).isEqualTo(304);
        assertThat(limiter.status("api", client).remaining()).as("a 304 too").isEqualTo(25);

        HttpResponse<String> export = app.send("GET", "/api/items/export");
        assertThat(export.statusCode()).isEqualTo(200);
        assertThat(export.headers().allValues("X-RateLimit-Remaining"))
            .as("the top-up's headers, once").containsExactly("15");
        assertThat(limiter.status("api", client).remaining()).isEqualTo(15);
        assertThat(app.send("GET", "/api/items/export").statusCode()).isEqualTo(200); // 5 left
        HttpResponse<String> refused = app.send("GET", "/api/items/export");
        assertThat(refused.statusCode()).isEqualTo(429);
        assertThat(limiter.status("api", client).remaining())
            .as("the filter's 3 charged, the refused top-up not").isEqualTo(2);
      }
    }
  }

  /**
   * A cost function of the request: one token per hundred rows asked for, held to at least 1;
   * one that throws charges the profile's cost; a malformed class name fails the start naming
   * the setting.
   */
  @Test
  void aCostFunctionOfTheRequestSetsEachRequestsCost() throws Exception {
    RateLimitProfile bulk = RateLimitProfile.builder("bulk").limit(Limit.of(10,
        Duration.ofHours(1))).prefix("/bulk").costFunction(request -> (long) Math.ceil(
            Integer.parseInt(request.getParameter("rows")) / 100.0)).build();
    try (RedisConnector c = RedisConnector.create(TestRedis.patient(TestRedis.settings(redis)));
        RateLimiter limiter = RateLimiter.builder().connector(c).profiles(List.of(bulk))
            .headerStyle(HeaderStyle.LEGACY).build();
        JettyApp app = JettyApp.start(context -> {
          context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
              EnumSet.of(DispatcherType.REQUEST));
          context.addServlet(new ServletHolder(new jakarta.servlet.http.HttpServlet() {
            @Override
            protected void service(jakarta.servlet.http.HttpServletRequest req,
                jakarta.servlet.http.HttpServletResponse res) {
              res.setStatus(200);
            }
          }), "/bulk/*");
        })) {
      assertThat(left(app.send("GET", "/bulk/export?rows=500"))).isEqualTo(5);
      assertThat(left(app.send("GET", "/bulk/export?rows=0"))).as("at least 1").isEqualTo(4);
      assertThat(left(app.send("GET", "/bulk/export?rows=lots"))).as("it threw: the cost, 1")
          .isEqualTo(3);
      assertThat(app.send("GET", "/bulk/export?rows=400").statusCode()).isEqualTo(429);
      assertThat(left(app.send("GET", "/bulk/export?rows=300"))).isZero();
    }
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> RateLimiter.builder()
        .environment(n -> n.equals("REDIS_ENABLED") ? "false" : null)
        .params(Map.of("profile.chat.cost-function", "no.such.Function")).build())
        .isInstanceOf(dev.ratecache.ConfigurationException.class)
        .hasMessageContaining("profile.chat.cost-function");
  }

  static Stream<Arguments> runs() {
    return Stream.of("standalone", "cluster").flatMap(t -> Stream.of(RedisBucketProtocol.values())
        .map(p -> Arguments.of(t, p)));
  }

  /**
   * Two instances, four threads each, requests costing 1 to 5 tokens at random against one
   * client's 200/1h, until each thread has been refused ten times. Each decision's start, end,
   * cost and outcome is recorded; the checker demands that the admitted tokens never exceed 200
   * plus what the hour's refill added over the run, and that the bucket was used up (a refusal
   * only once fewer tokens were left than asked for: at most 4 short of the total).
   */
  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("runs")
  void weightedDecisionsOnTwoInstancesNeverAdmitMoreTokensThanTheBucketHeld(String topology,
      RedisBucketProtocol protocol) throws Exception {
    RedisSettings settings = topology.equals("cluster")
        ? TestRedis.patient(TestRedis.settings(cluster)) : TestRedis.patient(
            TestRedis.settings(redis));
    if (topology.equals("cluster")) {
      cluster.flushAll();
    }
    RateLimitProfile api = RateLimitProfile.builder("api").limit(Limit.of(200,
        Duration.ofHours(1))).prefix("/api").build();
    record Decision(long start, long end, long cost, boolean allowed) {}
    List<Decision> history = Collections.synchronizedList(new ArrayList<>());
    List<AutoCloseable> open = new ArrayList<>();
    try {
      RateLimiter[] instances = new RateLimiter[2];
      for (int i = 0; i < 2; i++) {
        RedisConnector c = RedisConnector.create(settings);
        open.add(c);
        instances[i] = RateLimiter.builder().connector(c).profiles(List.of(api))
            .redisBuckets(protocol).build();
        open.add(instances[i]);
      }
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> threads = new ArrayList<>();
      long first = System.nanoTime();
      for (int t = 0; t < 8; t++) {
        RateLimiter limiter = instances[t % 2];
        Random random = new Random(t);
        threads.add(pool.submit(() -> {
          int refused = 0;
          while (refused < 10) {
            long cost = 1 + random.nextInt(5);
            Req r = new Req();
            r.remote = "192.0.2.77";
            Map<String, Object> attributes = new HashMap<>();
            long start = System.nanoTime();
            RateLimitDecision d = limiter.decideOnce(api, cost, r, attributes::get,
                attributes::put);
            history.add(new Decision(start, System.nanoTime(), cost, d.allowed()));
            assertThat(d.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
            refused += d.allowed() ? 0 : 1;
          }
        }));
      }
      for (Future<?> f : threads) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      long last = System.nanoTime();
      long admitted = history.stream().filter(Decision::allowed).mapToLong(Decision::cost).sum();
      long refill = (long) Math.ceil((last - first) * 200.0 / TimeUnit.HOURS.toNanos(1));
      assertThat(admitted).as("tokens admitted, %d decisions", history.size())
          .isLessThanOrEqualTo(200 + refill).isGreaterThanOrEqualTo(200 - 4);
    } finally {
      Collections.reverse(open);
      for (AutoCloseable c : open) {
        c.close();
      }
    }
  }
}
