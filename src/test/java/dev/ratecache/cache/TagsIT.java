package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Tags (surrogate keys) on two instances (separate connectors) sharing a real redis-server:
 * invalidating a tag makes every entry carrying it a miss on every instance and leaves the
 * others; one write in Redis, which expires; a load that a tag's invalidation overtook is not
 * served after it; near copies go too; a tag's invalidation that Redis refuses is kept, the
 * tag's entries are not read from Redis meanwhile, and it is made when Redis accepts writes.
 */
class TagsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final Duration TTL = Duration.ofMinutes(5);

  private final List<RedisConnector> connectors = new ArrayList<>();
  private final List<QueryCache> caches = new ArrayList<>();
  /** The database: each row's version, and how many loads read each. */
  private final Map<String, AtomicLong> rows = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> loads = new ConcurrentHashMap<>();

  public record Row(String key, long version) {}

  @BeforeEach
  void start() {
    redis.start();
    redis.flushAll();
  }

  @AfterEach
  void stop() {
    caches.forEach(QueryCache::close);
    connectors.forEach(RedisConnector::close);
  }

  private void instances(java.util.function.UnaryOperator<QueryCache.Builder> options) {
    for (int i = 0; i < 2; i++) {
      RedisConnector c = RedisConnector.create(RedisSettings.fromUrl(redis.url()));
      connectors.add(c);
      caches.add(options.apply(QueryCache.builder().connector(c)).build());
    }
  }

  private Row read(int instance, String key, String... tags) {
    return caches.get(instance).tagged(tags).getOrLoad(key, TTL, Row.class, () -> {
      loads.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
      return new Row(key, rows.computeIfAbsent(key, k -> new AtomicLong()).get());
    });
  }

  private static long pttl(String key) {
    return redis.<Long>withClient(j -> j.pttl(key));
  }

  private int loads(String key) {
    return loads.getOrDefault(key, new AtomicInteger()).get();
  }

  private void write(String key) {
    rows.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
  }

  @Test
  void invalidatingATagMissesEveryEntryCarryingItOnEveryInstanceAndNoOther() {
    instances(b -> b);
    String k1 = "query:chat:id:1";
    String k2 = "query:chat:id:2";
    String k3 = "query:messages:chat:1";
    String plain = "query:chat:id:9";
    for (int i = 0; i < 2; i++) {
      read(i, k1, "user:1", "org:9");
      read(i, k2, "user:2", "org:9");
      read(i, k3, "user:1");
      read(i, plain);
    }
    assertThat(List.of(loads(k1), loads(k2), loads(k3), loads(plain))).containsOnly(1);

    write(k1);
    write(k3);
    caches.get(0).invalidateTag("user:1");
    assertThat(read(1, k1, "user:1", "org:9").version()).as("k1 on the other instance")
        .isEqualTo(1);
    assertThat(read(1, k3, "user:1").version()).isEqualTo(1);
    assertThat(read(1, k2, "user:2", "org:9").version()).isZero();
    assertThat(read(0, plain).version()).isZero();
    assertThat(List.of(loads(k1), loads(k2), loads(k3), loads(plain)))
        .as("loads of k1, k2, k3 and the untagged entry").containsExactly(2, 1, 2, 1);
    assertThat(read(0, k1, "user:1", "org:9").version()).as("stored again, read on the first")
        .isEqualTo(1);
    assertThat(loads(k1)).isEqualTo(2);

    // A read that does not name the tags still checks the ones its entry carries.
    write(k2);
    caches.get(1).invalidateTag("org:9");
    assertThat(caches.get(0).get(k1, Row.class)).as("k1 carries org:9").isEmpty();
    assertThat(caches.get(0).get(k3, Row.class)).as("k3 does not").isPresent();
    assertThat(caches.get(0).getAll(List.of(k1, k2, k3), Row.class)).containsOnlyKeys(k3);
    assertThat(read(0, k2, "user:2", "org:9").version()).isEqualTo(1);

    // One key per invalidated tag, each expiring: nothing grows with the entries tagged.
    List<String> tagKeys = new ArrayList<>(redis.withClient(j -> j.keys("ratecache:tag:*")));
    assertThat(tagKeys).containsExactlyInAnyOrder("ratecache:tag:user:1", "ratecache:tag:org:9");
    for (String k : tagKeys) {
      assertThat(pttl(k)).as(k)
          .isBetween(Duration.ofDays(1).toMillis(), Duration.ofDays(1).plusHours(1).toMillis());
    }
  }

  @Test
  void aLoadThatATagInvalidationOvertookIsNotServedAfterIt() {
    instances(b -> b);
    String key = "query:chat:id:1";
    Row during = caches.get(0).tagged("chat:1").getOrLoad(key, TTL, Row.class, () -> {
      Row read = new Row(key, rows.computeIfAbsent(key, k -> new AtomicLong()).get());
      write(key); // a write and its invalidation on the other instance, while this load runs
      caches.get(1).invalidateTag("chat:1");
      return read;
    });
    assertThat(during.version()).isZero();
    for (int i = 0; i < 2; i++) {
      assertThat(read(i, key, "chat:1").version()).as("instance %d after the invalidation", i)
          .isEqualTo(1);
    }
    assertThat(loads(key)).as("the overtaken load's value was stored stale, read as a miss once")
        .isEqualTo(1);
  }

  @Test
  void nearCopiesOfATaggedEntryAreDroppedOnEveryInstance() {
    instances(b -> b.nearCache(Duration.ofMinutes(5)));
    String key = "query:chat:id:3";
    read(0, key, "chat:3");
    // The near cache serves once its event subscription is live (opened on first use).
    Await.until("the other instance serves its near copy", () -> {
      assertThat(read(1, key, "chat:3").version()).isZero();
      return caches.get(1).nearCacheHits() > 0;
    });
    write(key);
    caches.get(0).invalidateTag("chat:3");
    assertThat(read(0, key, "chat:3").version()).as("at once on the invalidating instance")
        .isEqualTo(1);
    // The other hears of it on the event channel: until it does, its copy may be served
    // (bounded by the near TTL, as for a key); this waits on delivery, not on time.
    Await.until("the other instance drops its copy", () -> read(1, key, "chat:3").version() == 1);
    assertThat(loads(key)).isEqualTo(2);
  }

  @Test
  void aTaggedEntryLivesAtMostTheTagRetention() {
    instances(b -> b.tagRetention(Duration.ofMinutes(10)).staleIfError(Duration.ofHours(1)));
    caches.get(0).tagged("user:5").put("query:user:id:5", new Row("r", 1), Duration.ofHours(2));
    assertThat(pttl("query:user:id:5"))
        .isBetween(Duration.ofMinutes(9).toMillis(), Duration.ofMinutes(10).toMillis());
    caches.get(0).tagged("user:6").put("query:user:id:6", new Row("r", 1), Duration.ofMinutes(5));
    assertThat(pttl("query:user:id:6")).as("its stale window is cut")
        .isBetween(Duration.ofMinutes(9).toMillis(), Duration.ofMinutes(10).toMillis());
    assertThat(caches.get(1).tagged("user:6").getOrLoad("query:user:id:6", TTL, Row.class,
        () -> new Row("loaded", 2)).version()).as("fresh for its TTL").isEqualTo(1);
    caches.get(0).invalidateTag("user:5");
    assertThat(pttl("ratecache:tag:user:5")).as("kept past the life")
        .isGreaterThan(Duration.ofMinutes(10).toMillis());
    assertThat(caches.get(1).get("query:user:id:5", Row.class)).isEmpty();
  }

  @Test
  void tagsFromClientInputAreBoundedAndTheirNamesSafe() {
    instances(b -> b);
    String hostile = "user:\"}, {\"@ratecache.gen\": \n" + "x".repeat(500);
    String key = "query:user:id:7";
    read(0, key, hostile, "plain:7");
    assertThat(redis.<String>withClient(j -> j.get(key))).as("an odd tag is stored as its hash")
        .doesNotContain("xxxx").contains("plain:7=0");
    write(key);
    caches.get(1).invalidateTag(hostile);
    assertThat(read(0, key, hostile, "plain:7").version()).isEqualTo(1);
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("ratecache:tag:*")))
        .allMatch(k -> k.length() < 40);
    String[] nine = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    assertThatThrownBy(() -> caches.get(0).tagged(nine))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 8");
    assertThatThrownBy(() -> caches.get(0).invalidateTag(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aTagInvalidationRedisRefusesIsKeptAndItsEntriesAreNotReadFromRedisMeanwhile() {
    instances(b -> b);
    String key = "query:chat:id:4";
    read(0, key, "chat:4");
    assertThat(read(1, key, "chat:4").version()).isZero();
    // Redis refuses writes (a replica of nowhere answers READONLY) but still serves reads.
    int nowhere;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      nowhere = s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    redis.withClient(j -> j.replicaof("127.0.0.1", nowhere));
    try {
      write(key);
      caches.get(0).invalidateTag("chat:4");
      assertThat(caches.get(0).stores().pendingInvalidations()).as("kept").isEqualTo(1);
      assertThat(read(0, key, "chat:4").version()).as("not served from Redis, which holds the old")
          .isEqualTo(1);
      assertThat(caches.get(0).get(key, Row.class)).as("nor by a read that does not name it")
          .map(Row::version).isNotEqualTo(java.util.Optional.of(0L));
    } finally {
      redis.withClient(j -> j.replicaofNoOne());
    }
    Await.until("the kept invalidation made", Duration.ofSeconds(60),
        () -> caches.get(0).stores().pendingInvalidations() == 0);
    assertThat(read(1, key, "chat:4").version()).as("the other instance, once it is made")
        .isEqualTo(1);
  }

  @Test
  void onTheMemoryFallbackATagInvalidationRemovesItsEntries() {
    instances(b -> b);
    redis.kill();
    QueryCache a = caches.get(0);
    Await.until("the outage noticed", () -> {
      a.get("query:chat:id:8", Row.class);
      return !connectors.get(0).isAvailable();
    });
    a.tagged("chat:8").put("query:chat:id:8", new Row("m", 1), TTL);
    a.tagged("chat:80").put("query:chat:id:80", new Row("m", 1), TTL);
    assertThat(a.get("query:chat:id:8", Row.class)).isPresent();
    a.invalidateTag("chat:8");
    assertThat(a.get("query:chat:id:8", Row.class)).isEmpty();
    assertThat(a.get("query:chat:id:80", Row.class)).isPresent();
  }
}
