package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Negative caching over real HTTP on two instances (Jetty, Tomcat) and through {@code
 * getOrLoadOptional}, against a real redis-server (its expiry made at once by a DEL): an id that does not
 * exist reaches the method once per not-found TTL on the whole fleet, answered {@code 404} with
 * {@code X-Cache: HIT} meanwhile; an empty result lives the not-found TTL, not the TTL; creating
 * the row (an invalidation) ends the absence at once; a route without it stores no 404.
 */
class NegativeCachingIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final AtomicInteger CALLS = new AtomicInteger();
  static final Set<String> ROWS = ConcurrentHashMap.newKeySet();
  static volatile String redisUrl;

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new CopyOnWriteArrayList<>();

  @Path("items")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Items {
    @GET
    @Path("{id}")
    @CachedQuery(value = "query:chat:item:{id}", shared = true, ttlSeconds = 600,
        notFoundTtlSeconds = 30)
    public Map<String, String> get(@PathParam("id") String id) {
      CALLS.incrementAndGet();
      if (!ROWS.contains(id)) {
        throw new NotFoundException();
      }
      return Map.of("id", id);
    }

    @GET
    @Path("search/{q}")
    @CachedQuery(value = "query:chat:search:{q}", shared = true, ttlSeconds = 600,
        notFoundTtlSeconds = 30)
    public List<String> search(@PathParam("q") String q) {
      CALLS.incrementAndGet();
      return ROWS.stream().filter(r -> r.contains(q)).toList();
    }

    @GET
    @Path("plain/{id}")
    @CachedQuery(value = "query:chat:plain:{id}", shared = true, ttlSeconds = 600)
    public Map<String, String> plain(@PathParam("id") String id) {
      CALLS.incrementAndGet();
      throw new NotFoundException();
    }

    @PUT
    @Path("{id}")
    @InvalidatesCache("query:chat:item:{id}")
    public Map<String, String> create(@PathParam("id") String id) {
      ROWS.add(id);
      return Map.of("id", id);
    }
  }

  public static final class App extends ResourceConfig {
    public App() {
      register(Items.class);
      register(JacksonFeature.class);
      // Stale windows on: a negative entry must still live its own short TTL only.
      register(new CachedQueryFeature(QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl)))
          .staleWhileRevalidate(Duration.ofMinutes(1)).staleIfError(Duration.ofMinutes(10))
          .build()));
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
    redisUrl = redis.url();
    CALLS.set(0);
    ROWS.clear();
  }

  @AfterEach
  void stop() throws Exception {
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

  private static long pttl(String key) {
    return redis.withClient(j -> j.pttl(key));
  }

  private static void expire(String key) {
    redis.withClient(j -> j.del(key));
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aMissingIdReachesTheMethodOncePerNotFoundTtl(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    ServletContainer b = deploy(kind, "b");
    assertThat(a.send("GET", "/api/items/404").status()).isEqualTo(404);
    for (ServletContainer c : List.of(a, b, a, b)) {
      ServletContainer.Response again = c.send("GET", "/api/items/404");
      assertThat(again.status()).isEqualTo(404);
      assertThat(again.header("X-Cache")).isEqualTo("HIT");
      assertThat(again.header("Content-Type")).startsWith("application/problem+json");
    }
    assertThat(CALLS).as("the method ran once for the fleet").hasValue(1);
    assertThat(pttl("query:chat:item:404")).as("stored for the not-found TTL").isBetween(1L,
        30_000L);
    expire("query:chat:item:404"); // as Redis does at the TTL
    assertThat(b.send("GET", "/api/items/404").header("X-Cache")).as("past the not-found TTL")
        .isEqualTo("MISS");
    assertThat(CALLS).hasValue(2);

    // Creating the row invalidates its key: the absence ends at once, on every instance.
    assertThat(b.send("PUT", "/api/items/404").status()).isEqualTo(200);
    ServletContainer.Response found = a.send("GET", "/api/items/404");
    assertThat(found.status()).isEqualTo(200);
    assertThat(found.body()).contains("404");

    // An empty result lives the not-found TTL, not the route's 600 s.
    assertThat(a.send("GET", "/api/items/search/zzz").body()).isEqualTo("[]");
    assertThat(b.send("GET", "/api/items/search/zzz").header("X-Cache")).isEqualTo("HIT");
    assertThat(pttl("query:chat:search:zzz")).isBetween(1L, 30_000L);

    // A route without negative caching stores no 404.
    int before = CALLS.get();
    a.send("GET", "/api/items/plain/1");
    assertThat(a.send("GET", "/api/items/plain/1").status()).isEqualTo(404);
    assertThat(CALLS.get() - before).isEqualTo(2);
  }

  @Test
  void getOrLoadOptionalStoresAnAbsenceForItsOwnTtl() {
    try (RedisConnector c = RedisConnector.create(RedisSettings.fromUrl(redis.url()));
        QueryCache cache = QueryCache.builder().connector(c)
            .staleIfError(Duration.ofMinutes(10)).build()) {
      QueryCache.Loader<Optional<String>> db = () -> {
        CALLS.incrementAndGet();
        return ROWS.contains("7") ? Optional.of("row 7") : Optional.empty();
      };
      Duration ttl = Duration.ofMinutes(10);
      Duration absent = Duration.ofSeconds(30);
      assertThat(cache.getOrLoadOptional("query:user:id:7", ttl, absent, String.class, db))
          .isEmpty();
      assertThat(cache.getOrLoadOptional("query:user:id:7", ttl, absent, String.class, db))
          .isEmpty();
      assertThat(CALLS).as("the absence was stored").hasValue(1);
      assertThat(cache.get("query:user:id:7", String.class)).as("get reads it as nothing")
          .isEmpty();
      assertThat(pttl("query:user:id:7")).isBetween(1L, 30_000L);
      ROWS.add("7");
      expire("query:user:id:7");
      assertThat(cache.getOrLoadOptional("query:user:id:7", ttl, absent, String.class, db))
          .contains("row 7");
      assertThat(cache.getOrLoad("query:user:id:7", String.class, () -> "not loaded"))
          .isEqualTo("row 7");
      assertThat(CALLS).hasValue(2);
    }
  }
}
