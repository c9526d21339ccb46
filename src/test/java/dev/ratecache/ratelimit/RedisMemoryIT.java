package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.MemoryFacts;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The limiter and a Redis that runs out of memory: a server that evicts is named at the first
 * decision (an evicted bucket is a fresh one), and a full {@code noeviction} server is one steady
 * outage, not one that flaps each time an expiry frees a few bytes.
 */
class RedisMemoryIT {

  private static RateLimiter limiter(RedisConnector connector) {
    return RateLimiter.builder().connector(connector).build();
  }

  @Test
  void aRedisThatEvictsKeysIsNamedAtTheFirstDecision() throws Exception {
    try (RedisServer evicting = RedisServer.builder()
            .args("--maxmemory", "64mb", "--maxmemory-policy", "allkeys-lru").build().start();
        RedisServer unlimited = RedisServer.builder().build().start();
        RedisConnector a = RedisConnector.create(TestRedis.settings(evicting).build());
        RedisConnector b = RedisConnector.create(TestRedis.settings(unlimited).build());
        RateLimiter onEvicting = limiter(a);
        RateLimiter onUnlimited = limiter(b)) {
      onEvicting.tryAcquire("chat", "alice");
      onUnlimited.tryAcquire("chat", "alice");
      MemoryFacts facts = onEvicting.evictionCheck().get(10, TimeUnit.SECONDS);
      assertThat(facts.policy()).isEqualTo("allkeys-lru");
      assertThat(onEvicting.evictionWarning()).contains("maxmemory-policy allkeys-lru")
          .contains("noeviction").contains("docs/configuration.md");
      assertThat(onUnlimited.evictionCheck().get(10, TimeUnit.SECONDS).evicts()).isFalse();
      assertThat(onUnlimited.evictionWarning()).isNull();
    }
  }

  @Test
  void aFullServerIsOneSteadyOutageUntilItHasHeadroomAgain() throws Exception {
    try (RedisServer full = RedisServer.builder()
            .args("--maxmemory", "4mb", "--maxmemory-policy", "noeviction").build().start();
        RedisConnector connector = RedisConnector.create(TestRedis.settings(full).build());
        RateLimiter limiter = limiter(connector)) {
      List<RedisHealth.Transition> transitions = new CopyOnWriteArrayList<>();
      connector.health().onTransition(transitions::add);
      assertThat(limiter.tryAcquire("chat", "warm").backend())
          .isEqualTo(RateLimitDecision.Backend.REDIS);
      String value = "x".repeat(10_000);
      int keys = 0;
      while (true) {
        try {
          int n = keys;
          full.withClient(j -> j.set("filler:" + n, value));
          keys++;
        } catch (RuntimeException oom) {
          break; // full: every write is refused now
        }
      }
      for (int i = 0; connector.isAvailable(); i++) {
        limiter.tryAcquire("chat", "client-" + i); // new buckets: writes, refused
      }
      long outages = connector.health().snapshot().outages();
      assertThat(connector.health().snapshot().lastError()).contains("OOM");

      // Free a little: a small write fits again, but the next real ones would not.
      long limit = full.<Long>withClient(j -> MemoryFacts.parse(j.info("memory")).max());
      int k = keys;
      while (used(full) > limit - 200_000) {
        int n = --k;
        full.withClient(j -> j.del("filler:" + n));
      }
      assertThat(used(full)).as("still above 90%% of maxmemory").isGreaterThan(limit * 9 / 10);
      long probes = connector.health().snapshot().probeAttempts();
      Await.until("five more probes, or back on Redis", Duration.ofSeconds(20),
          () -> connector.health().snapshot().probeAttempts() >= probes + 5
              || connector.isAvailable());
      assertThat(connector.isAvailable()).as("nearly full: still down").isFalse();
      assertThat(connector.health().snapshot().lastError()).contains("nearly full");

      // Headroom again: back on Redis, after one outage in all.
      while (used(full) > limit * 8 / 10) {
        int n = --k;
        full.withClient(j -> j.del("filler:" + n));
      }
      Await.until("back on Redis", Duration.ofSeconds(20), connector::isAvailable);
      assertThat(connector.health().snapshot().outages()).as("one outage, no flapping")
          .isEqualTo(outages);
      assertThat(transitions.stream().filter(t -> t.to() == RedisHealth.State.DOWN).count())
          .isEqualTo(1);
    }
  }

  private static long used(RedisServer server) {
    return server.<Long>withClient(j -> MemoryFacts.parse(j.info("memory")).used());
  }
}
