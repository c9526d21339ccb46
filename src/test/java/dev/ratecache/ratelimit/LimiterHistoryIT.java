package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.Faults;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The limiter's promise over a recorded history: two instances (separate connectors) with four
 * threads each take turns on a few clients' buckets in real Redis (standalone and a 3-master
 * Cluster, both bucket protocols) while a fault thread cuts every pub/sub connection (each cut
 * drops what the instances remember) and holds every write for 50 ms now and then. Each decision
 * records its start and end. The checker demands, per client, that the decisions admitted never
 * exceed the limit plus what the refill added between the first decision's start and the last's
 * end, and that every decision was made on Redis (none fell back to memory). With {@code
 * count=failures} each admitted request then answers a success (settled: its token given back) or
 * a failure at random, and the checker demands the same of the admitted failures: refunds never
 * let the failures that count exceed the limit, whatever the interleaving across instances.
 */
class LimiterHistoryIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static final int LIMIT = 40;
  private static final long PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);

  /** {@code counted}: admitted and counting (always, unless a success under count=failures). */
  record Decision(int instance, String client, long start, long end, boolean allowed,
      RateLimitDecision.Backend backend, boolean counted) {}

  static Stream<Arguments> runs() {
    return Stream.of("standalone", "cluster").flatMap(t -> Stream.of(RedisBucketProtocol.values())
        .flatMap(p -> Stream.of(CountMode.ALL, CountMode.FAILURES)
            .map(c -> Arguments.of(t, p, c))));
  }

  @ParameterizedTest(name = "{0}, {1}, count {2}")
  @MethodSource("runs")
  void admittedNeverExceedsTheLimitPlusTheRefill(String topology, RedisBucketProtocol protocol,
      CountMode count) throws Exception {
    RedisSettings settings;
    List<RedisServer> nodes;
    if (topology.equals("standalone")) {
      redis.start();
      redis.flushAll();
      settings = TestRedis.patient(TestRedis.settings(redis));
      nodes = List.of(redis);
    } else {
      cluster.start();
      cluster.flushAll();
      settings = TestRedis.patient(TestRedis.settings(cluster));
      nodes = cluster.nodes();
    }
    List<RedisConnector> connectors = new ArrayList<>();
    List<RateLimiter> limiters = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      RedisConnector c = RedisConnector.create(settings);
      connectors.add(c);
      limiters.add(RateLimiter.builder().connector(c).redisBuckets(protocol)
          .profile(RateLimitProfile.builder("api").limit(Limit.parse(LIMIT + "/1m", "api"))
              .prefix("/api").count(count).build()).build());
    }
    List<Decision> history = Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(9);
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      Future<?> faults = pool.submit(() -> {
        Random r = new Random(7);
        while (running.get()) {
          Thread.sleep(20 + r.nextInt(30));
          Faults.cutPubSub(nodes);
          if (r.nextInt(4) == 0) {
            Faults.pauseWrites(nodes, 50);
          }
        }
        return null;
      });
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        for (int t = 0; t < 4; t++) {
          int instance = i;
          Random r = new Random(instance * 10 + t);
          workers.add(pool.submit(() -> {
            for (int n = 0; n < 150; n++) {
              String client = "client-" + r.nextInt(4);
              long start = System.nanoTime();
              RateLimitDecision d = limiters.get(instance).tryAcquire("api", client);
              long end = System.nanoTime();
              boolean success = count == CountMode.FAILURES && r.nextBoolean();
              history.add(new Decision(instance, client, start, end, d.allowed(),
                  d.backend(), d.allowed() && !success));
              if (d.allowed()) {
                limiters.get(instance).settle(d, success ? 200 : 401);
              }
            }
            return null;
          }));
        }
      }
      for (Future<?> w : workers) {
        try {
          w.get(120, TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException hung) {
          // A decision that never returns is the defect itself: show where every thread is.
          StringBuilder dump = new StringBuilder("a worker did not finish in 120 s; threads:\n");
          Thread.getAllStackTraces().forEach((t, stack) -> {
            dump.append('"').append(t.getName()).append("\" ").append(t.getState()).append('\n');
            for (StackTraceElement f : stack) {
              dump.append("    at ").append(f).append('\n');
            }
          });
          throw new AssertionError(dump.toString(), hung);
        }
      }
      running.set(false);
      faults.get(10, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      pool.shutdownNow();
      limiters.forEach(RateLimiter::close);
      connectors.forEach(RedisConnector::close);
    }

    assertThat(history.stream().filter(d -> d.backend() != RateLimitDecision.Backend.REDIS))
        .as("decisions not made on Redis").isEmpty();
    Map<String, List<Decision>> byClient = history.stream()
        .collect(Collectors.groupingBy(Decision::client));
    for (Map.Entry<String, List<Decision>> e : byClient.entrySet()) {
      List<Decision> ds = e.getValue();
      long first = ds.stream().mapToLong(Decision::start).min().orElseThrow();
      long last = ds.stream().mapToLong(Decision::end).max().orElseThrow();
      long refill = (long) Math.ceil((double) LIMIT * (last - first) / PERIOD_NANOS);
      long counted = ds.stream().filter(Decision::counted).count();
      assertThat(counted).as("%s: admitted and counted of %d decisions over %d ms (limit %d,"
          + " refill %d)", e.getKey(), ds.size(), TimeUnit.NANOSECONDS.toMillis(last - first),
          LIMIT, refill).isLessThanOrEqualTo(LIMIT + refill)
          .isGreaterThanOrEqualTo(count == CountMode.ALL ? LIMIT : 1);
      if (count == CountMode.FAILURES) {
        long admitted = ds.stream().filter(Decision::allowed).count();
        assertThat(admitted).as("%s: successes gave their tokens back", e.getKey())
            .isGreaterThan(counted);
      }
    }
  }
}
