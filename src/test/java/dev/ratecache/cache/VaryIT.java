package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code Vary}-aware storage over real HTTP on two instances (Jetty, Tomcat) sharing a real
 * redis-server: each language is stored once for the fleet and served to its own requests only,
 * with {@code Vary} on the miss and the hit; a key keeps at most its bound of variants (a client
 * inventing values is served, not stored); invalidating the key removes every variant; a
 * response varying on a header the route does not name, or a value too long to key, is served
 * and not stored.
 */
class VaryIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final AtomicInteger CALLS = new AtomicInteger();
  static volatile String redisUrl;

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new CopyOnWriteArrayList<>();

  @Path("chats")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Chats {
    @GET
    @Path("{id}")
    @CachedQuery(value = "query:chat:id:{id}", shared = true, vary = "Accept-Language",
        maxVariants = 3)
    public Map<String, String> get(@PathParam("id") String id,
        @HeaderParam("Accept-Language") String language) {
      CALLS.incrementAndGet();
      return Map.of("id", id, "title", language != null && language.startsWith("fr")
          ? "Planification du voyage" : "Trip planning");
    }

    @GET
    @Path("{id}/agent")
    @CachedQuery(value = "query:chat:agent:{id}", shared = true, vary = "Accept-Language")
    public Response byAgent(@PathParam("id") String id) {
      CALLS.incrementAndGet();
      return Response.ok(Map.of("id", id)).header("Vary", "User-Agent").build();
    }

    @PUT
    @Path("{id}")
    @InvalidatesCache("query:chat:id:{id}")
    public Map<String, String> rename(@PathParam("id") String id) {
      return Map.of("id", id);
    }
  }

  public static final class App extends ResourceConfig {
    public App() {
      register(Chats.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl))).build()));
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

  private static ServletContainer.Response get(ServletContainer c, String path, String language)
      throws Exception {
    return c.send("GET", path, "Accept-Language", language);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void eachLanguageIsStoredOnceForTheFleetAndServedToItsOwnRequests(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    ServletContainer b = deploy(kind, "b");
    ServletContainer.Response en = get(a, "/api/chats/1", "en-US,en;q=0.9");
    assertThat(en.header("X-Cache")).isEqualTo("MISS");
    assertThat(en.header("Vary")).containsIgnoringCase("accept-language");
    ServletContainer.Response fr = get(b, "/api/chats/1", "fr-FR");
    assertThat(fr.header("X-Cache")).isEqualTo("MISS");
    assertThat(fr.body()).contains("Planification");
    for (ServletContainer c : List.of(a, b)) {
      ServletContainer.Response enHit = get(c, "/api/chats/1", "EN-us, en;q=0.9");
      assertThat(enHit.header("X-Cache")).isEqualTo("HIT");
      assertThat(enHit.body()).isEqualTo(en.body());
      assertThat(enHit.header("Vary")).containsIgnoringCase("accept-language");
      ServletContainer.Response frHit = get(c, "/api/chats/1", "fr-FR");
      assertThat(frHit.header("X-Cache")).isEqualTo("HIT");
      assertThat(frHit.body()).isEqualTo(fr.body());
      assertThat(frHit.header("ETag")).isEqualTo(fr.header("ETag")).isNotEqualTo(
          en.header("ETag"));
    }
    assertThat(CALLS).as("one call per language for the fleet").hasValue(2);

    // The bound: a third variant is stored, a fourth (and more) served but not stored.
    get(a, "/api/chats/1", "de");
    assertThat(get(b, "/api/chats/1", "de").header("X-Cache")).isEqualTo("HIT");
    int before = CALLS.get();
    for (int i = 0; i < 5; i++) {
      ServletContainer.Response invented = get(i % 2 == 0 ? a : b, "/api/chats/1", "x-" + i);
      assertThat(invented.status()).isEqualTo(200);
      assertThat(get(a, "/api/chats/1", "x-" + i).header("X-Cache")).isEqualTo("MISS");
    }
    assertThat(CALLS.get() - before).as("past the bound nothing is stored").isEqualTo(10);
    assertThat(get(b, "/api/chats/1", "fr-FR").header("X-Cache")).as("kept variants still hit")
        .isEqualTo("HIT");
    long keys = redis.<java.util.Set<String>>withClient(j -> j.keys("query:chat:id:1:vary:*"))
        .stream().filter(k -> !k.endsWith("%n")).count();
    assertThat(keys).isEqualTo(3);

    // Invalidating the key removes every variant, on every instance.
    assertThat(b.send("PUT", "/api/chats/1").status()).isEqualTo(200);
    assertThat(get(a, "/api/chats/1", "fr-FR").header("X-Cache")).isEqualTo("MISS");
    assertThat(get(b, "/api/chats/1", "en-US,en;q=0.9").header("X-Cache")).isEqualTo("MISS");
    assertThat(get(a, "/api/chats/1", "fr-FR").header("X-Cache")).isEqualTo("HIT");
  }

  /**
   * The bound is the fleet's, under concurrency: 24 new languages at once from 8 threads on two
   * instances store exactly {@code maxVariants} variants, counted once in Redis.
   */
  @ParameterizedTest
  @EnumSource(Kind.class)
  void concurrentNewVariantsOnTwoInstancesStoreExactlyTheBound(Kind kind) throws Exception {
    List<ServletContainer> fleet = List.of(deploy(kind, "a"), deploy(kind, "b"));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Integer>> sent = new java.util.ArrayList<>();
      java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
      for (int i = 0; i < 24; i++) {
        int n = i;
        sent.add(pool.submit(() -> {
          go.await();
          return get(fleet.get(n % 2), "/api/chats/5", "l-" + n).status();
        }));
      }
      go.countDown();
      for (java.util.concurrent.Future<Integer> f : sent) {
        assertThat(f.get(60, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    long stored = redis.<java.util.Set<String>>withClient(j -> j.keys("query:chat:id:5:vary:*"))
        .stream().filter(k -> !k.endsWith("%n")).count();
    assertThat(stored).as("exactly maxVariants stored across the fleet").isEqualTo(3);
    assertThat(redis.<Long>withClient(j -> j.zcard("query:chat:id:5:vary:%n"))).isEqualTo(3);
    assertThat(CALLS).as("every new language ran the method once").hasValue(24);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void anUnnamedVaryOrAValueTooLongToKeyIsServedNotStored(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    get(a, "/api/chats/2/agent", "en");
    ServletContainer.Response again = get(a, "/api/chats/2/agent", "en");
    assertThat(again.status()).isEqualTo(200);
    assertThat(again.header("X-Cache")).isEqualTo("MISS");
    assertThat(CALLS).hasValue(2);

    String hostile = "en;q=0.1," + "x".repeat(300);
    for (int i = 0; i < 2; i++) {
      ServletContainer.Response r = get(a, "/api/chats/3", hostile);
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("X-Cache")).isNull(); // not looked up: nothing to key it by
    }
    assertThat(CALLS).hasValue(4);
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("query:chat:id:3*")))
        .isEmpty();
  }
}
