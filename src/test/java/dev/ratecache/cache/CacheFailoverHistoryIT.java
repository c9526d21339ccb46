package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The cache's promise across a Cluster failover, checked over a recorded history: three masters
 * with a replica each, {@value #INSTANCES} instances of {@value #THREADS} threads reading
 * through {@code getOrLoad}, writing rows and invalidating their keys ({@code invalidate}) or
 * their namespace ({@code invalidateMatching}), while a master is killed (one holding some of
 * the keys, the first seed among them) or fails over as planned maintenance does.
 *
 * <p>While a master's keys are on the fallback, each instance answers them from its own memory,
 * so what one instance invalidates another may still serve (documented); what the checker
 * demands over the whole history: (1) on one instance, no read that begins after a write ended
 * returns an older version, fault or not; (2) across instances, the same for the reads and writes
 * that ran wholly on Redis (no call on their instance went off Redis meanwhile: {@code
 * degradedCalls}), before, during and after the fault, with enough such reads both before the
 * fault and after it that neither side is left unchecked. (A cluster just restored from the
 * previous case can still answer {@code CLUSTERDOWN} for a moment after every node said ok; the
 * calls that met it ran off Redis, and are left out as the fault's are); (3) once the load stops, every key reads its current row on every instance, so every
 * invalidation made during the window was honoured; (4) each namespace's generation is at least
 * the number of pattern invalidations made of it before the fault (acknowledged by a replica, so
 * the promoted one has them), plus one if any was made after it. The kill cases must have kept
 * invalidations for later (the path under test ran). Invalidations wait for the replica's
 * acknowledgement ({@code REDIS_WAIT_REPLICAS=1}), so the promoted replica has every one.
 */
class CacheFailoverHistoryIT {
  @RegisterExtension
  static final RedisCluster cluster = RedisCluster.withReplicas();

  private static final int INSTANCES = 2;
  private static final int THREADS = 3;
  private static final List<String> NAMESPACES = List.of("query:user:", "query:chat:");
  private static final int KEYS_PER_NAMESPACE = 8;

  /** What a load read from the database: the row's version. */
  public record Loaded(long version) {}


  private final List<RedisConnector> connectors = new ArrayList<>();
  private final List<QueryCache> caches = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS);
  private final AtomicBoolean running = new AtomicBoolean(true);

  @BeforeEach
  void start() {
    cluster.restoreOriginalMasters(Duration.ofSeconds(30)); // what an earlier run killed
    cluster.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    caches.forEach(QueryCache::close);
    connectors.forEach(RedisConnector::close);
  }

  static Stream<Arguments> faults() {
    Consumer<RedisCluster> firstSeed = c -> c.originalMasters().get(0).kill();
    Consumer<RedisCluster> another = c -> c.originalMasters().get(2).kill();
    Consumer<RedisCluster> planned = c -> c.failover(c.nodes().stream()
        .filter(n -> !RedisCluster.isMaster(n)).findFirst().orElseThrow());
    return Stream.of(Arguments.of("the first seed master killed", firstSeed, 0),
        Arguments.of("another master killed", another, 2),
        Arguments.of("a planned CLUSTER FAILOVER", planned, -1));
  }

  private static List<String> keys(String namespace) {
    return CacheHistoryIT.keys(namespace, KEYS_PER_NAMESPACE);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("faults")
  void invalidationsHoldAcrossTheFailover(String what, Consumer<RedisCluster> fault, int victim)
      throws Exception {
    List<String> allKeys = NAMESPACES.stream().flatMap(ns -> keys(ns).stream()).toList();
    if (victim >= 0) {
      RedisServer m = cluster.originalMasters().get(victim);
      assertThat(allKeys).as("keys on the master to be killed (the test's precondition)")
          .anyMatch(k -> cluster.ownerOf(JedisClusterCRC16.getSlot(k)) == m);
    }
    RedisSettings settings = TestRedis.clusterSettings(cluster.masterSeeds())
        .socketTimeout(Duration.ofSeconds(5)).slowCallThreshold(Duration.ofSeconds(5))
        .waitReplicas(1).waitReplicasTimeout(Duration.ofMillis(100)).build();
    for (int i = 0; i < INSTANCES; i++) {
      RedisConnector c = RedisConnector.create(settings);
      connectors.add(c);
      caches.add(QueryCache.builder().connector(c).build());
    }
    Map<String, AtomicLong> database = new ConcurrentHashMap<>();
    allKeys.forEach(k -> database.put(k, new AtomicLong()));
    Map<String, List<Long>> patternInvalidations = new ConcurrentHashMap<>(); // when each ended
    // Those during which their instance ran nothing off Redis: each one increment, acknowledged.
    Map<String, AtomicLong> directPatternInvalidations = new ConcurrentHashMap<>();
    List<CacheHistoryIT.Op> history = Collections.synchronizedList(new ArrayList<>());
    // Operations during which their instance ran some call off Redis (see degradedCalls).
    java.util.Set<CacheHistoryIT.Op> tainted = ConcurrentHashMap.newKeySet();
    AtomicLong clusterOkAt = new AtomicLong(Long.MAX_VALUE);
    AtomicLong onRedisReadsAfterOk = new AtomicLong();
    AtomicLong onRedisReads = new AtomicLong(); // before the fault
    AtomicLong ops = new AtomicLong();
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      for (int t = 0; t < THREADS; t++) {
        int instance = i;
        QueryCache cache = caches.get(i);
        Random r = new Random(i * 100L + t);
        workers.add(pool.submit(() -> {
          while (running.get()) {
            String ns = NAMESPACES.get(r.nextInt(NAMESPACES.size()));
            List<String> nsKeys = keys(ns);
            String key = nsKeys.get(r.nextInt(nsKeys.size()));
            int dice = r.nextInt(100);
            long degradedBefore = cache.stores().degradedCalls();
            long start = System.nanoTime();
            int recorded = history.size();
            if (dice < 70) {
              boolean slow = r.nextInt(10) == 0;
              Loaded got = cache.getOrLoad(key, Duration.ofSeconds(60), Loaded.class, () -> {
                Loaded l = new Loaded(database.get(key).get());
                if (slow) {
                  Thread.sleep(2); // a slow query: invalidations overtake it
                }
                return l;
              });
              history.add(new CacheHistoryIT.Op("read", instance, key, start, System.nanoTime(),
                  got.version(), 0));
            } else if (dice < 90) {
              long version = database.get(key).incrementAndGet();
              cache.invalidate(key);
              history.add(new CacheHistoryIT.Op("write", instance, key, start,
                  System.nanoTime(), version, 0));
            } else {
              Map<String, Long> versions = new java.util.HashMap<>();
              nsKeys.forEach(k -> versions.put(k, database.get(k).incrementAndGet()));
              cache.invalidateMatching(ns + "*");
              long end = System.nanoTime();
              patternInvalidations.computeIfAbsent(ns,
                  x -> Collections.synchronizedList(new ArrayList<>())).add(end);
              versions.forEach((k, v) -> history.add(new CacheHistoryIT.Op("write-all", instance,
                  k, start, end, v, 0)));
            }
            if (cache.stores().degradedCalls() != degradedBefore) {
              // Something on this instance ran off Redis meanwhile, maybe this very call.
              synchronized (history) {
                tainted.addAll(history.subList(recorded, history.size()).stream()
                    .filter(o -> o.instance() == instance && o.start() == start).toList());
              }
            } else if (dice >= 90) {
              directPatternInvalidations.computeIfAbsent(ns, x -> new AtomicLong())
                  .incrementAndGet();
            } else if (dice < 70 && start > clusterOkAt.get()) {
              onRedisReadsAfterOk.incrementAndGet();
            } else if (dice < 70) {
              onRedisReads.incrementAndGet();
            }
            ops.incrementAndGet();
          }
          return null;
        }));
      }
    }
    awaitProgress("load running", ops, 500, workers);
    // The check across instances below covers the healthy cluster: it has such reads to check.
    awaitProgress("reads wholly on Redis before the fault", onRedisReads, 300, workers);
    long faultAt = System.nanoTime();
    fault.accept(cluster);
    cluster.awaitOk(Duration.ofSeconds(30));
    long okAt = System.nanoTime();
    clusterOkAt.set(okAt);
    Await.until("every instance back on Redis with nothing kept for later", Duration.ofSeconds(60),
        () -> connectors.stream().allMatch(c -> c.isAvailable() && c.failingMasters().isEmpty())
            && caches.stream().allMatch(c -> c.stores().pendingInvalidations() == 0));
    long backAt = System.nanoTime();
    // Load goes on until the check across instances below has reads on Redis after the fault.
    awaitProgress("reads wholly on Redis after the fault", onRedisReadsAfterOk, 1_000, workers);
    running.set(false);
    for (Future<?> w : workers) {
      w.get(30, TimeUnit.SECONDS); // rethrows what a call threw
    }
    long kept = caches.stream().mapToLong(c -> c.stores().keptInvalidations()).sum();
    System.out.printf("%s: cluster ok %d ms after the fault, every instance back on Redis with"
        + " nothing kept %d ms after that; %d operations, %d invalidations kept for later%n",
        what, TimeUnit.NANOSECONDS.toMillis(okAt - faultAt),
        TimeUnit.NANOSECONDS.toMillis(backAt - okAt), history.size(), kept);

    List<CacheHistoryIT.Op> all = List.copyOf(history);
    assertThat(CacheHistoryIT.check(all, (r, w) -> r.instance() == w.instance()))
        .as("reads on one instance that returned what a write on it that ended before them had"
            + " invalidated (%d operations)", all.size()).isEmpty();
    // Across instances over the whole history, for the calls made wholly on Redis: while a call
    // on an instance ran off Redis (its memory store, a kept or unacknowledged invalidation),
    // what another instance removed may be served there (documented), so those are left out.
    long onRedisAfter = all.stream().filter(o -> o.kind().equals("read") && o.start() > okAt
        && !tainted.contains(o)).count();
    System.out.printf("%s: %d of %d operations ran something off Redis on their instance; %d"
        + " reads wholly on Redis after the cluster was ok%n", what, tainted.size(), all.size(),
        onRedisAfter);
    assertThat(CacheHistoryIT.check(all, (r, w) -> !tainted.contains(r) && !tainted.contains(w)))
        .as("reads on Redis that returned what a write on Redis on any instance that ended before"
            + " them had invalidated").isEmpty();
    assertThat(onRedisAfter).as("reads wholly on Redis after the fault (the check above covers"
        + " the recovery)").isGreaterThan(1_000);
    for (String key : allKeys) {
      for (QueryCache cache : caches) {
        assertThat(cache.getOrLoad(key, Duration.ofSeconds(60), Loaded.class,
            () -> new Loaded(database.get(key).get())).version())
            .as("%s after the load, on every instance", key).isEqualTo(database.get(key).get());
      }
    }
    Map<String, String> generations = cluster.ownerOf(JedisClusterCRC16.getSlot(
        Generations.HASH)).withClient(j -> j.hgetAll(Generations.HASH));
    for (String ns : NAMESPACES) {
      List<Long> ends = List.copyOf(patternInvalidations.getOrDefault(ns, List.of()));
      long direct = directPatternInvalidations.getOrDefault(ns, new AtomicLong()).get();
      long generation = generations.get(ns) == null ? 0 : Long.parseLong(generations.get(ns));
      // Each made wholly on Redis was one increment that a replica acknowledged: a promoted
      // replica has it. Those kept while Redis could not be reached are made as one increment
      // (one covers them all), and those no replica acknowledged are made again.
      assertThat(generation).as("generation of %s: %d pattern invalidations made wholly on Redis,"
          + " %d in all", ns, direct, ends.size())
          .isGreaterThanOrEqualTo(direct + (ends.size() > direct ? 1 : 0));
    }
    if (victim >= 0) {
      assertThat(kept).as("invalidations kept for later while a master was down").isPositive();
    }
  }

  /** Waits until {@code ops} passes {@code n}; a worker that stopped throws what it threw. */
  private static void awaitProgress(String what, AtomicLong ops, long n, List<Future<?>> workers)
      throws Exception {
    // A bound on a hang only: how fast the load makes progress depends on the machine (every
    // invalidation on the promoted master waits 100 ms for a replica it no longer has).
    Await.until(what, Duration.ofSeconds(60),
        () -> ops.get() > n || workers.stream().anyMatch(Future::isDone));
    for (Future<?> w : workers) {
      if (w.isDone()) {
        w.get();
        throw new AssertionError("a worker stopped early");
      }
    }
  }
}
