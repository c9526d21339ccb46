package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisHealth.State;
import dev.ratecache.redis.RedisHealth.Transition;
import dev.ratecache.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The health switch with a scripted probe: no network involved. */
class RedisHealthTest {
  private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final AtomicBoolean redisAnswers = new AtomicBoolean(false);
  private final AtomicInteger probes = new AtomicInteger();
  private final Clock clock = Clock.fixed(Instant.parse("2026-11-25T10:00:00Z"), ZoneOffset.UTC);

  @AfterEach
  void stop() {
    scheduler.shutdownNow();
  }

  private RedisHealth health(int threshold) {
    return new RedisHealth("test", State.UP, threshold,
        Backoff.exponential(Duration.ofMillis(1), Duration.ofMillis(5)),
        () -> {
          probes.incrementAndGet();
          if (!redisAnswers.get()) {
            throw new IllegalStateException("refused");
          }
        }, scheduler, clock, () -> 0.5, true);
  }

  @Test
  void tripsOnlyAfterThresholdConsecutiveFailures() {
    RedisHealth h = health(3);
    h.recordFailure("a");
    h.recordFailure("b");
    h.recordSuccess();
    h.recordFailure("c");
    h.recordFailure("d");
    assertThat(h.state()).isEqualTo(State.UP);
    assertThat(h.recordFailure("e")).isTrue();
    assertThat(h.state()).isEqualTo(State.DOWN);
    assertThat(h.recordFailure("f")).as("already down: no second transition").isFalse();
    assertThat(h.snapshot().lastError()).isEqualTo("f");
  }

  @Test
  void probesInTheBackgroundUntilRedisAnswersThenComesBackUp() throws Exception {
    RedisHealth h = health(1);
    List<Transition> heard = new CopyOnWriteArrayList<>();
    h.onTransition(heard::add);
    h.recordFailure("refused");
    RedisConnectorTest.sleep(30);
    assertThat(h.state()).isEqualTo(State.DOWN);
    assertThat(probes.get()).as("probes while down").isGreaterThan(1);

    redisAnswers.set(true);
    long deadline = System.nanoTime() + 2_000_000_000L;
    while (h.state() != State.UP && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    assertThat(h.state()).isEqualTo(State.UP);
    RedisConnectorTest.awaitListeners(heard, 2);
    assertThat(heard).extracting(Transition::from, Transition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(State.UP, State.DOWN),
            org.assertj.core.groups.Tuple.tuple(State.DOWN, State.UP));
    int afterRecovery = probes.get();
    Thread.sleep(30);
    assertThat(probes.get()).as("no probing while up").isEqualTo(afterRecovery);
  }

  @Test
  void aThrowingListenerDoesNotStopOthersOrTheCaller() {
    RedisHealth h = health(1);
    List<Transition> heard = new CopyOnWriteArrayList<>();
    h.onTransition(t -> {
      throw new IllegalStateException("listener bug");
    });
    h.onTransition(heard::add);
    assertThat(h.recordFailure("x")).isTrue();
    RedisConnectorTest.awaitListeners(heard, 1);
    assertThat(heard).hasSize(1);
  }

  @Test
  void removedListenersHearNothing() throws Exception {
    RedisHealth h = health(1);
    List<Transition> heard = new CopyOnWriteArrayList<>();
    AutoCloseable registration = h.onTransition(heard::add);
    registration.close();
    h.recordFailure("x");
    Thread.sleep(20);
    assertThat(heard).isEmpty();
  }

  @Test
  void probeNowSwitchesBothWays() {
    RedisHealth h = health(5);
    assertThat(h.probeNow()).isFalse();
    assertThat(h.state()).isEqualTo(State.DOWN);
    redisAnswers.set(true);
    assertThat(h.probeNow()).isTrue();
    assertThat(h.state()).isEqualTo(State.UP);
  }

  @Test
  void snapshotCountsOutagesAndDowntimeFromTheClock() {
    MutableClock time = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));
    RedisHealth h = new RedisHealth("t", State.UP, 1,
        Backoff.exponential(Duration.ofHours(1), Duration.ofHours(1)), () -> {}, scheduler,
        time, () -> 0.5, true);
    h.recordFailure("x");
    time.advance(Duration.ofSeconds(42));
    assertThat(h.snapshot().totalDowntime()).isEqualTo(Duration.ofSeconds(42));
    assertThat(h.probeNow()).isTrue();
    time.advance(Duration.ofSeconds(100));
    RedisHealth.Snapshot s = h.snapshot();
    assertThat(s.outages()).isEqualTo(1);
    assertThat(s.totalDowntime()).isEqualTo(Duration.ofSeconds(42));
    assertThat(s.since()).isEqualTo(Instant.parse("2026-11-25T10:00:42Z"));
  }
}
