package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * {@code @CachedQuery(tags)} and {@code @InvalidatesCache(tags)} over real HTTP on two instances
 * (Jetty, Tomcat) sharing a real redis-server: one chat shown in two cached responses (itself,
 * and its owner's list) is invalidated in both by its tag, on every instance; an owner's tag
 * invalidates all of that owner's responses and no other's; {@code QueryCache.invalidateTag}
 * from Java names what the annotation renders.
 */
class TaggedResponsesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final Map<String, AtomicLong> VERSIONS = new ConcurrentHashMap<>();
  static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
  static volatile String redisUrl;
  static final List<QueryCache> CACHES = new CopyOnWriteArrayList<>();

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new CopyOnWriteArrayList<>();

  static long version(String chat) {
    return VERSIONS.computeIfAbsent(chat, c -> new AtomicLong()).get();
  }

  static void called(String what) {
    CALLS.computeIfAbsent(what, c -> new AtomicInteger()).incrementAndGet();
  }

  static int calls(String what) {
    return CALLS.getOrDefault(what, new AtomicInteger()).get();
  }

  @Path("users/{user}")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Chats {
    @GET
    @Path("chats/{id}")
    @CachedQuery(value = "query:chat:id:{id}", shared = true,
        tags = {"chat:{id}", "user:{user}"})
    public Map<String, Object> chat(@PathParam("user") String user, @PathParam("id") String id) {
      called("chat " + id);
      return Map.of("id", id, "version", version(id));
    }

    @GET
    @Path("chats")
    @CachedQuery(value = "query:chat:user:{user}", shared = true, tags = {"user:{user}",
        "chat:1", "chat:2"})
    public List<Map<String, Object>> list(@PathParam("user") String user) {
      called("list " + user);
      return List.of(Map.of("id", "1", "version", version("1")),
          Map.of("id", "2", "version", version("2")));
    }

    @PUT
    @Path("chats/{id}")
    @InvalidatesCache(tags = "chat:{id}")
    public Map<String, Object> edit(@PathParam("user") String user, @PathParam("id") String id) {
      return Map.of("version", VERSIONS.computeIfAbsent(id, c -> new AtomicLong())
          .incrementAndGet());
    }

    @GET
    @Path("search")
    @CachedQuery(value = "query:chat:search:{q}", shared = true, tags = "{q}")
    public List<String> search(@PathParam("user") String user,
        @jakarta.ws.rs.QueryParam("q") String q) {
      called("search");
      return List.of(q == null ? "" : q);
    }

    @DELETE
    @InvalidatesCache(tags = "user:{user}")
    public Map<String, Object> forget(@PathParam("user") String user) {
      return Map.of("forgotten", user);
    }
  }

  /** One instance: its own connector and cache on the test's Redis. */
  public static final class App extends ResourceConfig {
    public App() {
      QueryCache cache = QueryCache.builder()
          .connector(RedisConnector.create(RedisSettings.fromUrl(redisUrl))).build();
      CACHES.add(cache);
      register(Chats.class);
      register(JacksonFeature.class);
      register(new CachedQueryFeature(cache));
    }
  }

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
    redisUrl = redis.url();
    VERSIONS.clear();
    CALLS.clear();
    CACHES.clear();
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

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aChatShownInTwoResponsesIsInvalidatedInBothByItsTag(Kind kind) throws Exception {
    ServletContainer a = deploy(kind, "a");
    ServletContainer b = deploy(kind, "b");
    for (ServletContainer c : List.of(a, b)) {
      c.send("GET", "/api/users/alice/chats/1");
      c.send("GET", "/api/users/alice/chats/2");
      c.send("GET", "/api/users/alice/chats");
      c.send("GET", "/api/users/bob/chats");
    }
    assertThat(List.of(calls("chat 1"), calls("chat 2"), calls("list alice"), calls("list bob")))
        .containsOnly(1);

    assertThat(a.send("PUT", "/api/users/alice/chats/1").status()).isEqualTo(200);
    ServletContainer.Response chat = b.send("GET", "/api/users/alice/chats/1");
    assertThat(chat.header("X-Cache")).isEqualTo("MISS");
    assertThat(chat.body()).contains("\"version\":1");
    ServletContainer.Response list = b.send("GET", "/api/users/alice/chats");
    assertThat(list.header("X-Cache")).as("the list shows chat 1 too").isEqualTo("MISS");
    assertThat(list.body()).contains("\"version\":1");
    assertThat(b.send("GET", "/api/users/alice/chats/2").header("X-Cache")).isEqualTo("HIT");
    assertThat(a.send("GET", "/api/users/alice/chats/1").header("X-Cache")).isEqualTo("HIT");

    // An owner's tag: all of alice's responses, none of bob's.
    assertThat(b.send("DELETE", "/api/users/alice").status()).isEqualTo(200);
    assertThat(a.send("GET", "/api/users/alice/chats/2").header("X-Cache")).isEqualTo("MISS");
    assertThat(a.send("GET", "/api/users/alice/chats").header("X-Cache")).isEqualTo("MISS");
    // bob's list names chat:1 and chat:2 (so it went with chat 1's edit); his own tag did not.
    assertThat(a.send("GET", "/api/users/bob/chats").header("X-Cache")).isEqualTo("MISS");
    assertThat(a.send("GET", "/api/users/bob/chats").header("X-Cache")).isEqualTo("HIT");
    assertThat(b.send("DELETE", "/api/users/carol").status()).isEqualTo(200);
    assertThat(a.send("GET", "/api/users/bob/chats").header("X-Cache")).isEqualTo("HIT");

    // A tag rendered blank from a client's empty parameter: served, not cached, never a 500.
    assertThat(a.send("GET", "/api/users/alice/search?q=").status()).isEqualTo(200);
    assertThat(a.send("GET", "/api/users/alice/search?q=").header("X-Cache")).isNull();

    // From Java, the tag the annotation renders.
    CACHES.get(0).invalidateTag("chat:2");
    assertThat(b.send("GET", "/api/users/alice/chats/2").header("X-Cache")).isEqualTo("MISS");
  }
}
