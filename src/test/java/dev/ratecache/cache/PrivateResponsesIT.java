package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.annotation.Priority;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.PreMatching;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.SecurityContext;
import java.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * No ordering of the application's authentication can make one user's private response reach
 * another user or an anonymous client. A non-shared {@code @CachedQuery} route is deployed from
 * {@code web.xml} on Jetty and Tomcat behind each way applications authenticate: a JAX-RS filter
 * without {@code @Priority} (it runs at {@code USER}, after {@code AUTHORIZATION}), one at {@code
 * AUTHENTICATION}, a {@code @PreMatching} one, one as late as a filter can be short of the
 * lookup's own priority, and a servlet filter; alice, bob and an anonymous client take turns.
 */
class PrivateResponsesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  /** The Redis the deployed application uses (the container loads this class from the test's). */
  static volatile String redisUrl;

  @TempDir
  java.nio.file.Path webapp;

  private ServletContainer container;

  enum Auth {
    JAXRS_DEFAULT_PRIORITY(DefaultPriorityAuth.class.getName(), false),
    JAXRS_AUTHENTICATION_PRIORITY(AuthenticationPriorityAuth.class.getName(), false),
    JAXRS_PRE_MATCHING(PreMatchingAuth.class.getName(), false),
    JAXRS_LATEST_PRIORITY(LatestAuth.class.getName(), false),
    SERVLET_FILTER(null, true);

    final String jaxrsFilter;
    final boolean servletFilter;

    Auth(String jaxrsFilter, boolean servletFilter) {
      this.jaxrsFilter = jaxrsFilter;
      this.servletFilter = servletFilter;
    }
  }

  static Stream<Arguments> deployments() {
    return Stream.of(Kind.values()).flatMap(kind -> Stream.of(Auth.values())
        .map(auth -> Arguments.of(kind, auth, auth.ordinal() % 2 == 0 ? "" : "/app")));
  }

  /** The cached, per-user resource: what it returns is the caller's secret. */
  @Path("me")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Me {
    @GET
    @CachedQuery("query:user:me")
    public Map<String, String> me(@Context SecurityContext security) {
      Principal p = security.getUserPrincipal();
      String name = p == null ? "anonymous" : p.getName();
      return Map.of("name", name, "secret", "secret-of-" + name);
    }
  }

  /** The application: the resource and the cache on the test's Redis. */
  public static final class App extends ResourceConfig {
    public App() {
      RedisConnector connector = RedisConnector.create(RedisSettings.fromUrl(redisUrl));
      register(Me.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(QueryCache.builder().connector(connector).build()));
    }
  }

  /** {@code Authorization: Bearer <name>} becomes the JAX-RS principal. */
  abstract static class BearerAuth implements ContainerRequestFilter {
    @Override
    public void filter(ContainerRequestContext request) {
      String auth = request.getHeaderString("Authorization");
      if (auth == null || !auth.startsWith("Bearer ")) {
        return;
      }
      String name = auth.substring(7).trim();
      request.setSecurityContext(new SecurityContext() {
        @Override
        public Principal getUserPrincipal() {
          return () -> name;
        }

        @Override
        public boolean isUserInRole(String role) {
          return false;
        }

        @Override
        public boolean isSecure() {
          return false;
        }

        @Override
        public String getAuthenticationScheme() {
          return "Bearer";
        }
      });
    }
  }

  /** No {@code @Priority}: JAX-RS runs it at {@code Priorities.USER}. */
  public static final class DefaultPriorityAuth extends BearerAuth {}

  /** The priority the specification suggests for authentication. */
  @Priority(Priorities.AUTHENTICATION)
  public static final class AuthenticationPriorityAuth extends BearerAuth {}

  /** Before resource matching. */
  @PreMatching
  public static final class PreMatchingAuth extends BearerAuth {}

  /** As late as an application filter can run before the lookup. */
  @Priority(Integer.MAX_VALUE - 1)
  public static final class LatestAuth extends BearerAuth {}

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
    redisUrl = redis.url();
  }

  @AfterEach
  void stop() throws Exception {
    if (container != null) {
      container.close();
    }
  }

  private void deploy(Kind kind, Auth auth, String context) throws Exception {
    String servletFilter = !auth.servletFilter ? "" : """
          <filter>
            <filter-name>auth</filter-name>
            <filter-class>dev.ratecache.support.BearerAuthFilter</filter-class>
          </filter>
          <filter-mapping><filter-name>auth</filter-name><url-pattern>/*</url-pattern></filter-mapping>
        """;
    String jersey = auth.jaxrsFilter == null
        ? ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName())
        : ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName(),
            "jersey.config.server.provider.classnames", auth.jaxrsFilter);
    container = ServletContainer.deploy(kind, webapp, context, servletFilter + jersey);
  }

  @ParameterizedTest(name = "{0}, {1}, context \"{2}\"")
  @MethodSource("deployments")
  void noUserReceivesAnotherUsersResponse(Kind kind, Auth auth, String ctx) throws Exception {
    deploy(kind, auth, ctx);
    List<String> seen = new ArrayList<>();
    List<String> leaks = new ArrayList<>();
    String[] turns = {"alice", "bob", null, "alice", null, "bob", "Alice", null, "alice"};
    for (String who : turns) {
      ServletContainer.Response r = who == null ? container.send("GET", ctx + "/api/me")
          : container.send("GET", ctx + "/api/me", "Authorization", "Bearer " + who);
      assertThat(r.status()).as("%s as %s", r.body(), who).isEqualTo(200);
      String expected = "secret-of-" + (who == null ? "anonymous" : who);
      seen.add(who + " -> " + r.header("X-Cache") + " " + r.body());
      if (!r.body().contains("\"" + expected + "\"")) {
        leaks.add(who + " received " + r.body());
      }
    }
    assertThat(leaks).as("responses that were someone else's (all: %s)", seen).isEmpty();
    assertThat(seen.get(3)).as("alice's own copy is served to her: the cache still works")
        .contains("HIT");
    assertThat(seen.get(4)).as("the anonymous copy too").contains("HIT");
  }
}
