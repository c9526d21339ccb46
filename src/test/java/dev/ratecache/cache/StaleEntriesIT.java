package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Stale-while-revalidate, stale-if-error and one load per fleet, on two instances (separate
 * connectors) sharing a real redis-server, with the instances' clock injected and advanced: a
 * stale entry is served at once and refreshed once for the fleet; never served after an
 * invalidation; a failing load is answered stale within stale-if-error and fails past it; 16
 * callers on two instances missing one key cause exactly one load.
 */
class StaleEntriesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final Duration TTL = Duration.ofSeconds(60);

  private final MutableClock clock = MutableClock.startingNow();
  private final List<RedisConnector> connectors = new ArrayList<>();
  private final List<QueryCache> caches = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(16);
  /** The database: the row's version, and how many loads read it. */
  private final AtomicLong version = new AtomicLong(1);
  private final AtomicInteger loads = new AtomicInteger();
  /** Holds loads while the test looks at what callers are served meanwhile. */
  private volatile CountDownLatch gate = new CountDownLatch(0);

  public record Row(long version) {}

  @BeforeEach
  void start() {
    redis.start();
    redis.flushAll();
    for (int i = 0; i < 2; i++) {
      RedisConnector c = RedisConnector.create(RedisSettings.fromUrl(redis.url()));
      connectors.add(c);
      caches.add(QueryCache.builder().connector(c).clock(clock)
          .staleWhileRevalidate(Duration.ofSeconds(30)).staleIfError(Duration.ofMinutes(5))
          .loadWait(Duration.ofSeconds(20)).build());
    }
  }

  @AfterEach
  void stop() {
    pool.shutdownNow();
    caches.forEach(QueryCache::close);
    connectors.forEach(RedisConnector::close);
  }

  private Row read(int instance, String key) {
    return caches.get(instance).getOrLoad(key, TTL, Row.class, () -> {
      loads.incrementAndGet();
      gate.await(30, TimeUnit.SECONDS);
      return new Row(version.get());
    });
  }

  @Test
  void aStaleEntryIsServedAtOnceAndRefreshedOnceForTheFleet() {
    String key = "query:user:id:1";
    assertThat(read(0, key).version()).isEqualTo(1);
    assertThat(read(1, key).version()).as("a hit on the other instance").isEqualTo(1);
    assertThat(loads).hasValue(1);

    version.set(2); // the row changed without an invalidation: only the TTL brings it
    clock.advance(TTL.plusSeconds(1)); // stale, within stale-while-revalidate
    gate = new CountDownLatch(1); // the refresh runs until the test lets it finish
    assertThat(read(0, key).version()).as("served stale at once").isEqualTo(1);
    assertThat(read(1, key).version()).as("served stale at once").isEqualTo(1);
    Await.until("the refresh under way", () -> loads.get() == 2);
    gate.countDown();
    Await.until("the refresh stored the new row", () -> caches.get(1).get(key, Row.class)
        .map(Row::version).orElse(0L) == 2);
    assertThat(loads).as("one refresh for the fleet").hasValue(2);
    assertThat(read(0, key).version()).as("fresh again").isEqualTo(2);
    assertThat(caches.get(0).staleServed(QueryCache.StaleReason.REVALIDATING)
        + caches.get(1).staleServed(QueryCache.StaleReason.REVALIDATING)).isEqualTo(2);

    clock.advance(TTL.plusSeconds(31)); // past both TTL and stale-while-revalidate
    version.set(3);
    assertThat(read(1, key).version()).as("too stale to serve: loaded").isEqualTo(3);
  }

  @Test
  void anInvalidatedEntryIsNeverServedStale() {
    String key = "query:user:id:2";
    read(0, key);
    clock.advance(TTL.plusSeconds(1));
    version.set(2);
    caches.get(1).invalidate(key);
    assertThat(read(0, key).version()).as("invalidated on the other instance").isEqualTo(2);
    read(0, "query:user:id:3");
    clock.advance(TTL.plusSeconds(1));
    version.set(3);
    caches.get(1).invalidateMatching("query:user:*");
    assertThat(read(0, "query:user:id:3").version()).as("its namespace invalidated")
        .isEqualTo(3);
    assertThat(caches.get(0).staleServed(QueryCache.StaleReason.REVALIDATING)).isZero();
  }

  @Test
  void aFailingLoadIsAnsweredStaleWithinStaleIfErrorAndFailsPastIt() {
    String key = "query:chat:id:1";
    read(0, key);
    QueryCache.Loader<Row> down = () -> {
      loads.incrementAndGet();
      throw new IllegalStateException("database down");
    };
    clock.advance(TTL.plusSeconds(40)); // past stale-while-revalidate, within stale-if-error
    assertThat(caches.get(1).getOrLoad(key, TTL, Row.class, down).version())
        .as("the last good value").isEqualTo(1);
    assertThat(caches.get(1).staleServed(QueryCache.StaleReason.ERROR)).isEqualTo(1);
    assertThat(loads).as("the load was tried").hasValue(2);
    clock.advance(Duration.ofMinutes(5));
    assertThatThrownBy(() -> caches.get(1).getOrLoad(key, TTL, Row.class, down))
        .as("past stale-if-error: the failure").hasMessageContaining("database down");
  }

  @Test
  void sixteenCallersOnTwoInstancesMissingOneKeyCauseOneLoad() throws Exception {
    String key = "query:messages:id:1";
    CountDownLatch release = new CountDownLatch(1);
    List<Future<Row>> rows = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      QueryCache cache = caches.get(i % 2);
      rows.add(pool.submit(() -> cache.getOrLoad(key, TTL, Row.class, () -> {
        loads.incrementAndGet();
        release.await(30, TimeUnit.SECONDS);
        return new Row(version.get());
      })));
    }
    // One load holds the lease; the other instance's first caller waits for its value, and
    // every other caller waits for its own instance's first.
    Await.until("one load, one instance waiting for it, 14 callers for their instance's",
        () -> loads.get() == 1 && caches.get(0).fleetWaits() + caches.get(1).fleetWaits() == 1
            && Followers.waiting() == 14);
    release.countDown();
    for (Future<Row> r : rows) {
      assertThat(r.get(30, TimeUnit.SECONDS).version()).isEqualTo(1);
    }
    assertThat(loads).as("loads for 16 callers on two instances").hasValue(1);
    java.util.Set<String> leases = redis.withClient(j -> j.keys("ratecache:lease:*"));
    assertThat(leases).as("the lease given back").isEmpty();
  }
}
