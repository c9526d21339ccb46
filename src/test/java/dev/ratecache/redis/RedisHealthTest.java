package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisHealth.State;
import dev.ratecache.redis.RedisHealth.Transition;
import dev.ratecache.testing.ManualScheduler;
import dev.ratecache.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The health switch with a scripted probe, on virtual time: probes and listeners run only when
 * the test advances the scheduler, so every step of the timeline is exact. No network involved.
 */
class RedisHealthTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-25T10:00:00Z"));
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  private final AtomicBoolean redisAnswers = new AtomicBoolean(false);
  private final AtomicInteger probes = new AtomicInteger();

  private RedisHealth health(int threshold) {
    // Without jitter (0.5 is the middle): probes 100, 200, 400, 800, 1000, 1000… ms apart.
    return new RedisHealth("test", State.UP, threshold,
        Backoff.exponential(Duration.ofMillis(100), Duration.ofSeconds(1)),
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
  void probesInTheBackgroundWithBackoffUntilRedisAnswersThenComesBackUp() {
    RedisHealth h = health(1);
    List<Transition> heard = new CopyOnWriteArrayList<>();
    h.onTransition(heard::add);
    h.recordFailure("refused");
    assertThat(h.state()).isEqualTo(State.DOWN);
    assertThat(probes.get()).as("no probe on the caller's thread").isZero();

    scheduler.advance(Duration.ofMillis(99));
    assertThat(probes.get()).as("before the first delay").isZero();
    scheduler.advance(Duration.ofMillis(1));
    assertThat(probes.get()).as("at 100 ms").isEqualTo(1);
    scheduler.advance(Duration.ofMillis(600));
    assertThat(probes.get()).as("at 300 and 700 ms").isEqualTo(3);
    assertThat(scheduler.nextDelay()).as("the next probe backs off to 800 ms")
        .isEqualTo(Duration.ofMillis(800));
    assertThat(h.snapshot().probeAttempts()).isEqualTo(3);
    assertThat(h.state()).isEqualTo(State.DOWN);

    redisAnswers.set(true);
    scheduler.advance(Duration.ofMillis(800));
    assertThat(probes.get()).isEqualTo(4);
    assertThat(h.state()).isEqualTo(State.UP);
    assertThat(h.since()).isEqualTo(Instant.parse("2026-11-25T10:00:01.500Z"));
    assertThat(heard).extracting(Transition::from, Transition::to)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(State.UP, State.DOWN),
            org.assertj.core.groups.Tuple.tuple(State.DOWN, State.UP));
    assertThat(scheduler.queued()).as("no probing while up").isZero();
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(probes.get()).isEqualTo(4);
  }

  @Test
  void listenersAreToldOnTheSchedulerNotOnTheCallersThread() {
    RedisHealth h = health(1);
    List<Transition> heard = new CopyOnWriteArrayList<>();
    h.onTransition(heard::add);
    assertThat(h.recordFailure("x")).isTrue();
    assertThat(heard).as("not yet: the caller is a request thread").isEmpty();
    scheduler.runDue();
    assertThat(heard).hasSize(1);
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
    scheduler.runDue();
    assertThat(heard).hasSize(1);
  }

  @Test
  void removedListenersHearNothing() throws Exception {
    RedisHealth h = health(1);
    List<Transition> removed = new CopyOnWriteArrayList<>();
    List<Transition> kept = new CopyOnWriteArrayList<>();
    AutoCloseable registration = h.onTransition(removed::add);
    h.onTransition(kept::add);
    registration.close();
    h.recordFailure("x");
    scheduler.runDue();
    assertThat(kept).as("a listener still registered hears it").hasSize(1);
    assertThat(removed).isEmpty();
  }

  @Test
  void aStoppedHealthProbesNoMore() {
    RedisHealth h = health(1);
    h.recordFailure("refused");
    scheduler.advance(Duration.ofMillis(100));
    assertThat(probes.get()).isEqualTo(1);
    h.stop();
    scheduler.advance(Duration.ofMinutes(1));
    assertThat(probes.get()).as("a closed connector's health leaves the scheduler alone")
        .isEqualTo(1);
    assertThat(scheduler.queued()).isZero();
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
