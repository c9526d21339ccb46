package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.json.TypeToken;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.ServletContainer;
import dev.ratecache.support.ServletContainer.Kind;
import dev.ratecache.testing.RedisServer;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
 * Compression of large values on a real redis-server: stored smaller with the codec mark, read
 * back exactly by every instance whatever its own setting (so plain and compressed entries
 * coexist), with the envelopes around it (stamp, tags, stale window) still compared in Redis; a
 * damaged entry is a miss a load replaces; over real HTTP (Jetty, Tomcat) a 200 KB response is
 * replayed byte for byte with its ETag.
 */
class CompressionIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final AtomicInteger CALLS = new AtomicInteger();
  static volatile String redisUrl;
  private static final Duration TTL = Duration.ofMinutes(5);

  @TempDir
  java.nio.file.Path webapp;

  private final List<ServletContainer> containers = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closing = new ArrayList<>();

  private static final TypeToken<List<Message>> MESSAGES = new TypeToken<>() {};

  public record Message(long id, String chat, String author, String text) {}

  /** About {@code bytes} of JSON: messages as a chat's history returns them. */
  static List<Message> history(int bytes) {
    List<Message> out = new ArrayList<>();
    for (int i = 0, size = 0; size < bytes; i++) {
      Message m = new Message(i, "chat-" + (i % 37), "user" + (i % 11),
          "message " + (i * 7919 % 100_000) + " about the release — ünïcode ok");
      out.add(m);
      size += 90;
    }
    return out;
  }

  @Path("chats")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Chats {
    @GET
    @Path("{id}/history")
    @CachedQuery(value = "query:messages:chat:{id}", shared = true, ttlSeconds = 600,
        staleWhileRevalidateSeconds = 60, tags = "chat:{id}")
    public List<Message> history(@PathParam("id") String id) {
      CALLS.incrementAndGet();
      return CompressionIT.history(200_000);
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
    for (AutoCloseable c : closing) {
      c.close();
    }
  }

  private QueryCache instance(int threshold) {
    RedisConnector c = RedisConnector.create(RedisSettings.fromUrl(redis.url()));
    QueryCache cache = QueryCache.builder().connector(c).compressionThreshold(threshold)
        .staleWhileRevalidate(Duration.ofMinutes(1)).build();
    closing.add(c);
    closing.add(cache);
    return cache;
  }

  private static String raw(String key) {
    return redis.withClient(j -> j.get(key));
  }

  private static long strlen(String key) {
    return redis.withClient(j -> j.strlen(key));
  }

  private List<Message> load(QueryCache cache, String key, String... tags) {
    return cache.tagged(tags).getOrLoad(key, TTL, MESSAGES, () -> {
      CALLS.incrementAndGet();
      return history(200_000);
    });
  }

  @Test
  void instancesReadEachOthersEntriesWhateverTheirSetting() throws Exception {
    QueryCache compressing = instance(4096);
    QueryCache plain = instance(0);
    List<Message> expected = history(200_000);

    assertThat(load(compressing, "query:messages:chat:1", "chat:1")).isEqualTo(expected);
    String stored = raw("query:messages:chat:1");
    assertThat(stored).contains(String.valueOf(Compression.MARK));
    long json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(expected)
        .length();
    assertThat(strlen("query:messages:chat:1")).as("stored smaller than a third of its JSON")
        .isLessThan(json / 3);
    assertThat(load(plain, "query:messages:chat:1", "chat:1")).isEqualTo(expected);
    assertThat(CALLS).as("the other instance read the compressed entry").hasValue(1);

    assertThat(load(plain, "query:messages:chat:2")).isEqualTo(expected);
    assertThat(raw("query:messages:chat:2")).doesNotContain(String.valueOf(Compression.MARK));
    assertThat(strlen("query:messages:chat:2")).isGreaterThan(json);
    assertThat(load(compressing, "query:messages:chat:2")).isEqualTo(expected);
    assertThat(CALLS).hasValue(2);

    // The envelopes stay in clear: a tag's invalidation and a key's reach compressed entries.
    plain.invalidateTag("chat:1");
    assertThat(load(compressing, "query:messages:chat:1", "chat:1")).isEqualTo(expected);
    assertThat(CALLS).as("reloaded after its tag was invalidated").hasValue(3);
    plain.invalidate("query:messages:chat:1");
    assertThat(compressing.get("query:messages:chat:1", Object.class)).isEmpty();
  }

  @Test
  void aDamagedEntryIsAMissThatALoadReplaces() {
    QueryCache cache = instance(1024);
    List<Message> expected = history(20_000);
    QueryCache.Loader<List<Message>> db = () -> {
      CALLS.incrementAndGet();
      return expected;
    };
    String key = "query:messages:chat:9";
    cache.getOrLoad(key, TTL, MESSAGES, db);
    String stored = raw(key);
    int mark = stored.indexOf(Compression.MARK);
    assertThat(mark).isPositive();
    // Cut the block short, envelopes intact (as a torn write or a foreign writer would).
    String damaged = stored.substring(0, stored.length() - 60) + "}}";
    redis.withClient(j -> j.psetex(key, 60_000, damaged));
    assertThat(cache.getOrLoad(key, TTL, MESSAGES, db))
        .isEqualTo(expected);
    assertThat(CALLS).as("the damaged entry was loaded again").hasValue(2);
    assertThat(raw(key)).isNotEqualTo(damaged);
    assertThat(cache.getOrLoad(key, TTL, MESSAGES, db))
        .isEqualTo(expected);
    assertThat(CALLS).as("and replaced").hasValue(2);
  }

  @ParameterizedTest
  @EnumSource(Kind.class)
  void aLargeResponseIsStoredCompressedAndReplayedByteForByte(Kind kind) throws Exception {
    ServletContainer a = ServletContainer.deploy(kind, webapp.resolve("a"), "",
        ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName()));
    containers.add(a);
    ServletContainer b = ServletContainer.deploy(kind, webapp.resolve("b"), "",
        ServletContainer.jerseyAtApi("jakarta.ws.rs.Application", App.class.getName()));
    containers.add(b);
    ServletContainer.Response miss = a.send("GET", "/api/chats/1/history");
    assertThat(miss.status()).isEqualTo(200);
    assertThat(miss.body().length()).isGreaterThan(200_000);
    ServletContainer.Response hit = b.send("GET", "/api/chats/1/history");
    assertThat(hit.header("X-Cache")).isEqualTo("HIT");
    assertThat(hit.body()).isEqualTo(miss.body());
    assertThat(hit.header("ETag")).isEqualTo(miss.header("ETag")).isNotNull();
    assertThat(CALLS).hasValue(1);
    assertThat(raw("query:messages:chat:1")).contains(String.valueOf(Compression.MARK));
    assertThat(strlen("query:messages:chat:1")).isLessThan(miss.body().length() / 3);
  }
}
