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
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stale responses over real HTTP on two instances (Jetty, Tomcat) sharing a real redis-server,
 * with the instances' clock injected and advanced: past its TTL within stale-while-revalidate, a
 * {@code @CachedQuery} response is served at once ({@code X-Cache: STALE}, {@code Age}) while one
 * request in the fleet runs the method and stores its answer; past that within stale-if-error, a
 * 5xx from the method is answered with the stored response, counted; past both, the failure; an
 * invalidated response is never served stale.
 */
class StaleResponsesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final MutableClock CLOCK = MutableClock.startingNow();
  static final AtomicLong VERSION = new AtomicLong(1);
  static final AtomicInteger CALLS = new AtomicInteger();
  static volatile boolean down;
  static volatile CountDownLatch gate = new CountDownLatch(0);
  static volatile String redisUrl;
  static final List<QueryCache> CACHES = new CopyOnWriteArrayList<>();

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new CopyOnWriteArrayList<>();
  private final ExecutorService clients = Executors.newFixedThreadPool(4);

  /** A row: 60 s fresh, then 30 s stale-while-revalidate, 5 min stale-if-error. */
  @Path("rows/{id}")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Rows {
    @GET
    @CachedQuery(value = "query:chat:row:{id}", shared = true, ttlSeconds = 60,
        staleWhileRevalidateSeconds = 30, staleIfErrorSeconds = 300)
    public Map<String, Long> get(@PathParam("id") String id) throws Exception {
      CALLS.incrementAndGet();
      gate.await(30, TimeUnit.SECONDS);
      if (down) {
        throw new WebApplicationException(503);
      }
      return Map.of("version", VERSION.get());
    }

    @PUT
    @InvalidatesCache("query:chat:row:{id}")
    public Map<String, Long> put(@PathParam("id") String id) {
      return Map.of("version", VERSION.incrementAndGet());
    }
  }

  /** One instance: its own connector and cache on the test's Redis and clock. */
  public static final class App extends ResourceConfig {
    public App() {
      QueryCache cache = QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl))).clock(CLOCK).build();
      CACHES.add(cache);
      register(Rows.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(cache));
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
    redisUrl = redis.url();
    VERSION.set(1);
    CALLS.set(0);
    down = false;
    gate = new CountDownLatch(0);
    CACHES.clear();
  }

  @AfterEach
  void stop() throws Exception {
    clients.shutdownNow();
    for (ServletContainer c : containers) {
      c.close();
    }
  }

  private ServletContainer deploy(Kind kind, String name) throws Exception {
    ServletContainer c = ServletContainer.deploy(kind, webapp.resolve(name), "",
        ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName()));
    containers.add(c);
    return c;
  }

  private static long staleServed(QueryCache.StaleReason reason) {
    return CACHES.stream().mapToLong(c -> c.staleServed(reason)).sum();
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void staleWhileRevalidatingThenOnErrorThenTheFailure(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    ServletContainer b = deploy(kind, "b");
    ServletContainer.Response miss = a.send("GET", "/api/rows/1");
    assertThat(miss.header("X-Cache")).isEqualTo("MISS");
    assertThat(b.send("GET", "/api/rows/1").header("X-Cache")).isEqualTo("HIT");
    assertThat(CALLS).hasValue(1);

    // The row changes without an invalidation (only the TTL brings it); the TTL passes.
    VERSION.set(2);
    CLOCK.advance(Duration.ofSeconds(61));
    gate = new CountDownLatch(1);
    Future<ServletContainer.Response> refresh = clients.submit(() -> a.send("GET",
        "/api/rows/1"));
    Await.until("one request running the method to refresh it", () -> CALLS.get() == 2);
    for (ServletContainer c : List.of(b, a)) {
      ServletContainer.Response stale = c.send("GET", "/api/rows/1");
      assertThat(stale.status()).isEqualTo(200);
      assertThat(stale.header("X-Cache")).as("served at once while refreshed").isEqualTo("STALE");
      assertThat(stale.body()).contains("\"version\":1");
      assertThat(Long.parseLong(stale.header("Age"))).isGreaterThanOrEqualTo(61);
      assertThat(stale.header("ETag")).isEqualTo(miss.header("ETag"));
    }
    gate.countDown();
    assertThat(refresh.get(30, TimeUnit.SECONDS).body()).contains("\"version\":2");
    assertThat(CALLS).as("one refresh for the fleet").hasValue(2);
    ServletContainer.Response fresh = b.send("GET", "/api/rows/1");
    assertThat(fresh.header("X-Cache")).isEqualTo("HIT");
    assertThat(fresh.body()).contains("\"version\":2");
    assertThat(staleServed(QueryCache.StaleReason.REVALIDATING)).isEqualTo(2);

    // Past stale-while-revalidate, within stale-if-error: the method fails, the row is served.
    CLOCK.advance(Duration.ofSeconds(100));
    down = true;
    ServletContainer.Response onError = b.send("GET", "/api/rows/1");
    assertThat(onError.status()).isEqualTo(200);
    assertThat(onError.header("X-Cache")).isEqualTo("STALE");
    assertThat(onError.body()).contains("\"version\":2");
    assertThat(Long.parseLong(onError.header("Age"))).isGreaterThanOrEqualTo(100);
    assertThat(staleServed(QueryCache.StaleReason.ERROR)).isEqualTo(1);
    assertThat(CALLS).as("the method was tried").hasValue(3);

    CLOCK.advance(Duration.ofMinutes(5)); // past both windows: the failure
    assertThat(a.send("GET", "/api/rows/1").status()).isEqualTo(503);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void anInvalidatedResponseIsNeverServedStale(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    ServletContainer b = deploy(kind, "b");
    a.send("GET", "/api/rows/2");
    CLOCK.advance(Duration.ofSeconds(61));
    assertThat(b.send("PUT", "/api/rows/2").status()).isEqualTo(200);
    ServletContainer.Response after = a.send("GET", "/api/rows/2");
    assertThat(after.header("X-Cache")).as("invalidated on the other instance").isEqualTo("MISS");
    assertThat(after.body()).contains("\"version\":2");
    down = true;
    CLOCK.advance(Duration.ofSeconds(100));
    assertThat(b.send("PUT", "/api/rows/2").status()).isEqualTo(200);
    assertThat(a.send("GET", "/api/rows/2").status())
        .as("an invalidated response answers no failure either").isEqualTo(503);
    assertThat(staleServed(QueryCache.StaleReason.REVALIDATING)
        + staleServed(QueryCache.StaleReason.ERROR)).isZero();
  }
}
