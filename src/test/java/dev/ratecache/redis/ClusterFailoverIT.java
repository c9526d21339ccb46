package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.Limit;
import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a managed Redis Cluster does every week, on real processes: three masters with a replica
 * each, the library seeded with the three masters only, two instances under load from several
 * threads. A master is killed (the first seed, or another), or fails over as planned maintenance
 * does; its replica takes over. Every time: no call throws, both instances are back on Redis once
 * the cluster serves every slot again (the time is measured and printed), and a client limited
 * before the fault is still limited after it.
 */
class ClusterFailoverIT {
  @RegisterExtension
  static final RedisCluster cluster = RedisCluster.withReplicas();

  private static final int INSTANCES = 2;
  private final List<RedisConnector> connectors = new ArrayList<>();
  private final List<RateLimiter> limiters = new ArrayList<>();
  private final List<QueryCache> caches = new ArrayList<>();
  private final ExecutorService load = Executors.newFixedThreadPool(4);
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ConcurrentLinkedQueue<Throwable> thrown = new ConcurrentLinkedQueue<>();
  private final AtomicLong calls = new AtomicLong();

  @BeforeEach
  void start() {
    cluster.restoreOriginalMasters(Duration.ofSeconds(30)); // what an earlier test killed
    cluster.flushAll();
  }

  /** Two instances seeded with {@code seeds}. */
  private void instances(String seeds) {
    RedisSettings settings = TestRedis.clusterSettings(seeds).build();
    for (int i = 0; i < INSTANCES; i++) {
      RedisConnector c = RedisConnector.create(settings);
      connectors.add(c);
      limiters.add(RateLimiter.builder().connector(c).profile(RateLimitProfile.builder("search")
          .limit(Limit.parse("30/1h", "search")).prefix("/api/search").build()).build());
      caches.add(QueryCache.builder().connector(c).build());
    }
  }

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    load.shutdownNow();
    load.awaitTermination(10, TimeUnit.SECONDS);
    limiters.forEach(RateLimiter::close);
    caches.forEach(QueryCache::close);
    connectors.forEach(RedisConnector::close);
  }

  /**
   * Four threads: decisions for many clients and cache reads, alternating instances; one of them
   * also asks for {@code limited} every round and counts what it is admitted.
   */
  private void underLoad(String limited, AtomicLong admittedLimited) {
    for (int t = 0; t < 4; t++) {
      int thread = t;
      load.submit(() -> {
        long n = 0;
        while (running.get()) {
          int i = (int) (n++ % INSTANCES);
          try {
            limiters.get(i).tryAcquire("search", "load-" + thread + "-" + (n % 500));
            caches.get(i).getOrLoad("query:chat:id:" + (n % 300), Duration.ofMinutes(1),
                String.class, () -> "row");
            if (thread == 0 && limiters.get(i).tryAcquire("search", limited).allowed()) {
              admittedLimited.incrementAndGet();
            }
            calls.incrementAndGet();
          } catch (Throwable e) {
            thrown.add(e);
          }
        }
        return null;
      });
    }
  }

  /**
   * Exhausts {@code client}'s 30/hour (one token back every two minutes) on the shared buckets,
   * once both instances decide on Redis (the cluster may still be settling after the last test's
   * restore): every decision must be Redis's, and the history is printed if one is not.
   */
  private void exhaust(String client) {
    backOnRedis("before the fault");
    List<RateLimitDecision> seen = new ArrayList<>();
    for (int n = 0; n <= 30; n++) {
      seen.add(limiters.get(n % INSTANCES).tryAcquire("search", client));
    }
    String history = seen.stream().map(d -> d.outcome() + "/" + d.backend() + "/" + d.remaining())
        .collect(java.util.stream.Collectors.joining(" "));
    assertThat(seen).as("decisions while exhausting the limit: %s", history)
        .allMatch(d -> d.backend() == RateLimitDecision.Backend.REDIS);
    assertThat(seen.subList(0, 30)).as("the first 30: %s", history)
        .allMatch(RateLimitDecision::allowed);
    assertThat(seen.get(30).allowed()).as("the 31st: %s", history).isFalse();
  }

  private long backOnRedis(String what) {
    long start = System.nanoTime();
    Await.until(what + ": every instance back on Redis", Duration.ofSeconds(60), () ->
        connectors.stream().allMatch(c -> c.isAvailable() && c.failingMasters().isEmpty())
            && limiters.stream().allMatch(l -> l.tryAcquire("search", "probe-client").backend()
                == RateLimitDecision.Backend.REDIS));
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  private void fault(String what, Runnable fault) {
    if (connectors.isEmpty()) {
      instances(cluster.masterSeeds());
    }
    String limited = "limited-" + Integer.toHexString(what.hashCode());
    exhaust(limited);
    AtomicLong admittedLimited = new AtomicLong();
    underLoad(limited, admittedLimited);
    Await.until("load running", () -> calls.get() > 200);
    fault.run();
    long faultAt = System.nanoTime();
    cluster.awaitOk(Duration.ofSeconds(30));
    long okAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultAt);
    long back = backOnRedis(what);
    System.out.printf("%s: cluster ok %d ms after the fault, library back on Redis %d ms after"
        + " that; %d calls%n", what, okAfter, back, calls.get());
    long before = calls.get();
    Await.until("load goes on", () -> calls.get() > before + 200);
    running.set(false);
    assertThat(thrown).as("calls that threw").isEmpty();
    assertThat(admittedLimited.get()).as("requests of a limited client admitted during the fault"
        + " and the recovery (the limit refills one token in two minutes)").isZero();
    for (RateLimiter l : limiters) {
      assertThat(l.tryAcquire("search", limited).allowed())
          .as("a client limited before the fault is limited after it").isFalse();
    }
  }

  @Test
  void theFirstSeedMasterKilled() {
    RedisServer seed = cluster.originalMasters().get(0);
    fault("first seed master killed", seed::kill);
  }

  @Test
  void anotherMasterKilled() {
    RedisServer other = cluster.nodes().stream().filter(RedisCluster::isMaster)
        .filter(n -> n != cluster.originalMasters().get(0)).findFirst().orElseThrow();
    fault("non-seed master killed", other::kill);
  }

  @Test
  void theOnlySeedKilledWhileTheClusterLivesOnNodesLearntFromIt() {
    RedisServer seed = cluster.nodes().stream().filter(RedisCluster::isMaster).findFirst()
        .orElseThrow();
    instances("127.0.0.1:" + seed.port());
    fault("the only seed (a master) killed", seed::kill);
  }

  @Test
  void aKilledMasterReturnsAsAReplicaAndItsSuccessorIsKilledToo() {
    RedisServer first = cluster.originalMasters().get(0);
    fault("first seed master killed", first::kill);
    first.start(); // comes back as the replica of the node that took its slots
    cluster.awaitOk(Duration.ofSeconds(30));
    RedisServer successor = cluster.nodes().stream().filter(RedisCluster::isMaster)
        .filter(n -> !cluster.originalMasters().contains(n)).findFirst().orElseThrow();
    calls.set(0);
    running.set(true);
    fault("its successor killed, the returned node promoted", successor::kill);
  }

  /**
   * The first seed master killed while HTTP clients call two Jetty apps guarded by {@code
   * RateLimitFilter} (one per instance): every response is a 200 or a 429, never a 5xx, and a
   * user limited before the kill gets nothing but 429s through the outage and the recovery.
   */
  @Test
  void theFirstSeedMasterKilledUnderHttpTraffic() throws Exception {
    instances(cluster.masterSeeds());
    List<dev.ratecache.testing.JettyApp> apps = new ArrayList<>();
    try {
      for (RateLimiter l : limiters) {
        apps.add(dev.ratecache.testing.JettyApp.start(context -> {
          context.addFilter(new org.eclipse.jetty.ee10.servlet.FilterHolder(
              new dev.ratecache.support.BearerAuthFilter()), "/*",
              java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST));
          context.addFilter(new org.eclipse.jetty.ee10.servlet.FilterHolder(
              new dev.ratecache.ratelimit.RateLimitFilter(l)), "/*",
              java.util.EnumSet.of(jakarta.servlet.DispatcherType.REQUEST));
        }));
      }
      backOnRedis("before the fault");
      for (int n = 0; n < 30; n++) {
        assertThat(apps.get(n % INSTANCES).send("GET", "/api/search/q", "Authorization",
            "Bearer mallory").statusCode()).as("mallory's request %d", n).isEqualTo(200);
      }
      for (dev.ratecache.testing.JettyApp app : apps) {
        assertThat(app.send("GET", "/api/search/q", "Authorization", "Bearer mallory")
            .statusCode()).as("mallory over her limit").isEqualTo(429);
      }
      java.util.Map<Integer, java.util.concurrent.atomic.LongAdder> statuses =
          new java.util.concurrent.ConcurrentHashMap<>();
      AtomicLong malloryAdmitted = new AtomicLong();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        load.submit(() -> {
          for (long n = 0; running.get(); n++) {
            dev.ratecache.testing.JettyApp app = apps.get((int) (n % INSTANCES));
            try {
              String user = thread == 0 && n % 2 == 0 ? "mallory" : "user-" + thread + "-" + (n % 200);
              int status = app.send("GET", "/api/search/q", "Authorization", "Bearer " + user)
                  .statusCode();
              statuses.computeIfAbsent(status, x -> new java.util.concurrent.atomic.LongAdder())
                  .increment();
              if (user.equals("mallory") && status != 429) {
                malloryAdmitted.incrementAndGet();
              }
              calls.incrementAndGet();
            } catch (Throwable e) {
              thrown.add(e);
            }
          }
          return null;
        });
      }
      Await.until("HTTP load running", () -> calls.get() > 200);
      cluster.originalMasters().get(0).kill();
      long faultAt = System.nanoTime();
      cluster.awaitOk(Duration.ofSeconds(30));
      long okAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - faultAt);
      long back = backOnRedis("after the kill");
      long before = calls.get();
      Await.until("HTTP load goes on", () -> calls.get() > before + 200);
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
      System.out.printf("first seed master killed under HTTP traffic: cluster ok %d ms after the"
          + " fault, library back on Redis %d ms after that; responses %s%n", okAfter, back,
          statuses);
      assertThat(thrown).as("requests that failed").isEmpty();
      assertThat(statuses.keySet()).as("statuses answered").containsOnly(200, 429);
      assertThat(malloryAdmitted.get()).as("requests of a user limited before the kill that were"
          + " not refused").isZero();
    } finally {
      for (dev.ratecache.testing.JettyApp app : apps) {
        app.close();
      }
    }
  }

  @Test
  void aPlannedFailover() {
    RedisServer replica = cluster.nodes().stream().filter(n -> !RedisCluster.isMaster(n))
        .findFirst().orElseThrow();
    fault("planned CLUSTER FAILOVER", () -> cluster.failover(replica));
  }
}
