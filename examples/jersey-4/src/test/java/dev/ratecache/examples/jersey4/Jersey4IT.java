package dev.ratecache.examples.jersey4;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.eclipse.jetty.ee11.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The demo's own web.xml (src/main/webapp), deployed as a WAR is on the two Jakarta EE 11 servlet
 * containers, embedded Jetty 12.1 (ee11) and embedded Tomcat 11, at the root and under {@code
 * /app}, with Jersey 4 and a real redis-server: limits by prefix and by {@code @RateLimited},
 * {@code @CachedQuery} from Redis, and the memory fallback when Redis dies.
 */
class Jersey4IT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir
  Path webapp;

  private AutoCloseable container;
  private int port;
  private String context;

  static Stream<Arguments> deployments() {
    return Stream.of("jetty", "tomcat").flatMap(kind -> Stream.of("", "/app")
        .map(context -> Arguments.of(kind, context)));
  }

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    Resources.ITEM_LOADS.set(0);
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
  }

  /** The shipped web.xml, pointed at the test's Redis port (as REDIS_PORT would be set). */
  private void deploy(String kind, String contextPath) throws Exception {
    String webXml = Files.readString(Path.of("src/main/webapp/WEB-INF/web.xml"))
        .replace("<param-value>6379</param-value>", "<param-value>" + redis.port()
            + "</param-value>");
    assertThat(webXml).contains("<param-value>" + redis.port() + "</param-value>");
    Files.createDirectories(webapp.resolve("WEB-INF"));
    Files.writeString(webapp.resolve("WEB-INF/web.xml"), webXml, StandardCharsets.UTF_8);
    context = contextPath;
    if (kind.equals("jetty")) {
      Server server = new Server();
      ServerConnector http = new ServerConnector(server);
      http.setHost("127.0.0.1");
      http.setPort(0);
      server.addConnector(http);
      WebAppContext app = new WebAppContext(webapp.toString(),
          contextPath.isEmpty() ? "/" : contextPath);
      app.setParentLoaderPriority(true); // the classes under test, not copies of them
      app.setThrowUnavailableOnStartupException(true);
      server.setHandler(app);
      server.start();
      port = http.getLocalPort();
      container = server::stop;
    } else {
      Path base = Files.createTempDirectory(webapp, "tomcat");
      Tomcat tomcat = new Tomcat();
      tomcat.setBaseDir(base.toString());
      tomcat.setHostname("127.0.0.1");
      tomcat.setPort(0);
      tomcat.getConnector().setProperty("address", "127.0.0.1");
      Context app = tomcat.addWebapp(contextPath, webapp.toString());
      StandardJarScanner scanner = new StandardJarScanner();
      scanner.setScanClassPath(false); // web.xml is metadata-complete
      scanner.setScanManifest(false);
      app.setJarScanner(scanner);
      app.setParentClassLoader(Jersey4IT.class.getClassLoader());
      tomcat.start();
      assertThat(app.getState().isAvailable()).as("Tomcat started the web application").isTrue();
      port = tomcat.getConnector().getLocalPort();
      container = () -> {
        tomcat.stop();
        tomcat.destroy();
      };
    }
  }

  private HttpResponse<String> get(String path) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + context
        + path)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @MethodSource("deployments")
  void jakartaEe11WithJersey4LimitsAndCaches(String kind, String contextPath) throws Exception {
    deploy(kind, contextPath);
    HttpResponse<String> platform = get("/api/platform");
    assertThat(platform.statusCode()).as(platform.body()).isEqualTo(200);
    assertThat(platform.body()).as("Servlet 6.1, Jersey 4, Jakarta REST 4")
        .contains("\"servlet\":\"6.1\"").contains("\"webapp\":\"6.1\"")
        .contains("\"jersey\":\"4.").contains("\"rest\":\"4.");

    // The filter's prefix: 3 a minute, then 429 with problem+json and the limit's headers.
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> ok = get("/api/search?q=" + i);
      assertThat(ok.statusCode()).isEqualTo(200);
    }
    HttpResponse<String> limited = get("/api/search?q=x");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(limited.headers().firstValue("Content-Type")).hasValueSatisfying(
        t -> assertThat(t).startsWith("application/problem+json"));
    assertThat(limited.headers().firstValue("Retry-After")).isPresent();
    // A spelling the container maps to the same servlet is charged the same.
    assertThat(get("/api//search?q=y").statusCode()).isIn(400, 404, 429);

    // @RateLimited on a Jersey 4 resource method: 2 a minute.
    assertThat(get("/api/exports").statusCode()).isEqualTo(200);
    assertThat(get("/api/exports").statusCode()).isEqualTo(200);
    assertThat(get("/api/exports").statusCode()).isEqualTo(429);
    Set<String> buckets = redis.withClient(j -> j.keys("rate_limit:*"));
    assertThat(buckets).as("both limits are in Redis").hasSize(2);

    // @CachedQuery: loaded once, then served from Redis.
    HttpResponse<String> miss = get("/api/items/7");
    HttpResponse<String> hit = get("/api/items/7");
    assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(hit.body()).isEqualTo(miss.body()).contains("\"name\":\"item 7\"");
    assertThat(Resources.ITEM_LOADS.get()).isEqualTo(1);
    Set<String> cached = redis.withClient(j -> j.keys("query:item:*"));
    assertThat(cached).isNotEmpty();

    // Redis dies: requests keep being answered (limits and cache in memory), none fails.
    redis.kill();
    HttpResponse<String> down = get("/api/items/8");
    assertThat(down.statusCode()).isEqualTo(200);
    assertThat(get("/api/items/8").statusCode()).isEqualTo(200);
    assertThat(get("/api/search?q=down").statusCode()).as("still limited").isEqualTo(429);
  }
}
