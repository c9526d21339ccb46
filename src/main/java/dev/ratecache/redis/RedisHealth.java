package dev.ratecache.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.DoubleSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether Redis is usable right now: a two-state switch fed by the outcome of every command and,
 * while Redis is down, by a background probe.
 *
 * <ul>
 *   <li>{@link State#UP}: callers use Redis. {@code failureThreshold} consecutive failed or slow
 *       calls switch to DOWN.
 *   <li>{@link State#DOWN}: callers take their fallback path at once without touching the
 *       network; a probe runs on a background thread at exponentially growing, jittered intervals
 *       ({@link Backoff}) and switches back to UP on its first success.
 * </ul>
 *
 * <p>Every transition is logged once and announced to the {@link Listener}s, which run one at a
 * time, in order, on the probe thread: a slow or throwing listener never delays or breaks the
 * caller that caused the transition, and what a listener throws is logged.
 *
 * <p>Thread-safe. The hot path ({@link #isUp()}) is a volatile read.
 */
public final class RedisHealth {
  private static final Logger log = LoggerFactory.getLogger(RedisHealth.class);

  /** Whether Redis is in use. */
  public enum State {
    /** Redis is in use. */
    UP,
    /** Redis is known to be unusable; the in-memory fallback is in use. */
    DOWN
  }

  /** Told of every change of state. */
  @FunctionalInterface
  public interface Listener {
    /** Called once per transition, on the probe thread, in the order transitions happened. */
    void onTransition(Transition transition);
  }

  /** What the probe does to check Redis; any exception means "still down". */
  @FunctionalInterface
  public interface Probe {
    void check() throws Exception;
  }

  /**
   * A change of state.
   *
   * @param from the state before
   * @param to the state after
   * @param at when it happened
   * @param reason why, in words (the error that tripped it, or "probe succeeded")
   */
  public record Transition(State from, State to, Instant at, String reason) {}

  /**
   * A consistent view of the health state for reports.
   *
   * @param state the current state
   * @param since when the current state began
   * @param consecutiveFailures failed or slow calls since the last success
   * @param lastError the last failure, or {@code null} if there has been none
   * @param lastErrorAt when it happened, or {@code null}
   * @param outages how many times the state has gone DOWN
   * @param probeAttempts background probes run since start
   * @param totalDowntime time spent DOWN, including the current outage
   */
  public record Snapshot(
      State state,
      Instant since,
      int consecutiveFailures,
      String lastError,
      Instant lastErrorAt,
      long outages,
      long probeAttempts,
      Duration totalDowntime) {}

  private final String name;
  private final int failureThreshold;
  private final Backoff backoff;
  private final Probe probe;
  private final ScheduledExecutorService scheduler;
  private final Clock clock;
  private final DoubleSupplier random;
  private final boolean probing;

  private final Object lock = new Object();
  private volatile State state;
  private volatile Instant since;
  private volatile String lastError;
  private volatile Instant lastErrorAt;
  private Duration pastDowntime = Duration.ZERO;

  private final AtomicInteger consecutiveFailures = new AtomicInteger();
  private final AtomicLong outages = new AtomicLong();
  private final AtomicLong probeAttempts = new AtomicLong();
  private final AtomicBoolean probeLoopRunning = new AtomicBoolean();
  private volatile boolean stopped;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  /**
   * Creates the health state. Package-private: a {@link RedisConnector} owns one.
   *
   * @param name what to call this Redis in logs (its address, never credentials)
   * @param initial the starting state: UP (optimistic, the first call finds out) or DOWN
   * @param probing false to never probe (Redis switched off by configuration)
   */
  RedisHealth(String name, State initial, int failureThreshold, Backoff backoff, Probe probe,
      ScheduledExecutorService scheduler, Clock clock, DoubleSupplier random, boolean probing) {
    this.name = Objects.requireNonNull(name);
    this.failureThreshold = failureThreshold;
    this.backoff = Objects.requireNonNull(backoff);
    this.probe = Objects.requireNonNull(probe);
    this.scheduler = Objects.requireNonNull(scheduler);
    this.clock = Objects.requireNonNull(clock);
    this.random = Objects.requireNonNull(random);
    this.probing = probing;
    this.state = initial;
    this.since = clock.instant();
    if (initial == State.DOWN) {
      outages.incrementAndGet();
      startProbeLoop();
    }
  }

  /** The current state. */
  public State state() {
    return state;
  }

  /** True while Redis is in use. */
  public boolean isUp() {
    return state == State.UP;
  }

  /** When the current state began. */
  public Instant since() {
    return since;
  }

  /** A consistent view for reports. */
  public Snapshot snapshot() {
    synchronized (lock) {
      Duration downtime = pastDowntime;
      if (state == State.DOWN) {
        downtime = downtime.plus(Duration.between(since, clock.instant()));
      }
      return new Snapshot(state, since, consecutiveFailures.get(), lastError, lastErrorAt,
          outages.get(), probeAttempts.get(), downtime);
    }
  }

  /**
   * Registers a listener for every later transition.
   *
   * @return a handle whose {@code close()} removes the listener
   */
  public AutoCloseable onTransition(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  /** Records a call that worked; resets the count of consecutive failures. */
  void recordSuccess() {
    if (consecutiveFailures.get() != 0) {
      consecutiveFailures.set(0);
    }
  }

  /**
   * Records a command the server refused to this user (ACL): Redis serves, so nothing counts
   * towards an outage, but the refusal is the last error a health report shows.
   */
  void recordRefusal(String reason) {
    consecutiveFailures.set(0);
    lastError = reason;
    lastErrorAt = clock.instant();
  }

  /**
   * Records a failed (or too slow) call; the {@code failureThreshold}-th in a row switches to
   * DOWN.
   *
   * @return true if this failure switched the state to DOWN
   */
  /**
   * Records a call that waited out the whole socket timeout: DOWN at once, whatever the
   * threshold, so that no later caller waits for a frozen server too (a request that makes two
   * calls used to wait twice, and a burst of callers each once before the count was reached).
   *
   * @return whether this call changed the state
   */
  boolean recordTimeout(String reason) {
    lastError = reason;
    lastErrorAt = clock.instant();
    consecutiveFailures.incrementAndGet();
    return transition(State.UP, State.DOWN, reason);
  }

  boolean recordFailure(String reason) {
    lastError = reason;
    lastErrorAt = clock.instant();
    if (consecutiveFailures.incrementAndGet() >= failureThreshold) {
      return transition(State.UP, State.DOWN, reason);
    }
    return false;
  }

  /**
   * Runs the probe now, on the caller's thread, and moves to the state it shows.
   *
   * @return true if Redis answered
   */
  boolean probeNow() {
    try {
      probe.check();
      transition(State.DOWN, State.UP, "probe succeeded");
      consecutiveFailures.set(0);
      return true;
    } catch (Exception e) {
      String reason = Failures.describe(e);
      lastError = reason;
      lastErrorAt = clock.instant();
      transition(State.UP, State.DOWN, reason);
      return false;
    }
  }

  private boolean transition(State from, State to, String reason) {
    Transition t;
    synchronized (lock) {
      if (state != from) {
        return false;
      }
      Instant now = clock.instant();
      if (from == State.DOWN) {
        pastDowntime = pastDowntime.plus(Duration.between(since, now));
      }
      Duration lasted = Duration.between(since, now);
      state = to;
      since = now;
      t = new Transition(from, to, now, reason);
      if (to == State.DOWN) {
        outages.incrementAndGet();
        log.warn("Redis {} is unavailable ({}); using the in-memory fallback{}", name, reason,
            probing ? " and probing in the background" : "");
      } else {
        consecutiveFailures.set(0);
        log.info("Redis {} is available again after {} ms; using Redis", name, lasted.toMillis());
      }
    }
    announce(t);
    if (to == State.DOWN) {
      startProbeLoop();
    }
    return true;
  }

  private void announce(Transition t) {
    if (listeners.isEmpty()) {
      return;
    }
    try {
      scheduler.execute(() -> {
        for (Listener l : listeners) {
          try {
            l.onTransition(t);
          } catch (RuntimeException | Error e) {
            log.error("A Redis health listener threw on {}; ignored", t, e);
          }
        }
      });
    } catch (RejectedExecutionException closed) {
      log.debug("Redis health listeners not told of {}: connector closed", t);
    }
  }

  /** Stops probing for good (the connector is closing; its scheduler may outlive it). */
  void stop() {
    stopped = true;
  }

  private void startProbeLoop() {
    if (probing && !stopped && probeLoopRunning.compareAndSet(false, true)) {
      scheduleProbe(0);
    }
  }

  private void scheduleProbe(int attempt) {
    Duration delay = backoff.delay(attempt, random.getAsDouble());
    try {
      scheduler.schedule(() -> runProbe(attempt), delay.toNanos(), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      probeLoopRunning.set(false);
    }
  }

  private void runProbe(int attempt) {
    if (state == State.UP || stopped) {
      probeLoopRunning.set(false);
      return;
    }
    probeAttempts.incrementAndGet();
    try {
      probe.check();
    } catch (Exception e) {
      String reason = Failures.describe(e);
      lastError = reason;
      lastErrorAt = clock.instant();
      log.debug("Redis {} probe {} failed: {}", name, attempt + 1, reason);
      scheduleProbe(Math.min(attempt + 1, 64));
      return;
    } catch (Error e) {
      // A probe that dies must not end the loop silently: log it and keep trying.
      log.error("Redis {} probe {} threw an error", name, attempt + 1, e);
      scheduleProbe(Math.min(attempt + 1, 64));
      return;
    }
    probeLoopRunning.set(false);
    transition(State.DOWN, State.UP, "probe succeeded");
  }

  @Override
  public String toString() {
    return "RedisHealth{" + name + " " + state + " since " + since + "}";
  }
}
