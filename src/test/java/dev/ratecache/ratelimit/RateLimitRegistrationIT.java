package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The three ways to register rate limiting: web.xml, programmatic, and JAX-RS annotations. */
class RateLimitRegistrationIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @TempDir
  java.nio.file.Path webapp;

  @BeforeEach
  void clean() {
    redis.flushAll();
  }

  // ------------------------------------------------------------------ web.xml

  private WebAppContext webXml(Map<String, String> initParams) throws Exception {
    String params = initParams.entrySet().stream()
        .map(e -> "      <init-param><param-name>" + e.getKey() + "</param-name><param-value>"
            + e.getValue() + "</param-value></init-param>")
        .collect(Collectors.joining("\n"));
    Files.createDirectories(webapp.resolve("WEB-INF"));
    Files.writeString(webapp.resolve("WEB-INF/web.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0">
          <filter>
            <filter-name>rate-limit</filter-name>
            <filter-class>dev.ratecache.ratelimit.RateLimitFilter</filter-class>
        %s
          </filter>
          <filter-mapping>
            <filter-name>rate-limit</filter-name>
            <url-pattern>/*</url-pattern>
          </filter-mapping>
          <servlet>
            <servlet-name>ok</servlet-name>
            <servlet-class>dev.ratecache.testing.JettyApp$OkServlet</servlet-class>
          </servlet>
          <servlet-mapping>
            <servlet-name>ok</servlet-name>
            <url-pattern>/*</url-pattern>
          </servlet-mapping>
        </web-app>
        """.formatted(params));
    WebAppContext context = new WebAppContext();
    context.setContextPath("/legacy");
    context.setBaseResourceAsPath(webapp);
    context.setParentLoaderPriority(true);
    context.setThrowUnavailableOnStartupException(true);
    return context;
  }

  @Test
  void webXmlWithInitParamsOnly() throws Exception {
    WebAppContext context = webXml(Map.of(
        "REDIS_HOST", "127.0.0.1",
        "redis.port", String.valueOf(redis.port()),
        "profile.chat.limit", "3/1m",
        "profile.reports.limit", "2/1h",
        "profile.reports.prefixes", "/reports",
        "profile.reports.methods", "GET",
        "headers", "both",
        "trusted-proxies", "127.0.0.1"));
    try (JettyApp app = JettyApp.start(context)) {
      for (int i = 0; i < 3; i++) {
        assertThat(app.send("POST", "/legacy/api/chat").statusCode()).isEqualTo(200);
      }
      HttpResponse<String> r = app.send("POST", "/legacy/api/chat");
      assertThat(r.statusCode()).isEqualTo(429);
      assertThat(r.headers().firstValue("X-RateLimit-Limit")).hasValue("3");
      assertThat(r.headers().firstValue("RateLimit-Policy")).hasValue("\"chat\";q=3;w=60");

      assertThat(app.send("GET", "/legacy/reports/1").statusCode()).isEqualTo(200);
      assertThat(app.send("POST", "/legacy/reports/1").statusCode()).as("GET only").isEqualTo(200);
      assertThat(app.send("GET", "/legacy/reports/2", "X-Forwarded-For", "203.0.113.5")
          .statusCode()).as("trusted proxy: another client").isEqualTo(200);
      assertThat(app.send("GET", "/legacy/reports/3").statusCode()).isEqualTo(200);
      assertThat(app.send("GET", "/legacy/reports/4").statusCode()).isEqualTo(429);
    }
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:chat:ip:127.0.0.1"))).isTrue();
  }

  @Test
  void redisSettingsCanComeFromContextParams() throws Exception {
    WebAppContext context = webXml(Map.of("profile.chat.limit", "1/1m"));
    context.setInitParameter("REDIS_HOST", "127.0.0.1");
    context.setInitParameter("redis.port", String.valueOf(redis.port()));
    try (JettyApp app = JettyApp.start(context)) {
      assertThat(app.send("POST", "/legacy/api/chat").statusCode()).isEqualTo(200);
      assertThat(app.send("POST", "/legacy/api/chat").statusCode()).isEqualTo(429);
    }
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:chat:ip:127.0.0.1"))).isTrue();
  }

  @Test
  void badInitParamsFailTheDeploymentNamingTheParam() throws Exception {
    for (Map.Entry<Map<String, String>, String> c : Map.ofEntries(
        Map.entry(Map.of("api-key-verifier", "com.example.Missing"),
            "api-key-verifier: no class com.example.Missing"),
        Map.entry(Map.of("api-key-verifier", "java.lang.String"),
            "api-key-verifier: java.lang.String does not implement"),
        Map.entry(Map.of("api-key-verifier", NoDefaultConstructor.class.getName()),
            "has no public no-argument constructor"),
        Map.entry(Map.of("forwarded-header", "x-real-ip"), "forwarded-header"),
        Map.entry(Map.of("charge-preflight", "maybe"), "charge-preflight"),
        Map.entry(Map.of("profile.chat.limit", "twenty"), "profile.chat.limit"),
        Map.entry(Map.of("profle.chat.limit", "20/1m"), "profle.chat.limit"),
        Map.entry(Map.of("profiles", "chat,unknown"), "unknown profile 'unknown'"),
        Map.entry(Map.of("REDIS_PORT", "abc"), "REDIS_PORT"),
        Map.entry(Map.of("trusted-proxies", "proxy.example.com"), "trusted-proxies"),
        Map.entry(Map.of("profile.chat.fallback", "sometimes"), "profile.chat.fallback"),
        Map.entry(Map.of("headers", "fancy"), "headers")).entrySet()) {
      WebAppContext context = webXml(c.getKey());
      assertThatThrownBy(() -> JettyApp.start(context).close())
          .as("init-params %s", c.getKey())
          .hasStackTraceContaining(c.getValue());
    }
  }

  @Test
  void anApiKeyVerifierNamedInWebXmlDecidesWhichKeysCount() throws Exception {
    WebAppContext context = webXml(Map.of(
        "REDIS_HOST", "127.0.0.1",
        "REDIS_PORT", String.valueOf(redis.port()),
        "profile.upload.limit", "1/1m",
        "api-key-verifier", PartnerKeys.class.getName()));
    try (JettyApp app = JettyApp.start(context)) {
      assertThat(app.send("POST", "/legacy/api/upload").statusCode()).isEqualTo(200);
      assertThat(app.send("POST", "/legacy/api/upload", "X-API-Key", "forged").statusCode())
          .as("not a partner key: the address's bucket").isEqualTo(429);
      assertThat(app.send("POST", "/legacy/api/upload", "X-API-Key", "partner-1").statusCode())
          .as("a partner key: its own bucket").isEqualTo(200);
    }
  }

  /** A verifier as an application would write one, named by class in web.xml. */
  public static final class PartnerKeys implements ApiKeyVerifier {
    @Override
    public String verify(String apiKey) {
      return apiKey.startsWith("partner-") ? apiKey : null;
    }
  }

  /** Not loadable as a verifier. */
  public static final class NoDefaultConstructor implements ApiKeyVerifier {
    public NoDefaultConstructor(String unused) {}

    @Override
    public String verify(String apiKey) {
      return null;
    }
  }

  // ------------------------------------------------------------------ JAX-RS

  /** A resource guarded only by annotations. */
  @Path("/")
  public static class Resources {
    @POST
    @Path("api/chat")
    @RateLimited("chat")
    public String chat() {
      return "sent";
    }

    @GET
    @Path("reports")
    @RateLimited("upload")
    public String reports() {
      return "report";
    }

    @GET
    @Path("free")
    public String free() {
      return "free";
    }
  }

  /** A resource naming a profile that does not exist. */
  @Path("/broken")
  public static class Broken {
    @GET
    @RateLimited("nope")
    public String get() {
      return "never";
    }
  }

  private static ServletHolder jersey(Object... components) {
    ResourceConfig config = new ResourceConfig();
    for (Object c : components) {
      if (c instanceof Class<?> type) {
        config.register(type);
      } else {
        config.register(c);
      }
    }
    ServletHolder holder = new ServletHolder(new ServletContainer(config));
    holder.setInitOrder(1);
    return holder;
  }

  @Test
  void annotationsGuardResourcesAndAddHeaders() throws Exception {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector).build();
        JettyApp app = JettyApp.start(jerseyOnly(new RateLimitFeature(limiter)))) {
      for (int i = 0; i < 5; i++) {
        HttpResponse<String> r = app.send("GET", "/reports");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("report");
        assertThat(r.headers().allValues("RateLimit")).hasSize(1);
        assertThat(r.headers().firstValue("RateLimit").orElseThrow())
            .startsWith("\"upload\";r=" + (4 - i));
      }
      HttpResponse<String> rejected = app.send("GET", "/reports");
      assertThat(rejected.statusCode()).isEqualTo(429);
      assertThat(rejected.headers().firstValue("Retry-After")).hasValue("12");
      assertThat(rejected.headers().firstValue("Content-Type").orElseThrow())
          .startsWith("application/problem+json");
      assertThat(rejected.body()).contains("\"policy\":\"upload\"");
      HttpResponse<String> free = app.send("GET", "/free");
      assertThat(free.statusCode()).isEqualTo(200);
      assertThat(free.headers().firstValue("RateLimit")).isEmpty();
    }
  }

  @Test
  void annotationsAloneIdentifyClientsAsTheFilterDoes() throws Exception {
    for (Object feature : new Object[] {"instance", RateLimitFeature.class}) {
      redis.flushAll();
      try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
          RateLimiter limiter = RateLimiter.builder().connector(connector)
              .keyResolver(ClientKeyResolver.builder().trustedProxies("127.0.0.1").build())
              .build()) {
        ServletContextHandler context = new ServletContextHandler("/");
        if (feature instanceof Class<?>) {
          context.setAttribute(RateLimitFilter.LIMITER_ATTRIBUTE, limiter); // as a filter would
        }
        context.addServlet(jersey(Resources.class,
            feature instanceof Class<?> ? feature : new RateLimitFeature(limiter)), "/*");
        try (JettyApp app = JettyApp.start(context)) {
          for (int i = 0; i < 5; i++) {
            assertThat(app.send("GET", "/reports", "X-Forwarded-For", "203.0.113.1")
                .statusCode()).isEqualTo(200);
          }
          assertThat(app.send("GET", "/reports", "X-Forwarded-For", "203.0.113.1").statusCode())
              .as("%s: the first client is at its limit", feature).isEqualTo(429);
          assertThat(app.send("GET", "/reports", "X-Forwarded-For", "203.0.113.2").statusCode())
              .as("%s: another anonymous client has a bucket of its own", feature)
              .isEqualTo(200);
          assertThat(app.send("GET", "/reports", "Authorization", "Bearer x").statusCode())
              .as("%s: the proxy itself too", feature).isEqualTo(200);
        }
        assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("rate_limit:*")))
            .containsExactlyInAnyOrder("rate_limit:upload:ip:203.0.113.1",
                "rate_limit:upload:ip:203.0.113.2", "rate_limit:upload:ip:127.0.0.1");
      }
    }
  }

  @Test
  void annotationRejectionOfARequestWithAnUnreadBodyClosesTheConnection() throws Exception {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector).build();
        JettyApp app = JettyApp.start(jerseyOnly(new RateLimitFeature(limiter)))) {
      for (int i = 0; i < 20; i++) {
        assertThat(app.send("POST", "/api/chat").statusCode()).isEqualTo(200);
      }
      try (JettyApp.RawConnection c = app.connect()) {
        JettyApp.RawResponse r = c.write("POST /api/chat HTTP/1.1\r\nHost: localhost\r\n"
            + "Content-Type: text/plain\r\nContent-Length: 1000\r\n\r\n").read();
        assertThat(r.status()).isEqualTo(429);
        assertThat(r.headers()).containsEntry("connection", "close");
        assertThat(r.body()).contains("\"policy\":\"chat\"");
        assertThat(c.closedByServer()).isTrue();
      }
    }
  }

  private static ServletContextHandler jerseyOnly(Object feature) {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(jersey(Resources.class, feature), "/*");
    return context;
  }

  @Test
  void filterAndAnnotationTogetherChargeOncePerProfile() throws Exception {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
          EnumSet.of(DispatcherType.REQUEST));
      // The no-argument feature finds the filter's limiter in the servlet context.
      context.addServlet(jersey(Resources.class, RateLimitFeature.class), "/*");
      try (JettyApp app = JettyApp.start(context)) {
        for (int i = 0; i < 20; i++) {
          HttpResponse<String> r = app.send("POST", "/api/chat");
          assertThat(r.statusCode()).as("request %d", i + 1).isEqualTo(200);
          assertThat(r.headers().allValues("RateLimit")).hasSize(1);
        }
        assertThat(app.send("POST", "/api/chat").statusCode()).isEqualTo(429);
      }
      assertThat(limiter.stats().profiles().get("chat").allowed()).isEqualTo(20);
    }
  }

  @Test
  void unknownProfileInAnAnnotationFailsDeployment() throws Exception {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(jersey(Broken.class, new RateLimitFeature(limiter)), "/*");
      assertThatThrownBy(() -> JettyApp.start(context).close())
          .hasStackTraceContaining("unknown profile 'nope'")
          .hasStackTraceContaining(Broken.class.getName() + ".get");
    }
  }

  @Test
  void featureWithoutALimiterFailsDeploymentWithAnExplanation() throws Exception {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(jersey(Resources.class, RateLimitFeature.class), "/*");
    assertThatThrownBy(() -> JettyApp.start(context).close())
        .hasStackTraceContaining("no RateLimiter for @RateLimited");
  }

  @Test
  void programmaticRegistrationThroughServletContextAddFilter() throws Exception {
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
        RateLimiter limiter = RateLimiter.builder()
            .profiles(List.of(RateLimitProfile.builder("api")
                .limit(Limit.parse("2/1m", "limit")).prefix("/").build()))
            .connector(connector).build()) {
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(new ServletHolder(new JettyApp.OkServlet()), "/*");
      // As a ServletContainerInitializer or a listener would do it.
      context.addEventListener(new jakarta.servlet.ServletContextListener() {
        @Override
        public void contextInitialized(jakarta.servlet.ServletContextEvent e) {
          e.getServletContext().addFilter("rate-limit", new RateLimitFilter(limiter))
              .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), false, "/*");
        }
      });
      try (JettyApp app = JettyApp.start(context)) {
        assertThat(app.send("GET", "/anything").statusCode()).isEqualTo(200);
        assertThat(app.send("GET", "/else").statusCode()).isEqualTo(200);
        assertThat(app.send("GET", "/more").statusCode()).isEqualTo(429);
      }
    }
  }
}
