package dev.ratecache.cache;

import dev.ratecache.json.TypeToken;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.ManualScheduler;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** QueryCache against a real redis-server, including an outage. */
class QueryCacheIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  record Row(long id, String name, Instant createdAt, LocalDate day) {}

  private final MutableClock clock = MutableClock.startingNow();
  /** The connector's probe and health listeners run on this virtual time, never on their own. */
  private final ManualScheduler time = new ManualScheduler(clock);
  private RedisConnector connector;
  private QueryCache cache;

  @BeforeEach
  void setUp() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    connector = RedisConnector.create(TestRedis.settings(redis).build(), clock, time);
    cache = QueryCache.builder().connector(connector).clock(clock).build();
  }

  /**
   * Runs the background probe on virtual time until it finds the restarted server; the health
   * listeners (which empty the memory store) have run when this returns.
   */
  private void awaitRedisBack() {
    Await.until("the probe finds Redis back", () -> {
      time.advance(time.nextDelay() == null ? Duration.ZERO : time.nextDelay());
      return connector.isAvailable();
    });
    time.runDue();
  }

  @AfterEach
  void tearDown() {
    cache.close();
    connector.close();
  }

  /**
   * A bucket key invalidated through the cache (an operator resetting a client) is removed
   * outright: a tombstone there made the client's decisions fail to the fallback until it
   * expired.
   */
  @Test
  void invalidatingABucketKeyRemovesItAndTheClientIsDecidedOnRedisAfresh() {
    try (dev.ratecache.ratelimit.RateLimiter limiter = dev.ratecache.ratelimit.RateLimiter
        .builder().connector(connector).profile(dev.ratecache.ratelimit.RateLimitProfile
            .builder("login").limit(dev.ratecache.ratelimit.Limit.parse("2/1h", "login"))
            .prefix("/login").build()).build()) {
      limiter.tryAcquire("login", "ip:203.0.113.7");
      limiter.tryAcquire("login", "ip:203.0.113.7");
      dev.ratecache.ratelimit.RateLimitDecision limited =
          limiter.tryAcquire("login", "ip:203.0.113.7");
      assertThat(limited.allowed()).isFalse();
      String bucket = CacheKeys.rateLimit("login", limited.clientKey());
      assertThat(redis.<Boolean>withClient(j -> j.exists(bucket))).isTrue();

      assertThat(cache.invalidate(bucket)).as("the bucket was there").isTrue();
      assertThat(redis.<Boolean>withClient(j -> j.exists(bucket)))
          .as("removed outright, no tombstone").isFalse();
      Await.until("the limiter hears of the removal", () -> {
        dev.ratecache.ratelimit.RateLimitDecision d =
            limiter.tryAcquire("login", "ip:203.0.113.7");
        return d.allowed() && d.backend() == dev.ratecache.ratelimit.RateLimitDecision.Backend.REDIS;
      });
      dev.ratecache.ratelimit.RateLimitDecision next = limiter.tryAcquire("login",
          "ip:203.0.113.7");
      assertThat(next.backend()).isEqualTo(dev.ratecache.ratelimit.RateLimitDecision.Backend.REDIS);
      assertThat(next.remaining()).as("a fresh bucket, one token taken before").isZero();
    }
  }

  @Test
  void recordsJavaTimeAndGenericListsRoundTripAsJsonInRedis() {
    Row row = new Row(1, "alice", Instant.parse("2026-11-25T10:15:30Z"), LocalDate.of(2026, 11, 25));
    cache.put("query:user:email:alice", row, Duration.ofSeconds(300));
    assertThat(cache.get("query:user:email:alice", Row.class)).contains(row);
    assertThat(redis.<String>withClient(j -> j.get("query:user:email:alice")))
        .isEqualTo("{\"id\":1,\"name\":\"alice\",\"createdAt\":\"2026-11-25T10:15:30Z\","
            + "\"day\":\"2026-11-25\"}");

    List<Row> rows = List.of(row, new Row(2, "bob", row.createdAt(), row.day()));
    long written = System.nanoTime();
    cache.put("query:chat:user:1", rows); // category TTL: chat, 180 s
    assertThat(cache.get("query:chat:user:1", new TypeToken<List<Row>>() {})).contains(rows);
    long ttl = redis.<Long>withClient(j -> j.pttl("query:chat:user:1"));
    // What is left of 180 s: less by no more than the time since the write, however slow.
    assertThat(ttl).isBetween(180_000L - millisSince(written), 180_000L);
  }

  /**
   * The raw JSON API (for bridges that type values themselves, such as the starter's Spring
   * CacheManager): stored as given, read as stored, one load, and an invalidation during a load
   * keeps its value out.
   */
  @Test
  void jsonTextIsStoredAsGivenAndLoadedOnceAndAnInvalidationDuringItsLoadWins() {
    cache.putJson("query:raw:a", "{\"t\":\"x\",\"v\":[1,2]}", Duration.ofSeconds(30));
    String raw = redis.withClient(j -> j.get("query:raw:a"));
    assertThat(raw).isEqualTo("{\"t\":\"x\",\"v\":[1,2]}");
    assertThat(cache.getJson("query:raw:a")).contains("{\"t\":\"x\",\"v\":[1,2]}");
    assertThat(cache.getJson("query:raw:none")).isEmpty();
    AtomicInteger loads = new AtomicInteger();
    assertThat(cache.getOrLoadJson("query:raw:b", Duration.ofSeconds(30), () -> {
      loads.incrementAndGet();
      return "[3]";
    })).isEqualTo("[3]");
    assertThat(cache.getOrLoadJson("query:raw:b", Duration.ofSeconds(30), () -> "[4]"))
        .isEqualTo("[3]");
    assertThat(loads).hasValue(1);
    assertThat(cache.getOrLoadJson("query:raw:c", Duration.ofSeconds(30), () -> {
      cache.invalidate("query:raw:c"); // a write while the load runs
      return "[5]";
    })).isEqualTo("[5]");
    assertThat(cache.getJson("query:raw:c")).as("the loaded text is older than the write").isEmpty();
    assertThatThrownBy(() -> cache.putJson("query:raw:d", null, Duration.ofSeconds(1)))
        .isInstanceOf(NullPointerException.class);
  }

  /**
   * TTL jitter: every entry's TTL falls within the configured percent below the TTL asked for,
   * spread so that entries written together do not expire together (a batch in groups); none
   * without jitter; a percent above 50 fails, naming the setting.
   */
  @Test
  void ttlJitterSpreadsExpiryWithinItsPercentAndNeverLengthensIt() {
    try (QueryCache jittered = QueryCache.builder().connector(connector).ttlJitter(20).build()) {
      Map<String, Integer> batch = new java.util.LinkedHashMap<>();
      for (int i = 0; i < 200; i++) {
        batch.put("query:jitter:batch:" + i, i);
        jittered.getOrLoad("query:jitter:load:" + i, Duration.ofSeconds(100), Integer.class,
            () -> 1);
      }
      jittered.putAll(batch, Duration.ofSeconds(100));
      for (String kind : List.of("batch", "load")) {
        List<Long> ttls = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
          String key = "query:jitter:" + kind + ":" + i;
          ttls.add(redis.withClient(j -> j.pttl(key)));
        }
        assertThat(ttls).as(kind).allSatisfy(t -> assertThat(t).isBetween(79_000L, 100_000L));
        long distinctSeconds = ttls.stream().map(t -> t / 1000).distinct().count();
        assertThat(distinctSeconds).as(kind + ": spread").isGreaterThanOrEqualTo(3);
      }
    }
    cache.put("query:jitter:none", 1, Duration.ofSeconds(100));
    long exact = redis.withClient(j -> j.pttl("query:jitter:none"));
    assertThat(exact).as("no jitter by default").isBetween(99_000L, 100_000L);
    assertThatThrownBy(() -> QueryCache.builder().ttlJitter(51))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> QueryCache.builder().connector(connector)
        .environment(n -> n.equals(QueryCache.TTL_JITTER_SETTING) ? "60" : null).build())
        .isInstanceOf(dev.ratecache.ConfigurationException.class)
        .hasMessageContaining("CACHE_TTL_JITTER_PERCENT");
  }

  @Test
  void aValueOfTheWrongShapeIsAMissNotAnError() {
    redis.withClient(j -> j.set("query:user:email:x", "not json"));
    assertThat(cache.get("query:user:email:x", Row.class)).isEmpty();
    CacheStats.CategoryStats user = cache.stats().categories().get("user");
    assertThat(user.misses()).isEqualTo(1);
    assertThat(user.errors()).isEqualTo(1);
    assertThat(user.hits()).isZero();
  }

  @Test
  void getOrLoadRunsOneLoadPerKeyWhileOthersWait() throws Exception {
    AtomicInteger loads = new AtomicInteger();
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<Row>> results = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        results.add(pool.submit(() -> cache.getOrLoad("query:user:email:slow",
            Duration.ofMinutes(5), Row.class, () -> {
              loads.incrementAndGet();
              release.await(5, TimeUnit.SECONDS);
              return new Row(9, "slow", Instant.EPOCH, LocalDate.EPOCH);
            })));
      }
      Thread.sleep(100); // let every caller reach the cache
      release.countDown();
      for (Future<Row> f : results) {
        assertThat(f.get().name()).isEqualTo("slow");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(loads.get()).isEqualTo(1);
    assertThat(cache.getOrLoad("query:user:email:slow", Row.class, () -> {
      throw new AssertionError("must be cached");
    }).id()).isEqualTo(9);
  }

  @Test
  void loaderFailuresReachTheCallerAndAreNotCached() {
    assertThatThrownBy(() -> cache.getOrLoad("query:user:email:bad", Row.class, () -> {
      throw new IOException("database down");
    })).isInstanceOf(QueryCache.LoadException.class).hasRootCauseMessage("database down");
    assertThatThrownBy(() -> cache.getOrLoad("query:user:email:bad", Row.class, () -> {
      throw new IllegalStateException("still down");
    })).isInstanceOf(IllegalStateException.class);
    assertThat(cache.getOrLoad("query:user:email:bad", Row.class, () -> null)).isNull();
    assertThat(redis.<Boolean>withClient(j -> j.exists("query:user:email:bad"))).isFalse();
  }

  @Test
  void batchOperationsRoundTripAThousandKeys() {
    Map<String, Row> entries = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 1000; i++) {
      entries.put(DefaultKeyScheme.chatById(String.valueOf(i)), new Row(i, "c" + i, Instant.EPOCH,
          LocalDate.EPOCH));
    }
    cache.putAll(entries, Duration.ofSeconds(180));
    Map<String, Row> found = cache.getAll(entries.keySet(), Row.class);
    assertThat(found).isEqualTo(entries);
    assertThat(cache.stats().categories().get("chat").hits()).isEqualTo(1000);
  }

  @Test
  void aPatternInvalidationMissesExactlyTheMatchesWithoutScanningTheKeyspace() {
    // 200,000 unrelated keys, made by the server itself.
    redis.withClient(j -> j.sendCommand(() -> "DEBUG".getBytes(), "POPULATE", "200000",
        "other"));
    Map<String, String> users = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 5000; i++) {
      users.put(DefaultKeyScheme.userByEmail("u" + i + "@example.com"), "{}");
    }
    cache.putAll(users, Duration.ofMinutes(5));
    cache.put(DefaultKeyScheme.chatById("1"), "{}", Duration.ofMinutes(5));
    long scans = redis.commandCalls("scan");
    long calls = redis.commandCalls("eval");

    cache.invalidateMatching(DefaultKeyScheme.USER_PATTERN);

    assertThat(redis.commandCalls("scan")).as("SCANs").isEqualTo(scans);
    assertThat(redis.commandCalls("eval")).as("one increment (one script)").isEqualTo(calls + 1);
    assertThat(cache.getAll(users.keySet(), String.class)).as("every user entry misses")
        .isEmpty();
    assertThat(cache.get(DefaultKeyScheme.userByEmail("u7@example.com"), String.class)).isEmpty();
    assertThat(cache.get(DefaultKeyScheme.chatById("1"), String.class)).as("another namespace")
        .contains("{}");
    assertThat(redis.<String>withClient(j -> j.get("other:7"))).isNotNull();
    // Written after the invalidation: served again.
    cache.put(DefaultKeyScheme.userByEmail("u7@example.com"), "new", Duration.ofMinutes(5));
    assertThat(cache.get(DefaultKeyScheme.userByEmail("u7@example.com"), String.class)).contains("new");
  }

  @Test
  void whileRedisIsDownTheMemoryStoreServesAndHonoursTtlThenRedisIsUsedAgain() throws Exception {
    cache.put(DefaultKeyScheme.userByEmail("a@x"), "in-redis", Duration.ofMinutes(5));
    cache.put(DefaultKeyScheme.chatById("before"), "written-before", Duration.ofMinutes(5));
    redis.kill();
    // Reads and writes keep working: a miss, then memory.
    for (int i = 0; i < 3; i++) {
      assertThat(cache.get(DefaultKeyScheme.userByEmail("a@x"), String.class)).isEmpty();
    }
    assertThat(connector.isAvailable()).isFalse();
    String loaded = cache.getOrLoad(DefaultKeyScheme.documentStats("7"), String.class, () -> "stats");
    assertThat(loaded).isEqualTo("stats");
    assertThat(cache.get(DefaultKeyScheme.documentStats("7"), String.class)).contains("stats");
    assertThat(cache.ttlMillis(DefaultKeyScheme.documentStats("7"))).isEqualTo(30_000);

    clock.advance(Duration.ofSeconds(31)); // document stats live 30 s
    assertThat(cache.get(DefaultKeyScheme.documentStats("7"), String.class)).isEmpty();

    cache.put(DefaultKeyScheme.chatById("1"), "outage-value", Duration.ofMinutes(5));
    assertThat(cache.invalidateMatching(DefaultKeyScheme.CHAT_PATTERN)).isEqualTo(1);
    assertThat(cache.stats().total().fallback()).isPositive();

    redis.restart();
    awaitRedisBack();
    cache.put(DefaultKeyScheme.chatById("2"), "back", Duration.ofMinutes(1));
    assertThat(redis.<String>withClient(j -> j.get(DefaultKeyScheme.chatById("2"))))
        .as("in Redis, stamped with the chat namespace's new generation")
        .endsWith(",\"value\":\"back\"}");
    assertThat(cache.get(DefaultKeyScheme.chatById("2"), String.class)).contains("back");
    assertThat(cache.get(DefaultKeyScheme.chatById("before"), String.class))
        .as("invalidated during the outage: the increment was made when Redis came back")
        .isEmpty();
  }

  @Test
  void aHungLoaderDelaysOtherCallersByTheLoadWaitAtMost() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch loading = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (QueryCache waiting = QueryCache.builder().connector(connector)
        .loadWait(Duration.ofMillis(200)).build()) {
      // Measured from before the hung load begins: a later caller waits out what is left of
      // its 200 ms, which began after this instant, so not before start + 200 ms.
      long start = System.nanoTime();
      Future<String> hung = pool.submit(() -> waiting.getOrLoad("query:user:email:hung",
          String.class, () -> {
            loading.countDown();
            release.await();
            return "late";
          }));
      assertThat(loading.await(10, TimeUnit.SECONDS)).isTrue();
      String mine = waiting.getOrLoad("query:user:email:hung", String.class, () -> "mine");
      assertThat(mine).as("loaded for itself once the wait ran out").isEqualTo("mine");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(200));
      assertThat(hung.isDone()).isFalse();
      release.countDown();
      assertThat(hung.get(10, TimeUnit.SECONDS)).isEqualTo("late");
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void memoryWrittenDuringAnOutageDoesNotOutliveIt() throws Exception {
    redis.kill();
    for (int i = 0; i < 3; i++) {
      cache.get("query:user:email:trip", String.class);
    }
    cache.put(DefaultKeyScheme.userByEmail("b@x"), "stale-from-outage", Duration.ofMinutes(5));
    redis.restart();
    awaitRedisBack();
    // Down again later: the entry written in the first outage must not come back.
    redis.kill();
    for (int i = 0; i < 3; i++) {
      cache.get("query:user:email:trip", String.class);
    }
    assertThat(connector.isAvailable()).isFalse();
    assertThat(cache.get(DefaultKeyScheme.userByEmail("b@x"), String.class)).isEmpty();
  }

  /** Whole milliseconds since {@code nanoTime}, rounded up. */
  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000 + 1;
  }
}
