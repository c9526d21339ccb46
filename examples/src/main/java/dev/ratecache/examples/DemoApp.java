package dev.ratecache.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.ratecache.ConfigurationException;
import dev.ratecache.cache.CachedQueryFeature;
import dev.ratecache.cache.DefaultKeyScheme;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ops.AdminResource;
import dev.ratecache.ops.CacheWarmer;
import dev.ratecache.ops.Operations;
import dev.ratecache.ops.WarmupReport;
import dev.ratecache.ratelimit.ApiKeyVerifier;
import dev.ratecache.ratelimit.ClientKeyResolver;
import dev.ratecache.ratelimit.Limit;
import dev.ratecache.ratelimit.RateLimitFeature;
import dev.ratecache.ratelimit.RateLimitFilter;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import dev.ratecache.redis.RedisSettings;
import jakarta.servlet.DispatcherType;
import jakarta.ws.rs.ext.ContextResolver;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.glassfish.jersey.internal.inject.AbstractBinder;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.ServerProperties;
import org.glassfish.jersey.servlet.ServletContainer;

/**
 * The ratecache demo: a small chat-and-documents API on embedded Jetty 12 + Jersey 3.1 with an
 * H2 database, using every way of wiring the library.
 *
 * <ul>
 *   <li>{@code /} — {@link RateLimitFilter} registered programmatically with the default profiles,
 *       {@code @RateLimited}, {@code @CachedQuery} and {@code @InvalidatesCache} on the resources,
 *       {@code /health}, and the admin endpoint when {@code ADMIN_TOKEN} is set;
 *   <li>{@code /legacy} — a context whose rate limiting comes from a real {@code web.xml}.
 * </ul>
 *
 * <p>Environment: {@code PORT} (8080; 0 picks a free port), the library's {@code REDIS_*}
 * variables, {@code DATABASE_URL} (H2 in memory), {@code DEMO_DB_LATENCY_MS} (0),
 * {@code ADMIN_TOKEN} (admin endpoint off when unset). Without a reachable Redis it starts on the
 * in-memory fallback, says so, and switches to Redis when Redis appears.
 */
public final class DemoApp implements AutoCloseable {
  private final Server server;
  private final RedisConnector connector;
  private final RateLimiter limiter;
  private final QueryCache cache;
  private final Operations operations;
  private final int port;
  private final CompletableFuture<WarmupReport> warmup;

  private DemoApp(Server server, RedisConnector connector, RateLimiter limiter, QueryCache cache,
      Operations operations, int port,
      CompletableFuture<WarmupReport> warmup) {
    this.warmup = warmup;
    this.server = server;
    this.connector = connector;
    this.limiter = limiter;
    this.cache = cache;
    this.operations = operations;
    this.port = port;
  }

  public static void main(String[] args) throws Exception {
    try (DemoApp app = start(System.getenv())) {
      app.server.join();
    } catch (ConfigurationException e) {
      System.err.println("Configuration error: " + e.getMessage());
      System.exit(2);
    }
  }

  /**
   * Starts the demo with settings read from {@code env}.
   *
   * @throws ConfigurationException naming the variable if a setting is malformed
   */
  public static DemoApp start(Map<String, String> env) throws Exception {
    int port = intSetting(env, "PORT", 8080);
    long latency = intSetting(env, "DEMO_DB_LATENCY_MS", 0);
    String dbUrl = env.getOrDefault("DATABASE_URL",
        "jdbc:h2:mem:ratecache-demo-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    String adminToken = env.get("ADMIN_TOKEN");

    RedisSettings settings = RedisSettings.fromLookup(env::get);
    RedisConnector connector = RedisConnector.create(settings);
    boolean redisUp = connector.checkNow();
    connector.health().onTransition(t -> System.out.println(t.to() == RedisHealth.State.UP
        ? "Redis is back: caching and rate limiting use Redis again."
        : "Redis is unavailable (" + t.reason() + "): using the in-memory fallback."));

    Database db = Database.open(dbUrl, latency);
    QueryCache cache = QueryCache.builder().connector(connector).build();
    // The default profiles; a key on the pro plan (DEMO_API_KEYS=key=pro) chats 200 a minute.
    List<RateLimitProfile> profiles = new java.util.ArrayList<>();
    for (RateLimitProfile p : RateLimitProfile.defaults()) {
      profiles.add(p.name().equals("chat") ? p.toBuilder()
          .planLimits("pro", List.of(Limit.of(200, Duration.ofMinutes(1)))).build() : p);
    }
    RateLimiter limiter = RateLimiter.builder()
        .connector(connector)
        .profiles(profiles)
        .keyResolver(ClientKeyResolver.builder().trustedProxies("127.0.0.1, ::1")
            .apiKeyVerifier(apiKeys(env.get("DEMO_API_KEYS"))).build())
        .build();
    Operations ops = Operations.builder(connector).cache(cache).rateLimiter(limiter).build()
        .publishEvery(Duration.ofSeconds(10));
    ops.warmup().register(CacheWarmer.of("users", c -> {
      int n = 0;
      for (Model.User u : db.users()) {
        c.put(DefaultKeyScheme.userByEmail(u.email()), u);
        n++;
      }
      return n;
    }));

    ResourceConfig api = new ResourceConfig()
        .register(Resources.Users.class)
        .register(Resources.Chats.class)
        .register(Resources.Documents.class)
        .register(Resources.Actions.class)
        .register(Resources.Health.class)
        .register(new AbstractBinder() {
          @Override
          protected void configure() {
            bind(db).to(Database.class);
            bind(connector).to(RedisConnector.class);
          }
        })
        .property(ServerProperties.WADL_FEATURE_DISABLE, true)
        .register(new CachedQueryFeature(cache))
        .register(new RateLimitFeature(limiter))
        .register(JacksonFeature.withoutExceptionMappers())
        .register(new JsonConfig())
        .register(Problems.JsonErrors.class)
        .register(Problems.Unexpected.class);
    if (adminToken != null && !adminToken.isBlank()) {
      api.register(AdminResource.withToken(ops, adminToken));
    }

    ServletContextHandler root = new ServletContextHandler("/");
    root.addFilter(new FilterHolder(new DemoAuthFilter()), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    root.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    ServletHolder jersey = new ServletHolder(new ServletContainer(api));
    jersey.setInitOrder(1);
    root.addServlet(jersey, "/*");

    Server server = new Server();
    WebAppContext legacy = legacyContext(server, env);
    ServerConnector http = new ServerConnector(server);
    http.setPort(port);
    server.addConnector(http);
    server.setHandler(new ContextHandlerCollection(root, legacy));
    server.start();
    CompletableFuture<WarmupReport> warmup = ops.warmup().runInBackground();

    int actual = http.getLocalPort();
    System.out.println("ratecache demo listening on http://localhost:" + actual
        + (redisUp ? "  (Redis " + settings.describe() + ": connected)"
            : "  (Redis " + settings.describe() + " unavailable: "
                + connector.health().snapshot().lastError()
                + "; using the in-memory fallback until it appears)")
        + (adminToken == null ? "" : "  admin: /admin/ratecache"));
    return new DemoApp(server, connector, limiter, cache, ops, actual, warmup);
  }

  /** {@code /legacy}: rate limiting from {@code web.xml}, Redis settings as context params. */
  private static WebAppContext legacyContext(Server server, Map<String, String> env) {
    WebAppContext legacy = new WebAppContext();
    legacy.setContextPath("/legacy");
    legacy.setBaseResource(ResourceFactory.of(server).newClassLoaderResource("legacy/"));
    legacy.setParentLoaderPriority(true);
    legacy.setThrowUnavailableOnStartupException(true);
    env.forEach((name, value) -> {
      if (RedisSettings.Name.ALL.contains(name)) {
        legacy.setInitParameter(name, value);
      }
    });
    return legacy;
  }

  /**
   * The demo's API keys, {@code DEMO_API_KEYS=key1,key2}: each a client of its own. A real
   * application asks its key store (behind a cache); any other key is ignored, so a random key
   * never buys an anonymous client a new allowance.
   */
  /** {@code DEMO_API_KEYS}: {@code key} or {@code key=plan}, comma-separated. */
  private static ApiKeyVerifier apiKeys(String list) {
    Map<String, ApiKeyVerifier.Owner> keys = new java.util.HashMap<>();
    if (list != null) {
      for (String k : list.split(",")) {
        if (!k.isBlank()) {
          String[] keyAndPlan = k.trim().split("=", 2);
          String key = keyAndPlan[0].trim();
          keys.put(key, new ApiKeyVerifier.Owner(key,
              keyAndPlan.length == 2 ? keyAndPlan[1].trim() : null));
        }
      }
    }
    return ApiKeyVerifier.withPlans(keys::get);
  }

  private static int intSetting(Map<String, String> env, String name, int defaultValue) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      return defaultValue;
    }
    try {
      int n = Integer.parseInt(v.trim());
      if (n < 0) {
        throw new ConfigurationException(name, "must not be negative, got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new ConfigurationException(name, "must be a whole number, got '" + v + "'");
    }
  }

  public int port() {
    return port;
  }

  /** The start-up warm-up, which runs in the background. */
  public CompletableFuture<WarmupReport> warmup() {
    return warmup;
  }

  @Override
  public void close() throws Exception {
    server.stop();
    operations.close();
    limiter.close();
    cache.close();
    connector.close();
  }

  /**
   * JSON with ISO-8601 dates, strict about requests: unknown properties and numbers or booleans
   * where text is expected are 400s, not silently accepted.
   */
  static final class JsonConfig implements ContextResolver<ObjectMapper> {
    private final ObjectMapper mapper = strict(new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS));

    private static ObjectMapper strict(ObjectMapper m) {
      m.coercionConfigFor(LogicalType.Textual)
          .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
          .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
      return m;
    }

    @Override
    public ObjectMapper getContext(Class<?> type) {
      return mapper;
    }
  }
}
