package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.CacheStats;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A resharding under load: the slots of two clients' buckets and of forty cache entries move to
 * other masters, one key at a time, while two instances keep deciding and caching through them.
 * Clients meet {@code ASK} while a slot migrates and {@code MOVED} once it has moved; none of
 * it may fail a call, send a decision to the fallback, or break the limit's exactness. The same
 * holds when the slots move to a shard added under traffic, and back before it is removed.
 */
class ClusterReshardingIT {
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static final int LIMIT = 600;
  private static final String[] CLIENTS = {"alice", "bob"};
  private static final int THREADS = 8;

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void slotsMovingUnderTrafficFailNothingAndKeepTheLimitExact(RedisBucketProtocol protocol)
      throws Exception {
    underTraffic(protocol, (slots, betweenKeys) -> {
      int migrated = 0;
      for (int slot : slots) {
        RedisServer from = cluster.ownerOf(slot);
        RedisServer to = cluster.nodes().stream().filter(n -> n != from).findFirst()
            .orElseThrow();
        migrated += cluster.moveSlot(slot, to, betweenKeys);
        assertThat(cluster.ownerOf(slot)).isSameAs(to);
      }
      return migrated;
    });
  }

  /**
   * Scaling out and in again under traffic: a fourth master joins the cluster (no instance was
   * ever told of it), the slots of the clients' buckets and cache entries move to it key by key,
   * traffic runs on it, then they move back, the node is removed (forgotten by every other node)
   * and shut down, and traffic goes on without it.
   */
  @Test
  void aShardAddedTakesSlotsUnderTrafficAndIsRemovedAgain() throws Exception {
    underTraffic(RedisBucketProtocol.ONE_ROUND_TRIP, (slots, betweenKeys) -> {
      RedisServer added = cluster.addMaster();
      Map<Integer, RedisServer> owners = new LinkedHashMap<>();
      int migrated = 0;
      for (int slot : slots) {
        owners.put(slot, cluster.ownerOf(slot));
        migrated += cluster.moveSlot(slot, added, betweenKeys);
      }
      for (int i = 0; i < 20; i++) {
        betweenKeys.run(); // traffic on the new shard alone
      }
      for (String client : CLIENTS) {
        assertThat(added.<Boolean>withClient(j -> j.exists("rate_limit:reshard:app:" + client)))
            .as("%s's bucket is on the added shard", client).isTrue();
      }
      for (int slot : slots) {
        migrated += cluster.moveSlot(slot, owners.get(slot), betweenKeys);
      }
      cluster.removeMaster(added);
      for (int i = 0; i < 20; i++) {
        betweenKeys.run(); // and on the cluster without it
      }
      return migrated;
    });
  }

  /** A change of the slot map made while traffic runs: how many keys it migrated. */
  private interface Reshard {
    /**
     * @param slots the slots of the clients' buckets and cache entries, to move
     * @param betweenKeys lets some traffic run; call it between steps
     */
    int run(java.util.Set<Integer> slots, Runnable betweenKeys) throws Exception;
  }

  /**
   * Two instances decide for two clients and read and write forty cache entries in the slots of
   * those clients' buckets, from several threads, while {@code reshard} runs; nothing may fail,
   * go to the fallback or break the limit's exactness.
   */
  private void underTraffic(RedisBucketProtocol protocol, Reshard reshard) throws Exception {
    cluster.flushAll();
    resetErrorStats();
    MutableClock clock = MutableClock.startingNow(); // frozen: no refill, so exactly LIMIT pass
    List<AutoCloseable> resources = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<RateLimiter> limiters = new ArrayList<>();
      List<QueryCache> caches = new ArrayList<>();
      List<RedisConnector> connectors = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        RedisConnector connector = RedisConnector.create(TestRedis.settings(cluster).build());
        resources.add(0, connector);
        connectors.add(connector);
        RateLimiter limiter = RateLimiter.builder().connector(connector).clock(clock)
            .redisBuckets(protocol)
            .profile(RateLimitProfile.builder("reshard")
                .limit(Limit.parse(LIMIT + "/1h", "reshard")).prefix("/reshard").build())
            .build();
        resources.add(0, limiter);
        limiters.add(limiter);
        QueryCache cache = QueryCache.builder().connector(connector).build();
        resources.add(0, cache);
        caches.add(cache);
      }

      // The slots to move: those of each client's bucket; forty cache entries live there too.
      Map<Integer, List<String>> cacheKeysBySlot = new LinkedHashMap<>();
      for (String client : CLIENTS) {
        assertThat(limiters.get(0).tryAcquire("reshard", client).allowed()).isTrue();
        String bucketKey = "rate_limit:reshard:app:" + client;
        int slot = JedisClusterCRC16.getSlot(bucketKey);
        assertThat(cluster.ownerOf(slot).<Boolean>withClient(j -> j.exists(bucketKey)))
            .as("the bucket key is where this test expects it").isTrue();
        cacheKeysBySlot.put(slot, cacheKeysIn(slot, 20));
      }
      cacheKeysBySlot.forEach((slot, keys) -> keys.forEach(k -> caches.get(0).put(k, k)));

      // Traffic: decisions for both clients and cache reads and writes in the moving slots,
      // through both instances, until the slots have moved and both clients are at their limit.
      Map<String, LongAdder> admitted = new LinkedHashMap<>();
      for (String client : CLIENTS) {
        admitted.put(client, new LongAdder());
        admitted.get(client).increment(); // the first decision above
      }
      List<String> cacheKeys = cacheKeysBySlot.values().stream().flatMap(List::stream).toList();
      AtomicLong operations = new AtomicLong();
      AtomicBoolean moved = new AtomicBoolean();
      ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int thread = t;
        workers.add(pool.submit(() -> {
          for (long n = 0; ; n++) {
            String client = CLIENTS[(int) ((n + thread) % CLIENTS.length)];
            int instance = (int) ((n + thread / 2) % 2);
            RateLimitDecision d = limiters.get(instance).tryAcquire("reshard", client);
            if (d.allowed()) {
              admitted.get(client).increment();
            } else if (d.backend() != RateLimitDecision.Backend.REDIS) {
              wrong.add("a decision not taken on Redis: " + d);
            }
            String key = cacheKeys.get((int) ((n * THREADS + thread) % cacheKeys.size()));
            if (n % 4 == 0) {
              caches.get(instance).put(key, key);
            } else if (!caches.get(instance).get(key, String.class).orElse("").equals(key)) {
              wrong.add("cache read of " + key + " did not return its value");
            }
            operations.incrementAndGet();
            if (moved.get() && admitted.values().stream().allMatch(a -> a.sum() >= LIMIT)
                && n % 64 == 63) {
              return null;
            }
            if (!wrong.isEmpty()) {
              return null;
            }
          }
        }));
      }

      // Move the slots, one key at a time, letting traffic run between keys.
      int migrated = reshard.run(cacheKeysBySlot.keySet(),
          () -> awaitProgress(operations, 20, workers));
      moved.set(true);
      for (Future<?> w : workers) {
        w.get(120, TimeUnit.SECONDS);
      }

      assertThat(wrong).as("wrong results under resharding").isEmpty();
      assertThat(migrated).as("keys migrated one at a time").isGreaterThanOrEqualTo(42);
      for (String client : CLIENTS) {
        assertThat(admitted.get(client).sum()).as("admitted for %s", client).isEqualTo(LIMIT);
      }
      for (RateLimiter l : limiters) {
        RateLimitStats.ProfileStats s = l.stats().profiles().get("reshard");
        assertThat(s.fallback()).as("decisions sent to the fallback").isZero();
        assertThat(s.unavailable()).isZero();
      }
      for (QueryCache c : caches) {
        CacheStats.CategoryStats total = c.stats().total();
        assertThat(total.errors()).as("cache errors").isZero();
        assertThat(total.fallback()).as("cache calls on the fallback").isZero();
      }
      for (RedisConnector c : connectors) {
        // Counted under the health lock: exact now, where a listener hears a moment later.
        assertThat(c.health().snapshot().outages()).as("outages").isZero();
      }
      Map<String, Long> redirects = redirectReplies();
      assertThat(redirects.getOrDefault("ASK", 0L)).as("clients met ASK: %s", redirects)
          .isPositive();
      assertThat(redirects.getOrDefault("MOVED", 0L)).as("clients met MOVED: %s", redirects)
          .isPositive();
    } finally {
      pool.shutdownNow();
      for (AutoCloseable r : resources) {
        r.close();
      }
    }
  }

  /** Waits until the workers have done {@code n} more operations (or one of them stopped). */
  /**
   * A client new to the limiter whose bucket's slot moved after the instance learnt the slot map:
   * its first decision ({@code SET ... NX GET}) meets {@code MOVED}, is retried through the
   * cluster client and decided on Redis. (Built as a plain command, that retry failed with a
   * ClassCastException, and every new client on a moved slot was limited locally.)
   */
  @Test
  void aNewBucketOnASlotThatMovedIsDecidedOnRedis() throws Exception {
    cluster.flushAll();
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(cluster).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector)
            .redisBuckets(RedisBucketProtocol.ONE_ROUND_TRIP)
            .profile(RateLimitProfile.builder("moved").limit(Limit.parse("5/1m", "moved"))
                .prefix("/moved").build()).build()) {
      assertThat(limiter.tryAcquire("moved", "warm").backend())
          .as("the slot map is learnt").isEqualTo(RateLimitDecision.Backend.REDIS);
      String bucketKey = "rate_limit:moved:app:fresh";
      int slot = JedisClusterCRC16.getSlot(bucketKey);
      RedisServer from = cluster.ownerOf(slot);
      RedisServer to = cluster.nodes().stream().filter(RedisCluster::isMaster)
          .filter(n -> n != from).findFirst().orElseThrow();
      cluster.moveSlot(slot, to, () -> { });

      RateLimitDecision first = limiter.tryAcquire("moved", "fresh");
      assertThat(first.backend()).as("decided on Redis after MOVED").isEqualTo(
          RateLimitDecision.Backend.REDIS);
      assertThat(first.remaining()).isEqualTo(4);
      assertThat(to.<Boolean>withClient(j -> j.exists(bucketKey)))
          .as("the bucket is on the slot's new master").isTrue();
    }
  }

  private static void awaitProgress(AtomicLong operations, int n, List<Future<?>> workers) {
    long target = operations.get() + n;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (operations.get() < target) {
      if (workers.stream().anyMatch(Future::isDone)) {
        return; // a worker found something wrong or failed: the assertions will say what
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no traffic for 60 s while resharding");
      }
      Thread.onSpinWait();
    }
  }

  /** Cache keys of the documented {@code chat} namespace that hash to {@code slot}. */
  private static List<String> cacheKeysIn(int slot, int count) {
    List<String> keys = new ArrayList<>();
    for (long i = 0; keys.size() < count; i++) {
      String key = "query:chat:id:" + i;
      if (JedisClusterCRC16.getSlot(key) == slot) {
        keys.add(key);
      }
    }
    return keys;
  }

  private static void resetErrorStats() {
    for (RedisServer n : cluster.nodes()) {
      n.withClient(j -> j.configResetStat());
    }
  }

  /** {@code MOVED} and {@code ASK} replies the masters sent, from {@code INFO errorstats}. */
  private static Map<String, Long> redirectReplies() {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (RedisServer n : cluster.nodes()) {
      n.<String>withClient(j -> j.info("errorstats")).lines()
          .filter(l -> l.startsWith("errorstat_"))
          .forEach(l -> {
            String kind = l.substring("errorstat_".length(), l.indexOf(':'));
            long count = Long.parseLong(l.replaceAll(".*count=(\\d+).*", "$1"));
            counts.merge(kind, count, Long::sum);
          });
    }
    return counts;
  }
}
