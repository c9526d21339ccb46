package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The limiter's bound through two Cluster failovers, checked over a recorded history: three
 * masters with a replica each, two instances of three threads deciding for a few clients, while
 * the first seed master is killed and, once every instance is back on Redis, another master is
 * killed too. Every decision records its start, end, outcome, backend and remaining tokens.
 *
 * <p>What the checker demands of each client (the documented bound of {@code
 * docs/failure-handling.md}): (1) the decisions Redis admitted never exceed the limit plus the
 * refill over the history, plus the Redis admissions that ended in the second before a kill (a
 * killed master can lose writes it acknowledged but had not yet replicated); (2) on each
 * instance, a run of decisions made in memory while Redis could not decide admits no more than
 * the tokens the instance last saw on Redis for that client (within the 10 s it remembers them,
 * refilled to the run's end; a full bucket if it saw none, or on Bucket4j's protocol, which keeps
 * no states); (3) no call throws, the fallback path ran, and decisions are made on Redis again
 * after the last recovery.
 */
class LimiterFailoverHistoryIT {
  @RegisterExtension
  static final RedisCluster cluster = RedisCluster.withReplicas();

  private static final int LIMIT = 20;
  private static final long PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);
  private static final long REMEMBERED_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final int INSTANCES = 2;
  private static final int THREADS = 3;
  private static final int CLIENTS = 6;

  record Decision(int instance, String client, long start, long end, boolean allowed,
      RateLimitDecision.Backend backend, long remaining) {}

  private final List<RedisConnector> connectors = new ArrayList<>();
  private final List<RateLimiter> limiters = new ArrayList<>();
  private final ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS);
  private final AtomicBoolean running = new AtomicBoolean(true);

  @BeforeEach
  void start() {
    cluster.restoreOriginalMasters(Duration.ofSeconds(30));
    cluster.flushAll();
  }

  @AfterEach
  void stop() throws Exception {
    running.set(false);
    pool.shutdownNow();
    pool.awaitTermination(10, TimeUnit.SECONDS);
    limiters.forEach(RateLimiter::close);
    connectors.forEach(RedisConnector::close);
  }

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void theFallbackAdmitsNoMoreThanWhatEachInstanceLastSawOnRedis(RedisBucketProtocol protocol)
      throws Exception {
    for (int i = 0; i < INSTANCES; i++) {
      // Fast timeouts: a call fails over to memory within 250 ms instead of waiting the
      // failover out (with a 5 s timeout, a run once made no decision in memory at all). A call
      // slowed by a loaded machine may go to memory too, at any time: the bound covers it.
      RedisConnector c = RedisConnector.create(TestRedis.clusterSettings(cluster.masterSeeds())
          .build());
      connectors.add(c);
      limiters.add(RateLimiter.builder().connector(c).redisBuckets(protocol)
          .profile(RateLimitProfile.builder("api").limit(Limit.parse(LIMIT + "/1m", "api"))
              .prefix("/api").build()).build());
    }
    List<Decision> history = Collections.synchronizedList(new ArrayList<>());
    AtomicLong decisions = new AtomicLong();
    List<Future<?>> workers = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      for (int t = 0; t < THREADS; t++) {
        int instance = i;
        Random r = new Random(instance * 10L + t);
        workers.add(pool.submit(() -> {
          while (running.get()) {
            String client = "client-" + r.nextInt(CLIENTS);
            long start = System.nanoTime();
            RateLimitDecision d = limiters.get(instance).tryAcquire("api", client);
            history.add(new Decision(instance, client, start, System.nanoTime(), d.allowed(),
                d.backend(), d.remaining()));
            decisions.incrementAndGet();
            // A few thousand decisions a second: a history that fits in memory, in-memory
            // decisions included (they take microseconds).
            LockSupport.parkNanos(300_000);
          }
          return null;
        }));
      }
    }
    awaitProgress(decisions, 1_000, workers);
    List<Long> kills = new ArrayList<>();
    kills.add(System.nanoTime());
    cluster.originalMasters().get(0).kill();
    backOnRedis();
    awaitProgress(decisions, decisions.get() + 1_000, workers);
    kills.add(System.nanoTime());
    cluster.originalMasters().get(2).kill();
    backOnRedis();
    long recovered = System.nanoTime();
    awaitProgress(decisions, decisions.get() + 1_000, workers);
    running.set(false);
    for (Future<?> w : workers) {
      w.get(30, TimeUnit.SECONDS); // rethrows what a decision threw
    }

    List<Decision> all = List.copyOf(history);
    long local = all.stream().filter(d -> d.backend() != RateLimitDecision.Backend.REDIS).count();
    System.out.printf("%s: %d decisions, %d in memory%n", protocol, all.size(), local);
    assertThat(local).as("decisions made in memory (the path under test ran)").isPositive();
    long onRedisAfter = all.stream().filter(d -> d.start() > recovered
        && d.backend() == RateLimitDecision.Backend.REDIS).count();
    assertThat(onRedisAfter).as("decisions on Redis after the last recovery").isPositive();

    Map<String, List<Decision>> byClient = all.stream()
        .collect(Collectors.groupingBy(Decision::client));
    List<String> violations = new ArrayList<>();
    for (Map.Entry<String, List<Decision>> e : byClient.entrySet()) {
      List<Decision> ds = e.getValue();
      long first = ds.stream().mapToLong(Decision::start).min().orElseThrow();
      long last = ds.stream().mapToLong(Decision::end).max().orElseThrow();
      long onRedis = ds.stream().filter(d -> d.allowed()
          && d.backend() == RateLimitDecision.Backend.REDIS).count();
      long mayBeLost = ds.stream().filter(d -> d.allowed()
          && d.backend() == RateLimitDecision.Backend.REDIS
          && kills.stream().anyMatch(k -> d.end() <= k && d.end() > k - 1_000_000_000L)).count();
      long bound = LIMIT + refill(first, last) + mayBeLost;
      if (onRedis > bound) {
        violations.add(String.format("%s: Redis admitted %d, bound %d (limit %d + refill %d"
            + " + %d that a killed master may have lost)", e.getKey(), onRedis, bound, LIMIT,
            refill(first, last), mayBeLost));
      }
      for (int i = 0; i < INSTANCES; i++) {
        int instance = i;
        List<Decision> mine = ds.stream().filter(d -> d.instance() == instance)
            .sorted(Comparator.comparingLong(Decision::start)).toList();
        violations.addAll(checkRuns(e.getKey(), instance, mine, protocol));
      }
    }
    assertThat(violations).as("decisions beyond the documented bound").isEmpty();
  }

  /**
   * Each maximal run of in-memory decisions on one instance for one client admits no more than
   * the tokens that instance last saw on Redis (a full bucket if it saw none within the
   * remembered time), refilled to the run's end.
   */
  private static List<String> checkRuns(String client, int instance, List<Decision> mine,
      RedisBucketProtocol protocol) {
    List<String> violations = new ArrayList<>();
    Decision lastOnRedis = null;
    int i = 0;
    while (i < mine.size()) {
      Decision d = mine.get(i);
      if (d.backend() == RateLimitDecision.Backend.REDIS) {
        lastOnRedis = d;
        i++;
        continue;
      }
      int from = i;
      while (i < mine.size() && mine.get(i).backend() != RateLimitDecision.Backend.REDIS) {
        i++;
      }
      List<Decision> run = mine.subList(from, i);
      long runStart = run.get(0).start();
      long runEnd = run.get(run.size() - 1).end();
      long allowance;
      String why;
      if (protocol == RedisBucketProtocol.ONE_ROUND_TRIP && lastOnRedis != null
          && runStart - lastOnRedis.end() < REMEMBERED_NANOS) {
        long seen = lastOnRedis.allowed() ? lastOnRedis.remaining() : 0;
        allowance = Math.min(LIMIT, seen + refill(lastOnRedis.start(), runEnd));
        why = "last seen on Redis with " + seen + " left";
      } else {
        allowance = LIMIT + refill(runStart, runEnd);
        why = "a full bucket";
      }
      long admitted = run.stream().filter(Decision::allowed).count();
      if (admitted > allowance) {
        violations.add(String.format("%s on instance %d: %d of %d in-memory decisions over %d ms"
            + " admitted, allowance %d (%s)", client, instance, admitted, run.size(),
            TimeUnit.NANOSECONDS.toMillis(runEnd - runStart), allowance, why));
      }
    }
    return violations;
  }

  /** Tokens the limit adds between two instants, rounded up. */
  private static long refill(long from, long to) {
    return (long) Math.ceil((double) LIMIT * Math.max(0, to - from) / PERIOD_NANOS);
  }

  private void backOnRedis() {
    cluster.awaitOk(Duration.ofSeconds(30));
    Await.until("every instance back on Redis", Duration.ofSeconds(60), () ->
        connectors.stream().allMatch(c -> c.isAvailable() && c.failingMasters().isEmpty())
            && limiters.stream().allMatch(l -> l.tryAcquire("api", "probe-client").backend()
                == RateLimitDecision.Backend.REDIS));
  }

  private static void awaitProgress(AtomicLong n, long target, List<Future<?>> workers)
      throws Exception {
    Await.until("decisions go on", () -> n.get() > target
        || workers.stream().anyMatch(Future::isDone));
    for (Future<?> w : workers) {
      if (w.isDone()) {
        w.get();
        throw new AssertionError("a worker stopped early");
      }
    }
  }
}
