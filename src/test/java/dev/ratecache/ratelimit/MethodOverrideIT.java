package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.PATCH;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.Request;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A method override is charged as the framework that honours it reads it. A table of spellings
 * (percent-encoded parameter names and values, repeated and blank parameters, case, spaces,
 * several override headers at once, a form body) is sent to the frameworks' own override
 * filters — Jersey's {@code HttpMethodOverrideFilter} and Spring's {@code
 * HiddenHttpMethodFilter}, mapped before and after {@code RateLimitFilter} — on Jetty and
 * Tomcat, at the root and under a context path. Whatever method a handler ends up running, a
 * profile restricted to that method must have charged the request.
 */
class MethodOverrideIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final Set<String> GUARDED = Set.of("PUT", "DELETE", "PATCH");

  @TempDir
  java.nio.file.Path webapp;

  private ServletContainer container;

  static Stream<Arguments> deployments() {
    return Stream.of(Kind.values()).flatMap(kind -> Stream.of("", "/app")
        .map(context -> Arguments.of(kind, context)));
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

  /** Says which method ran. */
  public static final class Echo extends HttpServlet {
    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response)
        throws IOException {
      response.setContentType("text/plain");
      response.getWriter().write("ran " + request.getMethod());
    }
  }

  /** A JAX-RS resource with a handler for each method. */
  @Path("ov/{x}")
  public static final class Overridable {
    @POST
    public String post(@Context Request r) {
      return ran(r);
    }

    @PUT
    public String put(@Context Request r) {
      return ran(r);
    }

    @DELETE
    public String delete(@Context Request r) {
      return ran(r);
    }

    @PATCH
    public String patch(@Context Request r) {
      return ran(r);
    }

    private static String ran(Request r) {
      return "ran " + r.getMethod();
    }
  }

  /** Query strings that may name another method; each is sent as a POST. */
  static final List<String> QUERIES = List.of(
      "_method=PUT", "_%6Dethod=PUT", "%5Fmethod=DELETE", "%5f%6d%65thod=delete",
      "_metho%64=PATCH", "_method=%50UT", "_method=+put+", "_method=put", "_method=%20DELETE",
      "_method=GET&_method=PUT", "_method=&_method=PUT", "a=1&_method=DELETE",
      "_method=PUT&_method=DELETE", "%5Fmethod=PUT&_method=GET", "_method=DELETE;x=1",
      "_method=PUT&%5Fmethod=%zz", "_method=%zz&_method=PUT", "_Method=PUT", "_method",
      "&&_method=PATCH&&", "_method=DEL%45TE");

  /** Header sets (name, value pairs) that may name another method, each with some queries. */
  static final List<String[]> HEADERS = List.of(
      new String[] {"X-HTTP-Method-Override", "PUT"},
      new String[] {"X-HTTP-Method-Override", " delete "},
      new String[] {"X-HTTP-Method", "PUT"},
      new String[] {"X-Method-Override", "PATCH"},
      new String[] {"X-HTTP-Method", "GET", "X-HTTP-Method-Override", "DELETE"},
      new String[] {"X-HTTP-Method-Override", "POST", "X-HTTP-Method", "PUT"});

  private void deploy(Kind kind, String context) throws Exception {
    String elements = """
          <filter>
            <filter-name>hidden-before</filter-name>
            <filter-class>org.springframework.web.filter.HiddenHttpMethodFilter</filter-class>
          </filter>
          <filter>
            <filter-name>rate-limit</filter-name>
            <filter-class>dev.ratecache.ratelimit.RateLimitFilter</filter-class>
            <init-param><param-name>REDIS_HOST</param-name><param-value>127.0.0.1</param-value></init-param>
            <init-param><param-name>REDIS_PORT</param-name><param-value>%d</param-value></init-param>
            <init-param><param-name>profiles</param-name><param-value>edits</param-value></init-param>
            <init-param><param-name>profile.edits.limit</param-name><param-value>100000/1m</param-value></init-param>
            <init-param><param-name>profile.edits.prefixes</param-name><param-value>/api/ov,/before,/after</param-value></init-param>
            <init-param><param-name>profile.edits.methods</param-name><param-value>PUT,DELETE,PATCH</param-value></init-param>
          </filter>
          <filter>
            <filter-name>hidden-after</filter-name>
            <filter-class>org.springframework.web.filter.HiddenHttpMethodFilter</filter-class>
          </filter>
          <filter-mapping><filter-name>hidden-before</filter-name><url-pattern>/before/*</url-pattern></filter-mapping>
          <filter-mapping><filter-name>rate-limit</filter-name><url-pattern>/*</url-pattern></filter-mapping>
          <filter-mapping><filter-name>hidden-after</filter-name><url-pattern>/after/*</url-pattern></filter-mapping>
          <servlet>
            <servlet-name>echo</servlet-name>
            <servlet-class>dev.ratecache.ratelimit.MethodOverrideIT$Echo</servlet-class>
          </servlet>
          <servlet-mapping><servlet-name>echo</servlet-name><url-pattern>/before/*</url-pattern></servlet-mapping>
          <servlet-mapping><servlet-name>echo</servlet-name><url-pattern>/after/*</url-pattern></servlet-mapping>
        """.formatted(redis.port());
    container = ServletContainer.deploy(kind, webapp, context, elements
        + ServletContainer.jerseyAtApi("jersey.config.server.provider.classnames",
            Overridable.class.getName() + ",org.glassfish.jersey.server.filter."
            + "HttpMethodOverrideFilter"));
  }

  @ParameterizedTest(name = "{0} at context \"{1}\"")
  @MethodSource("deployments")
  void whateverMethodAHandlerRunsItsProfileCharged(Kind kind, String ctx) throws Exception {
    deploy(kind, ctx);
    List<String> uncharged = new ArrayList<>();
    List<String> overridden = new ArrayList<>();
    for (String path : List.of("/api/ov/1", "/before/x", "/after/x")) {
      for (String query : QUERIES) {
        check(ctx + path + "?" + query, "", new String[0], uncharged, overridden);
      }
      for (String[] headers : HEADERS) {
        check(ctx + path, "", headers, uncharged, overridden);
        check(ctx + path + "?_method=DELETE", "", headers, uncharged, overridden);
      }
    }
    // A form body is read by Spring's filter only; mapped before RateLimitFilter (as Spring
    // Boot orders them) its wrapped method is what the limiter sees.
    for (String body : List.of("_method=PUT", "%5Fmethod=DELETE", "a=1&_method=patch")) {
      check(ctx + "/before/x", body, new String[] {"Content-Type",
          "application/x-www-form-urlencoded"}, uncharged, overridden);
    }
    assertThat(uncharged).as("requests whose handler ran a guarded method uncharged").isEmpty();
    assertThat(overridden).as("the frameworks honoured most spellings (else this proves nothing)")
        .hasSizeGreaterThan(60);
  }

  private void check(String target, String body, String[] headers, List<String> uncharged,
      List<String> overridden) throws IOException {
    ServletContainer.Response r = container.sendBody("POST", target, body, headers);
    String ran = r.body().startsWith("ran ") ? r.body().substring(4).trim() : null;
    String what = target + " " + String.join(": ", headers) + (body.isEmpty() ? "" : " " + body)
        + " -> " + r.status() + " " + ran;
    if (ran != null && GUARDED.contains(ran)) {
      overridden.add(what);
      String policy = r.header("RateLimit-Policy");
      if (policy == null || !policy.contains("\"edits\"")) {
        uncharged.add(what);
      }
    }
  }
}
