package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;
import java.util.Set;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * An anonymous client minting cache keys ({@code ?userId=<random>} on a cached route) costs a
 * fixed amount of Redis memory: the route stores new entries up to its budget per TTL window,
 * then serves without storing. Over real HTTP on Jetty and Tomcat.
 */
class RouteBudgetIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final int BUDGET = 20_000;
  static volatile String redisUrl;

  @TempDir
  java.nio.file.Path webapp;

  private ServletContainer container;

  /** About a kilobyte of JSON per user id. */
  @Path("stats")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Stats {
    @GET
    @CachedQuery("query:document_stats:user:{userId}")
    public Map<String, String> stats(@QueryParam("userId") String userId) {
      return Map.of("userId", userId, "padding", "p".repeat(1000));
    }
  }

  /** The application, with a 20 kB route budget. */
  public static final class App extends ResourceConfig {
    public App() {
      register(Stats.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl)))
          .routeBudget(BUDGET).build()));
    }
  }

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

  @ParameterizedTest
  @EnumSource(Kind.class)
  void keysMintedByAClientCostAFixedAmountOfMemory(Kind kind) throws Exception {
    container = ServletContainer.deploy(kind, webapp, "",
        ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName()));
    for (int i = 0; i < 100; i++) {
      ServletContainer.Response r = container.send("GET", "/api/stats?userId=minted-" + i);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).contains("minted-" + i);
    }
    Set<String> stored = redis.withClient(j -> j.keys("query:*"));
    assertThat(stored.size()).as("entries stored of 100 minted keys, each about 1 kB")
        .isBetween(BUDGET / 1100, BUDGET / 1000);
    assertThat(container.send("GET", "/api/stats?userId=minted-0").header("X-Cache"))
        .as("an entry stored within the budget is still served").isEqualTo("HIT");
    assertThat(container.send("GET", "/api/stats?userId=minted-99").header("X-Cache"))
        .as("past the budget: served, not stored").isEqualTo("MISS");
  }
}
