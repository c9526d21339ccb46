package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * A cold {@code @CachedQuery} key whose method fails is loaded once for every request waiting
 * on it: 32 concurrent requests, the method throwing an exception no mapper takes (the container
 * answers 500) or a {@code WebApplicationException(503)}, run it once and all answer the same
 * status; with a failure memory, later requests within it do not run it either. On Jetty and
 * Tomcat, over real HTTP.
 */
class FailingLoadsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final int REQUESTS = 32;

  static final AtomicInteger CALLS = new AtomicInteger();
  static volatile CountDownLatch release = new CountDownLatch(0);
  static volatile String redisUrl;
  static final MutableClock CLOCK = MutableClock.startingNow();

  @TempDir
  java.nio.file.Path webapp;

  private ServletContainer container;
  private final ExecutorService clients = Executors.newFixedThreadPool(REQUESTS);

  static Stream<Arguments> cases() {
    return Stream.of(Kind.values()).flatMap(kind -> Stream.of(
        Arguments.of(kind, "unmapped", 500), Arguments.of(kind, "unavailable", 503)));
  }

  /** A method that fails once released, counting its runs. */
  @Path("failing/{mode}")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Failing {
    @GET
    @CachedQuery(value = "query:chat:failing:{mode}", shared = true)
    public Map<String, String> load(@PathParam("mode") String mode) throws Exception {
      CALLS.incrementAndGet();
      if (!release.await(30, TimeUnit.SECONDS)) {
        throw new IllegalStateException("never released");
      }
      if (mode.equals("unmapped")) {
        throw new IllegalStateException("database down");
      }
      throw new WebApplicationException(503);
    }
  }

  /** The application, on the test's Redis, remembering a failure for 10 s of the test's clock. */
  public static final class App extends ResourceConfig {
    public App() {
      register(Failing.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl)))
          .clock(CLOCK).failureMemory(Duration.ofSeconds(10)).build()));
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
    redisUrl = redis.url();
    CALLS.set(0);
  }

  @AfterEach
  void stop() throws Exception {
    clients.shutdownNow();
    if (container != null) {
      container.close();
    }
  }

  private void deploy(Kind kind) throws Exception {
    container = ServletContainer.deploy(kind, webapp, "",
        ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName()));
  }

  @ParameterizedTest(name = "{0}, {1}")
  @MethodSource("cases")
  void aFailingLoadRunsOnceForEveryoneWaitingAndIsRemembered(Kind kind, String mode, int status)
      throws Exception {
    deploy(kind);
    release = new CountDownLatch(1);
    List<Future<ServletContainer.Response>> responses = new ArrayList<>();
    for (int i = 0; i < REQUESTS; i++) {
      responses.add(clients.submit(() -> container.send("GET", "/api/failing/" + mode)));
    }
    Await.until("one load under way and every other request waiting for it",
        () -> CALLS.get() == 1 && Followers.waiting() == REQUESTS - 1);
    release.countDown();
    List<Integer> statuses = new ArrayList<>();
    for (Future<ServletContainer.Response> r : responses) {
      statuses.add(r.get(30, TimeUnit.SECONDS).status());
    }
    assertThat(statuses).as("every request answers the leader's failure").containsOnly(status);
    assertThat(CALLS.get()).as("the failing method ran once").isEqualTo(1);

    assertThat(container.send("GET", "/api/failing/" + mode).status())
        .as("within the failure memory").isEqualTo(status);
    assertThat(CALLS.get()).as("a remembered failure runs nothing").isEqualTo(1);
    CLOCK.advance(Duration.ofSeconds(11));
    assertThat(container.send("GET", "/api/failing/" + mode).status()).isEqualTo(status);
    assertThat(CALLS.get()).as("past the memory, the method runs again").isEqualTo(2);
  }
}
