package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * Deny and allow lists and shadow mode, configured in web.xml alone, on Jetty and Tomcat over
 * real HTTP against a real redis-server. Clients are told apart by the address a trusted proxy
 * forwards: a denied one gets 403 problem+json and costs nothing in Redis, an allowed one is
 * never limited nor charged, the deny list wins over the allow list, and a profile in shadow mode
 * refuses nothing, sends no headers, yet charges and counts what it would have refused.
 */
class PoliciesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @TempDir
  Path webapp;

  private ServletContainer container;

  /** Answers 200 "reached", or the limiter's counters for {@code /stats}. */
  public static final class Reached extends HttpServlet {
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain");
      if (request.getRequestURI().endsWith("/stats")) {
        RateLimiter limiter = (RateLimiter) getServletContext().getAttribute(
            RateLimitFilter.LIMITER_ATTRIBUTE);
        response.getWriter().write(String.valueOf(limiter.stats().profiles()));
        return;
      }
      if (request.getRequestURI().endsWith("/operator-deny")) {
        // What an operator does from the admin endpoint or the CLI, here through the Java API.
        RateLimiter limiter = (RateLimiter) getServletContext().getAttribute(
            RateLimitFilter.LIMITER_ATTRIBUTE);
        limiter.overrides().deny(request.getParameter("client"), java.time.Duration.ofMinutes(5));
        response.getWriter().write("denied");
        return;
      }
      response.getWriter().write("reached");
    }
  }

  /**
   * The application's part of a composite identity: the account a login tries, from its {@code
   * user} parameter, put where the limiter reads it (before the limiter's filter).
   */
  public static final class AccountFromQuery implements jakarta.servlet.Filter {
    @Override
    public void doFilter(jakarta.servlet.ServletRequest request,
        jakarta.servlet.ServletResponse response, jakarta.servlet.FilterChain chain)
        throws IOException, jakarta.servlet.ServletException {
      String user = request.getParameter("user");
      if (user != null) {
        request.setAttribute(ClientKeyResolver.ACCOUNT_ATTRIBUTE, user);
      }
      chain.doFilter(request, response);
    }
  }

  /** Verifies two keys: one on the pro plan, one on none. */
  public static final class PlanVerifier implements ApiKeyVerifier {
    @Override
    public String verify(String apiKey) {
      Owner o = owner(apiKey);
      return o == null ? null : o.id();
    }

    @Override
    public Owner owner(String apiKey) {
      return switch (apiKey) {
        case "pro-key" -> new Owner("acme", "pro");
        case "free-key" -> new Owner("bob", null);
        default -> null;
      };
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
  }

  private String context = "";

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> deployments() {
    return java.util.stream.Stream.of(Kind.values()).flatMap(kind -> java.util.stream.Stream.of(
        "", "/app").map(context -> org.junit.jupiter.params.provider.Arguments.of(kind, context)));
  }

  private void deploy(Kind kind, String contextPath, String[]... extra) throws Exception {
    context = contextPath;
    String[][] base = {
        {"REDIS_HOST", "127.0.0.1"}, {"REDIS_PORT", String.valueOf(redis.port())},
        {"trusted-proxies", "127.0.0.1"},
        {"profiles", "reports,trial"},
        {"profile.reports.limit", "2/1m"}, {"profile.reports.prefixes", "/reports"},
        {"profile.reports.allow", "198.51.100.7, 203.0.113.5"},
        {"profile.trial.limit", "1/1m"}, {"profile.trial.prefixes", "/trial"},
        {"profile.trial.mode", "shadow"},
        {"deny", "203.0.113.0/24, 2001:db8:bad::/48"}};
    java.util.Map<String, String> params = new java.util.LinkedHashMap<>();
    for (String[] p : base) {
      params.put(p[0], p[1]);
    }
    for (String[] p : extra) {
      params.put(p[0], p[1]); // replaces a base value of the same name
    }
    StringBuilder init = new StringBuilder();
    params.forEach((name, value) -> init.append("<init-param><param-name>").append(name)
        .append("</param-name><param-value>").append(value).append("</param-value></init-param>\n"));
    container = ServletContainer.deploy(kind, webapp, contextPath, """
          <filter>
            <filter-name>account</filter-name>
            <filter-class>dev.ratecache.ratelimit.PoliciesIT$AccountFromQuery</filter-class>
          </filter>
          <filter-mapping><filter-name>account</filter-name><url-pattern>/*</url-pattern></filter-mapping>
          <filter>
            <filter-name>rate-limit</filter-name>
            <filter-class>dev.ratecache.ratelimit.RateLimitFilter</filter-class>
            %s
          </filter>
          <filter-mapping><filter-name>rate-limit</filter-name><url-pattern>/*</url-pattern></filter-mapping>
          <servlet>
            <servlet-name>reached</servlet-name>
            <servlet-class>dev.ratecache.ratelimit.PoliciesIT$Reached</servlet-class>
          </servlet>
          <servlet-mapping><servlet-name>reached</servlet-name><url-pattern>/*</url-pattern></servlet-mapping>
        """.formatted(init));
  }

  private ServletContainer.Response from(String client, String path) throws IOException {
    return container.send("GET", context + path, "X-Forwarded-For", client);
  }

  private static Set<String> buckets() {
    return redis.withClient(j -> j.keys("rate_limit:*"));
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @org.junit.jupiter.params.provider.MethodSource("deployments")
  void denyAndAllowListsAndShadowModeHoldOverHttp(Kind kind, String contextPath)
      throws Exception {
    deploy(kind, contextPath);

    // Denied (a global block, every profile): 403 problem+json, no headers, nothing in Redis.
    for (String path : new String[] {"/reports", "/trial"}) {
      ServletContainer.Response denied = from("203.0.113.9", path);
      assertThat(denied.status()).isEqualTo(403);
      assertThat(denied.header("Content-Type")).startsWith("application/problem+json");
      assertThat(denied.body()).contains("\"status\":403").contains("\"reason\":\"denied\"")
          .doesNotContain("reached");
      assertThat(denied.header("RateLimit")).isNull();
      assertThat(denied.header("Retry-After")).isNull();
    }
    assertThat(from("[2001:db8:bad::1]", "/reports").status()).isEqualTo(403);
    // On both lists: the deny list wins.
    assertThat(from("203.0.113.5", "/reports").status()).isEqualTo(403);
    assertThat(buckets()).as("a denied client costs nothing").isEmpty();

    // Allowed on /reports: never limited, never charged.
    for (int i = 0; i < 5; i++) {
      assertThat(from("198.51.100.7", "/reports").body()).isEqualTo("reached");
    }
    assertThat(buckets()).as("an allowed client costs nothing").isEmpty();
    // ...but only on its profile's list: trial limits it like anyone (in shadow mode).
    assertThat(from("198.51.100.7", "/trial").status()).isEqualTo(200);

    // Anyone else: the limit, and the reason in the 429 body.
    assertThat(from("192.0.2.1", "/reports").status()).isEqualTo(200);
    assertThat(from("192.0.2.1", "/reports").status()).isEqualTo(200);
    ServletContainer.Response limited = from("192.0.2.1", "/reports");
    assertThat(limited.status()).isEqualTo(429);
    assertThat(limited.body()).contains("\"reason\":\"limit\"");

    // Shadow: 1/1m computed and charged, nothing refused, no headers to the client.
    for (int i = 0; i < 3; i++) {
      ServletContainer.Response tried = from("192.0.2.2", "/trial");
      assertThat(tried.status()).isEqualTo(200);
      assertThat(tried.body()).isEqualTo("reached");
      assertThat(tried.header("RateLimit")).isNull();
      assertThat(tried.header("RateLimit-Policy")).isNull();
    }
    assertThat(buckets()).contains("rate_limit:trial:ip:192.0.2.2",
        "rate_limit:reports:ip:192.0.2.1", "rate_limit:trial:ip:198.51.100.7");

    String stats = from("192.0.2.3", "/stats").body();
    assertThat(stats).contains("reports=ProfileStats[allowed=2, rejected=1, fallback=0,"
        + " unavailable=0, denied=3, allowlisted=5, wouldReject=0, refunded=0, blocked=0,"
        + " lockouts=0]");
    assertThat(stats).contains("trial=ProfileStats[allowed=4, rejected=0, fallback=0,"
        + " unavailable=0, denied=1, allowlisted=0, wouldReject=2, refunded=0, blocked=0,"
        + " lockouts=0]");
  }

  private ServletContainer.Response withKey(String client, String key, String... more)
      throws IOException {
    String[] headers = new String[4 + more.length];
    headers[0] = "X-Forwarded-For";
    headers[1] = client;
    headers[2] = "X-API-Key";
    headers[3] = key;
    System.arraycopy(more, 0, headers, 4, more.length);
    return container.send("GET", context + "/reports", headers);
  }

  /**
   * Plans over HTTP: the web.xml's verifier puts a key on the pro plan and its limit (and its
   * headers) follow; a client cannot name a plan, nor take one with a key the verifier refuses.
   * Then an operator denies a block of addresses at run time: 403 at once, nothing charged.
   */
  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @org.junit.jupiter.params.provider.MethodSource("deployments")
  void plansFromTheVerifierAndAnOperatorsTimedDenialHoldOverHttp(Kind kind, String contextPath)
      throws Exception {
    deploy(kind, contextPath, new String[] {"profile.reports.limit.pro", "4/1m"},
        new String[] {"api-key-verifier", PlanVerifier.class.getName()});
    int pro = 0;
    for (int i = 0; i < 6; i++) {
      ServletContainer.Response r = withKey("192.0.2.10", "pro-key");
      if (r.status() == 200) {
        pro++;
        assertThat(r.header("RateLimit-Policy")).isEqualTo("\"reports\";q=4;w=60");
      }
    }
    assertThat(pro).isEqualTo(4);
    int free = 0;
    for (int i = 0; i < 4; i++) {
      free += withKey("192.0.2.11", "free-key").status() == 200 ? 1 : 0;
    }
    assertThat(free).as("a verified key on no plan").isEqualTo(2);
    int forged = 0;
    for (int i = 0; i < 4; i++) {
      forged += withKey("192.0.2.12", "made-up", "X-Plan", "pro", "Plan", "pro").status() == 200
          ? 1 : 0;
    }
    assertThat(forged).as("a forged key and plan headers: the address's own limit")
        .isEqualTo(2);

    assertThat(from("192.0.2.99", "/operator-deny?client=198.18.0.0/15").body())
        .isEqualTo("denied");
    ServletContainer.Response refused = from("198.18.4.4", "/reports");
    assertThat(refused.status()).isEqualTo(403);
    assertThat(refused.body()).contains("\"reason\":\"denied\"");
    assertThat(buckets()).noneMatch(k -> k.contains("198.18."));
    assertThat(from("198.20.0.1", "/reports").status()).isEqualTo(200);
  }

  /**
   * An escalating lockout keyed by account and client, over HTTP: the limit, then 429 {@code
   * blocked} with the block's Retry-After and nothing charged; the same account from another
   * address is not locked out; a block doubles on the next lockout.
   */
  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @org.junit.jupiter.params.provider.MethodSource("deployments")
  void anEscalatingLockoutByAccountAndClientHoldsOverHttp(Kind kind, String contextPath)
      throws Exception {
    deploy(kind, contextPath, new String[] {"profiles", "reports,trial,login"},
        new String[] {"profile.login.limit", "2/1h"},
        new String[] {"profile.login.prefixes", "/login"},
        new String[] {"profile.login.key", "account+client"},
        new String[] {"profile.login.lockout", "1m"});
    assertThat(from("192.0.2.30", "/login?user=alice").status()).isEqualTo(200);
    assertThat(from("192.0.2.30", "/login?user=alice").status()).isEqualTo(200);
    ServletContainer.Response hit = from("192.0.2.30", "/login?user=alice");
    assertThat(hit.status()).isEqualTo(429);
    assertThat(hit.body()).contains("\"reason\":\"limit\"");
    assertThat(hit.header("Retry-After")).isEqualTo("60");
    ServletContainer.Response blocked = from("192.0.2.30", "/login?user=alice");
    assertThat(blocked.status()).isEqualTo(429);
    assertThat(blocked.body()).contains("\"reason\":\"blocked\"").contains("Locked out");
    assertThat(Integer.parseInt(blocked.header("Retry-After"))).isBetween(1, 60);
    assertThat(redis.<Boolean>withClient(j -> j.exists(
        "rate_limit:login:a:alice+ip:192.0.2.30:lock"))).isTrue();
    // The real user elsewhere, and another account from the attacker's address: not locked.
    assertThat(from("198.51.100.40", "/login?user=alice").status()).isEqualTo(200);
    assertThat(from("192.0.2.30", "/login?user=bob").status()).isEqualTo(200);
    // A repeated parameter: the application names the account (getParameter: the first).
    assertThat(from("192.0.2.30", "/login?user=alice&user=mallory").status()).isEqualTo(429);
  }
}
