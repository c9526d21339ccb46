package dev.ratecache.examples.bench;

import dev.ratecache.cache.CachedQuery;
import dev.ratecache.cache.CachedQueryFeature;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.ApiKeyVerifier;
import dev.ratecache.ratelimit.ClientKeyResolver;
import dev.ratecache.ratelimit.Limit;
import dev.ratecache.ratelimit.RateLimitFilter;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RedisBucketProtocol;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import jakarta.servlet.DispatcherType;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.io.IOException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;
import org.glassfish.jersey.servlet.ServletContainer;

/**
 * The application under load: one endpoint per scenario, all in one Jetty.
 *
 * <ul>
 *   <li>{@code /plain} — unguarded (the baseline);
 *   <li>{@code /guarded} — profile {@code open}, a limit no load here can reach, through
 *       Bucket4j's Jedis proxy manager ({@code bucket4j-jedis});
 *   <li>{@code /guarded1} — the same through the one-round-trip protocol (the default);
 *   <li>{@code /tight} — profile {@code tight}, one request per hour, so a client is soon over;
 *   <li>{@code /api/item/{id}} — {@code @CachedQuery} over a 20 ms query;
 *       {@code /api/uncached/{id}} — the same query, not cached;
 *   <li>{@code /api/constant/{id}} — the same JSON from Jersey with no query and no cache (the
 *       JAX-RS baseline);
 *   <li>{@code /near/item/{id}} — the cached query again, through a cache with a 5 s near cache.
 * </ul>
 */
final class BenchApp implements AutoCloseable {
  /**
   * The load driver's keys stand for distinct clients (hot key, 10,000 keys): every key counts,
   * as a verifier backed by a real key store would say of real keys.
   */
  private static final ApiKeyVerifier BENCH_KEYS = ApiKeyVerifier.of(key -> true);

  final Server server;
  final RedisConnector connector;
  final RateLimiter limiter;
  final RateLimiter oneTrip;
  /** The two fleet limiters and the second instance's connector, closed last. */
  private final List<AutoCloseable> secondInstance;
  final QueryCache cache;
  final QueryCache nearCache;
  final int port;

  private BenchApp(Server server, RedisConnector connector, RateLimiter limiter,
      RateLimiter oneTrip, QueryCache cache, QueryCache nearCache, int port,
      List<AutoCloseable> secondInstance) {
    this.secondInstance = secondInstance;
    this.server = server;
    this.connector = connector;
    this.limiter = limiter;
    this.oneTrip = oneTrip;
    this.cache = cache;
    this.nearCache = nearCache;
    this.port = port;
  }

  static BenchApp start(RedisSettings settings) throws Exception {
    return start(settings, false);
  }

  /**
   * The app on its own connector; with {@code virtualThreads} (Java 21 or later) Jetty handles
   * every request on a virtual thread (its {@code VirtualThreadPool}) instead of its pool of 64
   * platform threads.
   */
  static BenchApp start(RedisSettings settings, boolean virtualThreads) throws Exception {
    RedisConnector connector = RedisConnector.create(settings);
    RateLimiter limiter = RateLimiter.builder()
        .connector(connector)
        .profiles(List.of(
            RateLimitProfile.builder("open").limit(Limit.of(1_000_000_000L, Duration.ofSeconds(1)))
                .prefix("/guarded").build(),
            RateLimitProfile.builder("tight").limit(Limit.of(1, Duration.ofHours(1)))
                .prefix("/tight").build()))
        .keyResolver(ClientKeyResolver.builder().strategies("api-key,ip")
            .apiKeyVerifier(BENCH_KEYS).build())
        .redisBuckets(RedisBucketProtocol.BUCKET4J_JEDIS) // Bucket4j's proxy manager as shipped
        .build();
    // The same open profile through the one-round-trip bucket protocol (the default), on its own
    // path.
    RateLimiter oneTrip = oneRoundTrip(connector, "open1",
        Limit.of(1_000_000_000L, Duration.ofSeconds(1)), "/guarded1");
    // Two instances on the same buckets (the second with its own connector, as another process
    // would have), for the row where instances take turns on each client: a limit a public API
    // would set, 1,000 a minute, which the load never reaches.
    RateLimiter fleetA = oneRoundTrip(connector, "fleet", Limit.of(1000, Duration.ofMinutes(1)),
        "/fleet");
    // The policies a public API sets (issue 27's check: no more than 3 % over /guarded1): every
    // key on a plan with its own limit, a cost of 2, and an allow list of addresses and
    // identities that the load never matches (so each decision also works out the address).
    RateLimiter policies = RateLimiter.builder()
        .connector(connector)
        .profiles(List.of(RateLimitProfile.builder("policies")
            .limit(Limit.of(500_000_000L, Duration.ofSeconds(1)))
            .planLimits("pro", List.of(Limit.of(1_000_000_000L, Duration.ofSeconds(1))))
            .cost(2).allow(List.of("198.51.100.0/24", "203.0.113.0/24", "user:ops", "key:partner"))
            .prefix("/policies").build()))
        .keyResolver(ClientKeyResolver.builder().strategies("api-key,ip")
            .apiKeyVerifier(ApiKeyVerifier.withPlans(key -> {
              String owner = BENCH_KEYS.verify(key);
              return owner == null ? null : new ApiKeyVerifier.Owner(owner, "pro");
            })).build())
        .redisBuckets(RedisBucketProtocol.ONE_ROUND_TRIP)
        .build();
    RedisConnector secondConnector = RedisConnector.create(settings);
    RateLimiter fleetB = oneRoundTrip(secondConnector, "fleet",
        Limit.of(1000, Duration.ofMinutes(1)), "/fleetb");
    QueryCache cache = QueryCache.builder().connector(connector).nearCache(Duration.ZERO).build();
    QueryCache nearCache = QueryCache.builder().connector(connector)
        .nearCache(Duration.ofSeconds(5)).build();
    // Its clock runs 100,000 times fast: a chat's 180 s TTL passes in 1.8 ms, so nearly every
    // hit is past its TTL, served stale while the one refresh (a 20 ms query) runs.
    QueryCache staleCache = QueryCache.builder().connector(connector).nearCache(Duration.ZERO)
        .clock(fastClock(100_000)).staleWhileRevalidate(Duration.ofHours(10)).build();
    // The same cache with compression off: a 200 KB history stored as it is (F6 against F5).
    QueryCache plainCache = QueryCache.builder().connector(connector).nearCache(Duration.ZERO)
        .compressionThreshold(0).build();

    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new RateLimitFilter(oneTrip)), "/guarded1",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new RateLimitFilter(fleetA)), "/fleet",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new RateLimitFilter(policies)), "/policies",
        EnumSet.of(DispatcherType.REQUEST));
    context.addFilter(new FilterHolder(new RateLimitFilter(fleetB)), "/fleetb",
        EnumSet.of(DispatcherType.REQUEST));
    HttpServlet ok = new HttpServlet() {
      @Override
      protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
        resp.setContentType("text/plain");
        resp.getWriter().write("ok");
      }
    };
    context.addServlet(new ServletHolder(ok), "/plain");
    context.addServlet(new ServletHolder(floor(connector)), "/floor");
    context.addServlet(new ServletHolder(ok), "/guarded");
    context.addServlet(new ServletHolder(ok), "/guarded1");
    context.addServlet(new ServletHolder(ok), "/fleet");
    context.addServlet(new ServletHolder(ok), "/policies");
    context.addServlet(new ServletHolder(ok), "/fleetb");
    context.addServlet(new ServletHolder(ok), "/tight");
    context.addServlet(items(cache), "/api/*");
    context.addServlet(items(nearCache), "/near/*");
    context.addServlet(items(staleCache), "/stale/*");
    context.addServlet(items(plainCache), "/uncompressed/*");

    Server server = new Server(virtualThreads
        ? new org.eclipse.jetty.util.thread.VirtualThreadPool()
        : new QueuedThreadPool(64, 8));
    ServerConnector http = new ServerConnector(server);
    http.setHost("127.0.0.1");
    http.setPort(0);
    server.addConnector(http);
    server.setHandler(context);
    server.start();
    return new BenchApp(server, connector, limiter, oneTrip, cache, nearCache,
        http.getLocalPort(), List.of(fleetA, fleetB, secondConnector, policies, staleCache, plainCache));
  }

  /** One profile on {@code prefix}, one-round-trip. */
  private static RateLimiter oneRoundTrip(RedisConnector connector, String profile, Limit limit,
      String prefix) {
    return RateLimiter.builder()
        .connector(connector)
        .profiles(List.of(RateLimitProfile.builder(profile).limit(limit).prefix(prefix).build()))
        .keyResolver(ClientKeyResolver.builder().strategies("api-key,ip")
            .apiKeyVerifier(BENCH_KEYS).build())
        .redisBuckets(RedisBucketProtocol.ONE_ROUND_TRIP)
        .build();
  }

  /** A clock {@code speed} times faster than the system's, from now. */
  static java.time.Clock fastClock(long speed) {
    long start = System.currentTimeMillis();
    long t0 = System.nanoTime();
    return new java.time.Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return java.time.Instant.ofEpochMilli(millis());
      }

      @Override
      public long millis() {
        return start + (System.nanoTime() - t0) * speed / 1_000_000;
      }
    };
  }

  /** Jersey serving {@link Items}, cached through {@code cache}. */
  private static ServletHolder items(QueryCache cache) {
    ServletHolder jersey = new ServletHolder(new ServletContainer(new ResourceConfig()
        .register(Items.class)
        .register(JacksonFeature.class)
        .register(new CachedQueryFeature(cache))
        .property(ServerProperties.WADL_FEATURE_DISABLE, true)));
    jersey.setInitOrder(1);
    return jersey;
  }

  /** A 20 ms "query", cached and not. */
  @Path("/")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Items {
    @GET
    @Path("item/{id}")
    @CachedQuery(value = "query:chat:id:{id}", shared = true)
    public Map<String, Object> cached(@PathParam("id") String id) throws InterruptedException {
      return query(id);
    }

    @GET
    @Path("tagged/{id}")
    @CachedQuery(value = "query:chat:tagged:{id}", shared = true, tags = {"item:{id}", "shop:1"})
    public Map<String, Object> tagged(@PathParam("id") String id) throws InterruptedException {
      return query(id);
    }

    /** A key's invalidation (a GET, for the load generator). */
    @GET
    @Path("unkey/{id}")
    @dev.ratecache.cache.InvalidatesCache("query:chat:tagged:{id}")
    public Map<String, Object> invalidateKey(@PathParam("id") String id) {
      return Map.of("invalidated", id);
    }

    /** A tag's invalidation (a GET, for the load generator). */
    @GET
    @Path("untag/{id}")
    @dev.ratecache.cache.InvalidatesCache(tags = "item:{id}")
    public Map<String, Object> invalidateTag(@PathParam("id") String id) {
      return Map.of("invalidated", id);
    }

    /** A chat's history of about 200 KB of JSON (the size the compression threshold is for). */
    @GET
    @Path("history/{id}")
    @CachedQuery(value = "query:messages:history:{id}", shared = true)
    public List<Map<String, Object>> history(@PathParam("id") String id)
        throws InterruptedException {
      Thread.sleep(20);
      return history(id, 200_000);
    }

    /** The same history under its own key (F6 stores it through a cache not compressing). */
    @GET
    @Path("history-plain/{id}")
    @CachedQuery(value = "query:messages:plain-history:{id}", shared = true)
    public List<Map<String, Object>> historyPlain(@PathParam("id") String id)
        throws InterruptedException {
      return history(id);
    }

    /** About {@code bytes} of JSON messages, as a chat's history returns them. */
    static List<Map<String, Object>> history(String chat, int bytes) {
      List<Map<String, Object>> out = new java.util.ArrayList<>();
      for (int i = 0, size = 0; size < bytes; i++) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        m.put("id", i);
        m.put("chatId", chat);
        m.put("author", "user" + (i % 11));
        m.put("text", "message " + (i * 7919 % 100_000) + " about the release");
        m.put("at", "2026-12-08T01:" + (10 + i % 50) + ":00Z");
        out.add(m);
        size += 110;
      }
      return out;
    }

    @GET
    @Path("constant/{id}")
    public Map<String, Object> constant(@PathParam("id") String id) {
      return Map.of("id", id, "title", "Item " + id, "tags", List.of("a", "b", "c"));
    }

    @GET
    @Path("uncached/{id}")
    public Map<String, Object> uncached(@PathParam("id") String id) throws InterruptedException {
      return query(id);
    }

    private static Map<String, Object> query(String id) throws InterruptedException {
      Thread.sleep(20);
      return Map.of("id", id, "title", "Item " + id, "tags", List.of("a", "b", "c"));
    }
  }

  /**
   * Commands this process's connectors have sent through their auto-pipelines (each is one round
   * trip for the request that sent it, shared or not): what a one-round-trip decision costs,
   * counted at the client, where commandstats cannot tell a failed swap from a good one.
   */
  long pipelinedCommands() {
    long n = connector.autoPipeline().counts().commands();
    for (AutoCloseable c : secondInstance) {
      if (c instanceof RedisConnector other) {
        n += other.autoPipeline().counts().commands();
      }
    }
    return n;
  }

  @Override
  public void close() throws Exception {
    server.stop();
    cache.close();
    nearCache.close();
    oneTrip.close();
    for (AutoCloseable c : secondInstance) {
      c.close();
    }
    limiter.close();
    connector.close();
  }

  /**
   * The floor: no limiter, one plain {@code GET} of the client's key per request through the
   * library's own connector, the least any Redis-backed decision can cost.
   */
  private static HttpServlet floor(RedisConnector connector) {
    return new HttpServlet() {
      @Override
      protected void service(HttpServletRequest request, HttpServletResponse response)
          throws IOException {
        String key = request.getHeader("X-API-Key");
        String k = "floor:" + (key == null ? "none" : key);
        connector.execute(j -> j.get(k));
        response.setStatus(200);
        response.getWriter().write("ok");
      }
    };
  }
}
