package dev.ratecache.spring.cachetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.Jackson2Codec;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.spring.RatecacheCache;
import dev.ratecache.spring.RatecacheCacheManager;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Spring's cache abstraction ({@code @Cacheable}, {@code sync}, {@code @CachePut}, {@code
 * @CacheEvict}, null values) over {@link RatecacheCacheManager}, as Spring's own caches behave,
 * against a real redis-server: two "instances" (contexts with their own query cache and
 * connector) share it, and one of them keeps caching while it is killed.
 */
class RatecacheCacheIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  private final List<AnnotationConfigApplicationContext> contexts = new ArrayList<>();

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @AfterEach
  void close() {
    contexts.forEach(AnnotationConfigApplicationContext::close);
  }

  /** An application: its own query cache (and connector), the manager, the service. */
  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class App {
    static String instance = "a";

    @Bean(destroyMethod = "close")
    QueryCache queryCache() {
      return QueryCache.builder().redis(RedisSettings.builder().host("127.0.0.1")
          .port(redis.port()).password(redis.password()).clientName("spring-cache-" + instance)
          .connectTimeout(Duration.ofMillis(250)).socketTimeout(Duration.ofMillis(250))
          .probeInitial(Duration.ofMillis(20)).probeMax(Duration.ofMillis(200)).build())
          .codec(Jackson2Codec.standard()) // Boot 3.5's Jackson, which this module compiles on
          .loadWait(Duration.ofSeconds(30)).build(); // no near cache: exact across instances
    }

    @Bean
    CacheManager cacheManager(QueryCache queryCache) {
      return RatecacheCacheManager.builder(queryCache).ttl("users", Duration.ofMinutes(10))
          .allowedPackages(List.of("dev.ratecache.spring.cachetest")).build();
    }

    @Bean
    Catalog catalog() {
      return new Catalog();
    }
  }

  private AnnotationConfigApplicationContext app(String instance) {
    App.instance = instance;
    AnnotationConfigApplicationContext c = new AnnotationConfigApplicationContext(App.class);
    contexts.add(c);
    return c;
  }

  private static String stored(String key) {
    return redis.withClient(j -> j.get(key));
  }

  @Test
  void aCachedResultIsReadBackAsItsOwnTypeFromRedisWithTheCachesTtl() {
    Catalog catalog = app("a").getBean(Catalog.class);
    Catalog.User first = catalog.find("7");
    assertThat(catalog.find("7")).isEqualTo(first).isEqualTo(Catalog.user("7"));
    assertThat(catalog.loads()).isEqualTo(1);
    String json = stored("query:spring:users:7");
    assertThat(json).startsWith("{\"t\":\"dev.ratecache.spring.cachetest.Catalog$User\",\"v\":{")
        .contains("\"since\":\"2026-01-02T03:04:05Z\"");
    long ttl = redis.withClient(j -> j.pttl("query:spring:users:7"));
    assertThat(ttl).isBetween(590_000L, 600_000L);

    // Generic results come back with their element types, enums with bodies included.
    List<Catalog.User> group = catalog.group("g");
    Catalog other = app("b").getBean(Catalog.class); // read by another instance, from Redis
    assertThat(other.group("g")).isEqualTo(group).allSatisfy(
        u -> assertThat(u).isInstanceOf(Catalog.User.class));
    assertThat(other.seen("x")).isEqualTo(Map.of("x", Instant.parse("2026-03-04T05:06:07Z")));
    assertThat(catalog.seen("x")).isEqualTo(other.seen("x"));
    assertThat(other.find("7")).isEqualTo(first);
    assertThat(other.loads()).as("every read of b a hit on a's entries").isEqualTo(1);
  }

  @Test
  void nullResultsAreCachedAsSpringsCachesCacheThem() {
    AnnotationConfigApplicationContext c = app("a");
    Catalog catalog = c.getBean(Catalog.class);
    assertThat(catalog.find("none")).isNull();
    assertThat(catalog.find("none")).isNull();
    assertThat(catalog.loads()).isEqualTo(1);
    Cache users = c.getBean(CacheManager.class).getCache("users");
    assertThat(users.get("none")).isNotNull().extracting(Cache.ValueWrapper::get).isNull();
    assertThat(users.get("absent")).isNull();

    RatecacheCache strict = (RatecacheCache) RatecacheCacheManager
        .builder(c.getBean(QueryCache.class)).allowNullValues(false).build().getCache("strict");
    assertThatThrownBy(() -> strict.put("k", null)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("null");
    assertThat(strict.get("k")).isNull();
  }

  @Test
  void syncLoadsOncePerKeyForConcurrentCallersAndSharesTheFailure() throws Exception {
    Catalog catalog = app("a").getBean(Catalog.class);
    CountDownLatch release = new CountDownLatch(1);
    catalog.holdLoadsUntil(release);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Thread> callers = new ArrayList<>();
    try {
      List<Future<Catalog.User>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> {
          synchronized (callers) {
            callers.add(Thread.currentThread());
          }
          return catalog.findSync("s");
        }));
      }
      // Every caller is parked: the one loading on the latch, the rest on its load.
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline) {
        synchronized (callers) {
          if (callers.size() == 8 && callers.stream().allMatch(t ->
              t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING)) {
            break;
          }
        }
        Thread.onSpinWait();
      }
      assertThat(catalog.loads()).isEqualTo(1);
      release.countDown();
      for (Future<Catalog.User> r : results) {
        assertThat(r.get()).isEqualTo(Catalog.user("s"));
      }
      assertThat(catalog.loads()).as("one load for 8 callers").isEqualTo(1);
    } finally {
      release.countDown();
      pool.shutdownNow();
    }

    // The method's own exception reaches its caller (Spring unwraps the cache's), and through
    // the Cache API it is Spring's ValueRetrievalException; a failure is not cached.
    assertThatThrownBy(() -> catalog.failing("f")).isInstanceOf(java.io.IOException.class)
        .hasMessage("database down");
    Cache users = contexts.get(0).getBean(CacheManager.class).getCache("users");
    assertThatThrownBy(() -> users.get("f", () -> {
      throw new java.io.IOException("still down");
    })).isInstanceOf(Cache.ValueRetrievalException.class)
        .hasRootCauseInstanceOf(java.io.IOException.class);
    assertThat(stored("query:spring:users:f")).as("a failure is not cached").isNull();
    assertThat(users.get("f", () -> Catalog.user("f"))).isEqualTo(Catalog.user("f"));
    assertThat(users.get("f", Catalog.User.class)).isEqualTo(Catalog.user("f"));
    assertThatThrownBy(() -> users.get("f", String.class))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void putAndEvictAreSeenByEveryInstanceAndClearingIsOneGeneration() {
    Catalog a = app("a").getBean(Catalog.class);
    Catalog b = app("b").getBean(Catalog.class);
    a.find("1");
    a.find("2");
    assertThat(b.find("1")).isEqualTo(Catalog.user("1")); // from a's entry
    assertThat(b.loads()).isZero();

    Catalog.User renamed = new Catalog.User("1", "Renamed", Instant.EPOCH, Catalog.Tier.PRO);
    a.save(renamed);
    assertThat(b.find("1")).as("b after a's @CachePut").isEqualTo(renamed);

    a.evict("1");
    assertThat(b.find("1")).as("b after a's @CacheEvict").isEqualTo(Catalog.user("1"));
    assertThat(b.loads()).isEqualTo(1);

    long keysBefore = redis.withClient(j -> j.dbSize());
    a.evictAll(); // allEntries: Cache.clear(), O(1)
    long keysAfter = redis.withClient(j -> j.dbSize());
    assertThat(keysAfter).as("no key deleted one by one")
        .isGreaterThanOrEqualTo(keysBefore);
    assertThat(b.find("2")).isEqualTo(Catalog.user("2"));
    assertThat(b.find("1")).isEqualTo(Catalog.user("1"));
    assertThat(b.loads()).as("both reloaded after the clear").isEqualTo(3);
  }

  @Test
  void aValueThatCannotBeReadBackIsNotStoredAndDoesNotLeaveTheOldOne() {
    Catalog catalog = app("a").getBean(Catalog.class);
    catalog.find("9");
    assertThat(stored("query:spring:users:9")).isNotNull();
    // A class outside the allowed packages: returned, not cached, and the old entry is gone.
    StringBuilder notAllowed = new StringBuilder("x");
    assertThat(catalog.saveRaw("9", notAllowed)).isSameAs(notAllowed);
    assertThat(stored("query:spring:users:9")).doesNotStartWith("{\"t\"");
    assertThat(catalog.find("9")).isEqualTo(Catalog.user("9"));
    assertThat(catalog.loads()).isEqualTo(2);
    // Elements of different classes could not come back as what they were: not cached.
    assertThat(catalog.mixed("m")).containsExactly("m", 1);
    assertThat(catalog.mixed("m")).containsExactly("m", 1);
    assertThat(catalog.loads()).isEqualTo(4);
  }

  @Test
  void anEntryNamingAClassOutsideTheAllowedPackagesIsAMissAndTheClassIsNeverLoaded() {
    System.clearProperty("ratecache.test.gadget.loaded");
    Catalog catalog = app("a").getBean(Catalog.class);
    redis.withClient(j -> j.set("query:spring:users:g",
        "{\"t\":\"dev.ratecache.spring.gadget.Gadget\",\"v\":{\"name\":\"x\"}}"));
    redis.withClient(j -> j.set("query:spring:users:h", "not json at all"));
    redis.withClient(j -> j.set("query:spring:users:i",
        "{\"t\":\"java.util.List<dev.ratecache.spring.gadget.Gadget>\",\"v\":[{}]}"));
    assertThat(catalog.find("g")).isEqualTo(Catalog.user("g"));
    assertThat(catalog.find("h")).isEqualTo(Catalog.user("h"));
    assertThat(catalog.find("i")).isEqualTo(Catalog.user("i"));
    assertThat(catalog.loads()).isEqualTo(3);
    assertThat(System.getProperty("ratecache.test.gadget.loaded")).isNull();
    assertThat(catalog.find("g")).isEqualTo(Catalog.user("g"));
    assertThat(catalog.loads()).as("the reloaded value replaced the foreign entry").isEqualTo(3);
  }

  @Test
  void severalArgumentsKeyOneEntryEachAndHostileKeysStayInTheirCache() {
    AnnotationConfigApplicationContext c = app("a");
    Catalog catalog = c.getBean(Catalog.class);
    assertThat(catalog.pair("a,b", "c")).isEqualTo("a,b|c");
    assertThat(catalog.pair("a", "b,c")).isEqualTo("a|b,c");
    assertThat(catalog.pair("a,b", "c")).isEqualTo("a,b|c");
    assertThat(catalog.loads()).isEqualTo(2);
    assertThat(catalog.find("*")).isEqualTo(Catalog.user("*"));
    java.util.Set<String> keys = redis.withClient(j -> j.keys("query:spring:users:*"));
    assertThat(keys).containsExactly("query:spring:users:%2A");
    assertThatThrownBy(() -> c.getBean(CacheManager.class).getCache("users").put(new Object(), 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("toString");
  }

  @Test
  void whileRedisIsDownTheCacheKeepsServingFromMemoryAndNothingFailsThenRedisAgain() {
    Catalog catalog = app("a").getBean(Catalog.class);
    catalog.find("1");
    redis.kill();
    assertThat(catalog.find("d")).isEqualTo(Catalog.user("d"));
    assertThat(catalog.find("d")).isEqualTo(Catalog.user("d"));
    assertThat(catalog.loads()).as("cached in memory while Redis is down").isEqualTo(2);
    catalog.evictAll();
    assertThat(catalog.find("d")).isEqualTo(Catalog.user("d"));
    assertThat(catalog.loads()).isEqualTo(3);
    redis.start();
    QueryCache q = contexts.get(0).getBean(QueryCache.class);
    Await.until("Redis serves again", () -> q.connector().isAvailable());
    catalog.find("r");
    assertThat(stored("query:spring:users:r")).as("on Redis again").isNotNull();
  }
}
