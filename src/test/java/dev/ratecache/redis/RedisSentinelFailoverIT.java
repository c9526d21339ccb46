package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.ratelimit.Limit;
import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisSentinel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sentinel promotes the replica when the master dies; two instances under load from four threads
 * follow it, no call throws, and a client the limiter had limited before the kill is admitted
 * nothing while the master is unreachable, nothing while the instances come back, and nothing
 * after (its limit refills one token in two minutes).
 */
class RedisSentinelFailoverIT {
  @RegisterExtension
  static final RedisSentinel sentinel = new RedisSentinel(true);

  private static final int INSTANCES = 2;

  @Test
  void twoInstancesFollowAFailoverToThePromotedReplicaAndALimitedClientStaysLimited()
      throws Exception {
    List<RedisConnector> connectors = new ArrayList<>();
    List<RateLimiter> limiters = new ArrayList<>();
    ExecutorService load = Executors.newFixedThreadPool(4);
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      for (int i = 0; i < INSTANCES; i++) {
        RedisConnector c = RedisConnector.create(TestRedis.settings(sentinel).build());
        connectors.add(c);
        limiters.add(RateLimiter.builder().connector(c).profile(RateLimitProfile.builder("login")
            .limit(Limit.parse("30/1h", "login")).prefix("/login").build()).build());
      }
      // Exhausted on the shared bucket, alternating instances: every decision is Redis's.
      List<RateLimitDecision> seen = new ArrayList<>();
      for (int n = 0; n <= 30; n++) {
        seen.add(limiters.get(n % INSTANCES).tryAcquire("login", "mallory"));
      }
      String history = seen.stream().map(d -> d.outcome() + "/" + d.backend())
          .collect(Collectors.joining(" "));
      assertThat(seen).as(history).allMatch(d -> d.backend() == RateLimitDecision.Backend.REDIS);
      assertThat(seen.subList(0, 30)).as(history).allMatch(RateLimitDecision::allowed);
      assertThat(seen.get(30).allowed()).as(history).isFalse();

      ConcurrentLinkedQueue<Throwable> thrown = new ConcurrentLinkedQueue<>();
      AtomicLong calls = new AtomicLong();
      AtomicLong admittedMallory = new AtomicLong();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        load.submit(() -> {
          for (long n = 0; running.get(); n++) {
            RateLimiter l = limiters.get((int) (n % INSTANCES));
            try {
              l.tryAcquire("login", "load-" + thread + "-" + (n % 500));
              if (thread == 0 && l.tryAcquire("login", "mallory").allowed()) {
                admittedMallory.incrementAndGet();
              }
              calls.incrementAndGet();
            } catch (Throwable e) {
              thrown.add(e);
            }
          }
          return null;
        });
      }
      Await.until("load running", () -> calls.get() > 200);

      connectors.get(0).run(j -> j.set("before-failover", "1")); // after the bucket, in order
      // Replication is asynchronous: a master killed before its replica has the write loses it
      // (as in production); the test is about the failover, so it waits for the copy first.
      Await.until("the replica has the write", () -> "1".equals(
          sentinel.replica().<String>withClient(j -> j.get("before-failover"))));
      String replicaAddress = "127.0.0.1:" + sentinel.replica().port();
      sentinel.master().kill();
      long killedAt = System.nanoTime();
      Await.until("sentinel promotes the replica", Duration.ofSeconds(30),
          () -> sentinel.currentMaster().equals(replicaAddress));
      long promoted = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
      for (RedisConnector c : connectors) {
        RedisConnectorIT.awaitState(c, RedisHealth.State.UP, Duration.ofSeconds(15));
      }
      Await.until("every instance decides on Redis", () -> limiters.stream().allMatch(l ->
          l.tryAcquire("login", "probe-client").backend() == RateLimitDecision.Backend.REDIS));
      long back = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt) - promoted;
      long before = calls.get();
      Await.until("load goes on", () -> calls.get() > before + 200);
      running.set(false);
      load.shutdown();
      assertThat(load.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      System.out.printf("sentinel master killed: replica promoted %d ms after the kill, every"
          + " instance back on Redis %d ms after that; %d calls, %d threw%n",
          promoted, back, calls.get(), thrown.size());

      assertThat(thrown).as("calls that threw").isEmpty();
      assertThat(connectors.stream().mapToLong(c -> c.health().snapshot().outages()).sum())
          .as("the kill was seen as an outage").isPositive();
      assertThat(admittedMallory.get()).as("requests of a limited client admitted during the"
          + " failover and the recovery").isZero();
      for (RateLimiter l : limiters) {
        assertThat(l.tryAcquire("login", "mallory").allowed())
            .as("still limited on the promoted replica").isFalse();
      }
      assertThat(connectors.get(1).<String>execute(j -> j.get("before-failover")))
          .as("replicated data").isEqualTo("1");
      connectors.get(1).run(j -> j.set("after-failover", "2"));
      assertThat(sentinel.replica().<String>withClient(j -> j.get("after-failover")))
          .as("writes go to the promoted replica").isEqualTo("2");
    } finally {
      running.set(false);
      load.shutdownNow();
      limiters.forEach(RateLimiter::close);
      connectors.forEach(RedisConnector::close);
    }
  }
}
