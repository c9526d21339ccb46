package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;

/**
 * {@code count=failures} (a login route) over real HTTP on Jetty and Tomcat, against a real
 * redis-server: a request is charged when it arrives and gets its token back when its answer is
 * a success, so successes never use the limit and failures stop at it; an exception counts as a
 * failure, an asynchronous request is settled when it completes, the JAX-RS feature settles
 * {@code @RateLimited} resources, and nothing is settled twice. Two instances sharing Redis under
 * concurrent failed logins admit no more failures than the limit.
 */
class SettlementIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new ArrayList<>();

  /** A login: 200 for the right password, 401 otherwise, a thrown error for "boom". */
  public static final class Login extends HttpServlet {
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      String pw = request.getParameter("pw");
      if ("boom".equals(pw)) {
        throw new IllegalStateException("the login backend failed");
      }
      if ("later".equals(pw)) { // answered asynchronously, after the filter has returned
        AsyncContext async = request.startAsync();
        async.start(() -> {
          ((HttpServletResponse) async.getResponse()).setStatus(200);
          async.complete();
        });
        return;
      }
      if (request.getRequestURI().endsWith("/stats")) {
        RateLimiter limiter = (RateLimiter) getServletContext().getAttribute(
            RateLimitFilter.LIMITER_ATTRIBUTE);
        response.getWriter().write(String.valueOf(limiter.stats().profiles().get("login")));
        return;
      }
      response.setStatus("right".equals(pw) ? 200 : 401);
    }
  }

  /** A JAX-RS token endpoint under {@code @RateLimited("token")}, counting failures. */
  @Path("/token")
  public static class Token {
    @GET
    @RateLimited("token")
    public Response token(@QueryParam("pw") String pw) {
      return Response.status("right".equals(pw) ? 200 : 403).entity("token").build();
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    for (ServletContainer c : containers) {
      c.close();
    }
  }

  static java.util.stream.Stream<org.junit.jupiter.params.provider.Arguments> deployments() {
    return java.util.stream.Stream.of(Kind.values()).flatMap(kind -> java.util.stream.Stream.of(
        "", "/app").map(context -> org.junit.jupiter.params.provider.Arguments.of(kind, context)));
  }

  private ServletContainer deploy(Kind kind, java.nio.file.Path dir) throws Exception {
    return deploy(kind, dir, "");
  }

  private ServletContainer deploy(Kind kind, java.nio.file.Path dir, String context)
      throws Exception {
    String[][] params = {
        {"REDIS_HOST", "127.0.0.1"}, {"REDIS_PORT", String.valueOf(redis.port())},
        {"profiles", "login,token"},
        {"profile.login.limit", "3/1h"}, {"profile.login.prefixes", "/login"},
        {"profile.login.count", "failures"},
        {"profile.token.limit", "2/1h"}, {"profile.token.count", "failures"}};
    StringBuilder init = new StringBuilder();
    for (String[] p : params) {
      init.append("<init-param><param-name>").append(p[0]).append("</param-name><param-value>")
          .append(p[1]).append("</param-value></init-param>\n");
    }
    ServletContainer c = ServletContainer.deploy(kind, dir, context, """
          <filter>
            <filter-name>rate-limit</filter-name>
            <filter-class>dev.ratecache.ratelimit.RateLimitFilter</filter-class>
            <async-supported>true</async-supported>
            %s
          </filter>
          <filter-mapping><filter-name>rate-limit</filter-name><url-pattern>/*</url-pattern></filter-mapping>
          <servlet>
            <servlet-name>login</servlet-name>
            <servlet-class>dev.ratecache.ratelimit.SettlementIT$Login</servlet-class>
            <async-supported>true</async-supported>
          </servlet>
          <servlet-mapping><servlet-name>login</servlet-name><url-pattern>/login/*</url-pattern></servlet-mapping>
          <servlet-mapping><servlet-name>login</servlet-name><url-pattern>/stats</url-pattern></servlet-mapping>
        %s
        """.formatted(init, ServletContainer.jerseyAtApi("jersey.config.server.provider.classnames",
            "dev.ratecache.ratelimit.SettlementIT$Token,dev.ratecache.ratelimit.RateLimitFeature")));
    containers.add(c);
    return c;
  }

  private static int status(ServletContainer c, String target) throws IOException {
    return c.send("GET", target).status();
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @org.junit.jupiter.params.provider.MethodSource("deployments")
  void onlyFailuresUseTheLimitAndEachRequestIsSettledOnce(Kind kind, String context)
      throws Exception {
    ServletContainer c = deploy(kind, webapp, context);
    String at = context;
    for (int i = 0; i < 10; i++) {
      assertThat(status(c, at + "/login?pw=right")).as("successes never use the limit").isEqualTo(200);
    }
    assertThat(status(c, at + "/login?pw=later")).isEqualTo(200); // async: settled on completion
    assertThat(status(c, at + "/login?pw=bad")).isEqualTo(401);
    assertThat(status(c, at + "/login?pw=boom")).as("an exception").isEqualTo(500);
    assertThat(status(c, at + "/login?pw=bad")).isEqualTo(401);
    // Three failures: the limit. Now even the right password waits (it is charged first).
    assertThat(status(c, at + "/login?pw=bad")).isEqualTo(429);
    assertThat(status(c, at + "/login?pw=right")).isEqualTo(429);
    assertThat(c.send("GET", at + "/stats").body()).contains("allowed=14").contains("rejected=2")
        .contains("refunded=11");

    // The JAX-RS feature, on a resource: 403s count, 200s do not.
    for (int i = 0; i < 5; i++) {
      assertThat(status(c, at + "/api/token?pw=right")).isEqualTo(200);
    }
    assertThat(status(c, at + "/api/token?pw=bad")).isEqualTo(403);
    assertThat(status(c, at + "/api/token?pw=bad")).isEqualTo(403);
    assertThat(status(c, at + "/api/token?pw=right")).isEqualTo(429);
  }

  @Test
  void concurrentFailedLoginsOnTwoInstancesNeverExceedTheLimit() throws Exception {
    ServletContainer a = deploy(Kind.JETTY, webapp.resolve("a"));
    ServletContainer b = deploy(Kind.TOMCAT, webapp.resolve("b"));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    ConcurrentHashMap<Integer, AtomicInteger> seen = new ConcurrentHashMap<>();
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        ServletContainer c = i % 2 == 0 ? a : b;
        String pw = i % 3 == 0 ? "right" : "bad";
        calls.add(pool.submit(() -> {
          int s = status(c, "/login?pw=" + pw);
          seen.computeIfAbsent(s, k -> new AtomicInteger()).incrementAndGet();
          return null;
        }));
      }
      for (Future<?> f : calls) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    int failures = seen.getOrDefault(401, new AtomicInteger()).get();
    int successes = seen.getOrDefault(200, new AtomicInteger()).get();
    int refused = seen.getOrDefault(429, new AtomicInteger()).get();
    assertThat(failures + successes + refused).as(seen.toString()).isEqualTo(60);
    assertThat(failures).as("failed logins admitted across both instances: " + seen)
        .isLessThanOrEqualTo(3);
    // What is left is the limit less the failures: every success gave its token back.
    for (int i = 0; i < 3 - failures; i++) {
      assertThat(status(a, "/login?pw=bad")).isEqualTo(401);
    }
    assertThat(status(b, "/login?pw=bad")).isEqualTo(429);
  }
}
