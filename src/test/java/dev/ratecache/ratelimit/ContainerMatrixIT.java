package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.RedisServer;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The rate limiter as an adopter deploys it: configured only in {@code web.xml}, in a web
 * application on embedded Jetty 12 and on embedded Tomcat 11, at the root context and under
 * {@code /app}, driven over raw sockets by a hostile client. A client at its limit tries every
 * spelling of a guarded path the containers accept; none may reach the guarded servlet or the
 * {@code @RateLimited} resource uncharged.
 */
class ContainerMatrixIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @TempDir
  java.nio.file.Path webapp;

  private ServletContainer container;

  static Stream<Arguments> deployments() {
    return Stream.of(Kind.values()).flatMap(kind -> Stream.of("", "/app")
        .map(context -> Arguments.of(kind, context)));
  }

  @BeforeEach
  void clean() {
    redis.start(); // a no-op unless a test left it stopped
    redis.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
  }

  /** The guarded servlet: says it was reached. */
  public static final class Reached extends HttpServlet {
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain");
      response.getWriter().write("reached " + request.getServletPath()
          + (request.getPathInfo() == null ? "" : request.getPathInfo()));
    }
  }

  /** A JAX-RS resource guarded by an annotation alone (no filter prefix covers it). */
  @Path("items")
  public static final class Items {
    @GET
    @RateLimited("annotated")
    public String items() {
      return "items";
    }
  }

  /** Spellings of {@code <context>/reports/x} that a container may route to the application. */
  static List<String> spellings(String ctx, String path) {
    String bare = ctx.isEmpty() ? "" : ctx.substring(1); // "app"
    String first = path.substring(1, path.indexOf('/', 1)); // "reports"
    String rest = path.substring(path.indexOf('/', 1)); // "/x"
    List<String> s = new ArrayList<>(List.of(
        ctx + path,
        ctx + "/" + path,
        ctx + "//" + first + "//" + rest.substring(1),
        ctx + "/./" + first + rest,
        ctx + "/" + first + "/." + rest,
        ctx + "/zzz/../" + first + rest,
        ctx + "/" + first + "/zzz/.." + rest,
        ctx + "/%2e/" + first + rest,
        ctx + "/" + first + "/%2e%2e/" + first + rest,
        ctx + "/%" + hex(first.charAt(0)) + first.substring(1) + rest,
        ctx + "/" + percentEncodeAll(first) + rest,
        ctx + "/" + first.toUpperCase() + rest,
        ctx + "/" + Character.toUpperCase(first.charAt(0)) + first.substring(1) + rest,
        ctx + "/" + first + ";jsessionid=1" + rest,
        ctx + "/" + first + ";a=b;c=d" + rest + ";e=f",
        ctx + "/" + first + rest + "/",
        ctx + "/" + first + rest + "?q=1",
        ctx + "/" + first + rest + "%3Fq=1",
        ctx + "/" + first + "%2F" + rest.substring(1),
        ctx + "/" + first + "%2f" + rest.substring(1),
        ctx + "/" + first,
        ctx + "/" + first + "/",
        ctx + "/" + first + "%20" + rest,
        ctx + "/" + first + rest + "%00"));
    // Every single character percent-encoded in turn, slashes included.
    String full = ctx + path;
    for (int i = 1; i < full.length(); i++) {
      s.add(full.substring(0, i) + "%" + hex(full.charAt(i)).toUpperCase()
          + full.substring(i + 1));
    }
    if (!ctx.isEmpty()) {
      s.addAll(List.of(
          "/" + ctx + path,
          "//" + bare + "//" + first + rest,
          "/./" + bare + path,
          "/x/../" + bare + path,
          "/%2e/" + bare + path,
          "/%" + hex(bare.charAt(0)) + bare.substring(1) + path,
          "/" + percentEncodeAll(bare) + path,
          ctx + ";a=b" + path,
          "/" + bare.toUpperCase() + path));
    }
    return s;
  }

  private static String hex(char c) {
    return String.format("%02x", (int) c);
  }

  private static String percentEncodeAll(String s) {
    StringBuilder b = new StringBuilder();
    for (char c : s.toCharArray()) {
      b.append('%').append(hex(c).toUpperCase());
    }
    return b.toString();
  }

  private void deploy(Kind kind, String context) throws Exception {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("REDIS_HOST", "127.0.0.1");
    params.put("REDIS_PORT", String.valueOf(redis.port()));
    params.put("profiles", "reports,annotated");
    params.put("profile.reports.limit", "3/1m");
    params.put("profile.reports.prefixes", "/reports");
    params.put("profile.annotated.limit", "3/1m");
    params.put("trusted-proxies", "127.0.0.1");
    StringBuilder initParams = new StringBuilder();
    params.forEach((name, value) -> initParams.append("    <init-param><param-name>").append(name)
        .append("</param-name><param-value>").append(value).append("</param-value></init-param>\n"));
    String webXml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"
                 metadata-complete="true">
          <filter>
            <filter-name>rate-limit</filter-name>
            <filter-class>dev.ratecache.ratelimit.RateLimitFilter</filter-class>
        %s  </filter>
          <filter-mapping>
            <filter-name>rate-limit</filter-name>
            <url-pattern>/*</url-pattern>
          </filter-mapping>
          <servlet>
            <servlet-name>reached</servlet-name>
            <servlet-class>dev.ratecache.ratelimit.ContainerMatrixIT$Reached</servlet-class>
          </servlet>
          <servlet-mapping>
            <servlet-name>reached</servlet-name>
            <url-pattern>/*</url-pattern>
          </servlet-mapping>
          <servlet>
            <servlet-name>jersey</servlet-name>
            <servlet-class>org.glassfish.jersey.servlet.ServletContainer</servlet-class>
            <init-param>
              <param-name>jersey.config.server.provider.classnames</param-name>
              <param-value>dev.ratecache.ratelimit.ContainerMatrixIT$Items,dev.ratecache.ratelimit.RateLimitFeature</param-value>
            </init-param>
            <load-on-startup>1</load-on-startup>
          </servlet>
          <servlet-mapping>
            <servlet-name>jersey</servlet-name>
            <url-pattern>/api/*</url-pattern>
          </servlet-mapping>
        </web-app>
        """.formatted(initParams);
    Files.createDirectories(webapp.resolve("WEB-INF"));
    Files.writeString(webapp.resolve("WEB-INF/web.xml"), webXml, StandardCharsets.UTF_8);
    container = ServletContainer.start(kind, webapp, context);
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @MethodSource("deployments")
  void noSpellingOfAGuardedPathReachesTheServletUncharged(Kind kind, String ctx)
      throws Exception {
    deploy(kind, ctx);
    for (int i = 0; i < 3; i++) {
      ServletContainer.Response r = container.send("GET", ctx + "/reports/x");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("reached /reports/x");
      assertThat(r.header("RateLimit")).startsWith("\"reports\";r=" + (2 - i));
    }
    assertThat(container.send("GET", ctx + "/reports/x").status()).isEqualTo(429);
    ServletContainer.Response free = container.send("GET", ctx + "/free");
    assertThat(free.body()).as("an unguarded path").isEqualTo("reached /free");
    assertThat(free.header("RateLimit")).isNull();

    List<String> bypasses = new ArrayList<>();
    Map<Integer, Integer> statuses = new java.util.TreeMap<>();
    for (String target : spellings(ctx, "/reports/x")) {
      ServletContainer.Response r = container.send("GET", target);
      statuses.merge(r.status(), 1, Integer::sum);
      if (r.body().startsWith("reached")) {
        bypasses.add(target + " -> " + r.status() + " " + r.body());
      }
    }
    assertThat(bypasses).as("spellings that reached the servlet (statuses %s)", statuses)
        .isEmpty();
    assertThat(statuses).as("the containers route most spellings to the application")
        .containsKey(429);
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @MethodSource("deployments")
  void anAnnotatedResourceChargesEveryClientItsOwnBucketWhateverTheSpelling(Kind kind,
      String ctx) throws Exception {
    deploy(kind, ctx);
    for (int i = 0; i < 3; i++) {
      ServletContainer.Response r = container.send("GET", ctx + "/api/items",
          "X-Forwarded-For", "203.0.113.1");
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("items");
    }
    assertThat(container.send("GET", ctx + "/api/items", "X-Forwarded-For", "203.0.113.1")
        .status()).isEqualTo(429);
    assertThat(container.send("GET", ctx + "/api/items", "X-Forwarded-For", "203.0.113.2")
        .body()).as("another anonymous client").isEqualTo("items");

    List<String> bypasses = new ArrayList<>();
    for (String target : spellings(ctx, "/api/items")) {
      ServletContainer.Response r = container.send("GET", target,
          "X-Forwarded-For", "203.0.113.1");
      if (r.body().equals("items")) {
        bypasses.add(target);
      }
    }
    assertThat(bypasses).as("spellings that reached the resource uncharged").isEmpty();
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("rate_limit:*")))
        .containsExactlyInAnyOrder("rate_limit:annotated:ip:203.0.113.1",
            "rate_limit:annotated:ip:203.0.113.2");
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.EnumSource(Kind.class)
  void aWebXmlApplicationLogsAnOutageAndTheRecoveryAndKeepsLimiting(Kind kind)
      throws Exception {
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    System.setErr(new java.io.PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple
    try {
      deploy(kind, "/app");
      assertThat(container.send("GET", "/app/reports/x").status()).isEqualTo(200);
      redis.kill();
      try {
        dev.ratecache.testing.Await.until("the outage logged", java.time.Duration.ofSeconds(20),
            () -> {
              try {
                int status = container.send("GET", "/app/reports/x").status();
                assertThat(status).as("no 5xx during the outage").isIn(200, 429);
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              return log.toString(StandardCharsets.UTF_8).contains("is unavailable");
            });
      } finally {
        redis.start();
      }
      dev.ratecache.testing.Await.until("the recovery logged", java.time.Duration.ofSeconds(20),
          () -> log.toString(StandardCharsets.UTF_8).contains("is available again"));
    } finally {
      System.setErr(stderr);
    }
    String text = log.toString(StandardCharsets.UTF_8);
    assertThat(text).contains("using the in-memory fallback").contains("using Redis");
    assertThat(text.lines().filter(l -> l.contains("is unavailable")).count())
        .as("one line for the outage, not one per request").isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @MethodSource("deployments")
  void forgedIdentitiesDoNotLiftTheLimit(Kind kind, String ctx) throws Exception {
    deploy(kind, ctx);
    for (int i = 0; i < 3; i++) {
      assertThat(container.send("GET", ctx + "/reports/x", "X-Forwarded-For", "203.0.113.7")
          .status()).isEqualTo(200);
    }
    String[][] forgeries = {
        {"X-API-Key", "random-1"},
        {"X-API-Key", "random-2"},
        {"Forwarded", "for=198.51.100.1"},
        {"X-Forwarded-For", "198.51.100.1, 203.0.113.7"}, // the proxy appended the real client
    };
    for (String[] forged : forgeries) {
      List<String> headers = new ArrayList<>(List.of(forged));
      if (!forged[0].equals("X-Forwarded-For")) {
        headers.addAll(List.of("X-Forwarded-For", "203.0.113.7"));
      }
      ServletContainer.Response r = container.send("GET", ctx + "/reports/x",
          headers.toArray(String[]::new));
      assertThat(r.status()).as("%s: %s", forged[0], forged[1]).isEqualTo(429);
    }
  }
}
