package dev.ratecache.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One load per key at a time in this instance, with a bounded wait: the first caller for a key
 * leads and loads; callers arriving meanwhile follow and wait for the leader, but never past
 * {@code maxWait} after the leader started. A follower whose leader is done re-reads the cache;
 * one whose leader is slow or hung stops waiting and loads for itself. A caller arriving when the
 * flight is older than {@code maxWait} does not wait at all: it leads a new flight, so a leader
 * whose request died without a word (an exception no JAX-RS filter saw) delays only the callers
 * of its first {@code maxWait}, never those after.
 *
 * <p>A leader's failure reaches its followers, so a failing load runs once per flight, not once
 * per caller. With a {@code failureMemory} above zero, a failed flight is kept that long after
 * it failed, and callers arriving meanwhile receive the same failure without loading (a stampede
 * on a failing key then costs one load per memory period).
 *
 * <p>At most {@code maxFlights} flights are tracked, each for at most twice {@code maxWait} (or
 * {@code maxWait} plus the failure memory, if longer), so client input cannot grow this without
 * bound. Time comes from {@code ticker}. Thread-safe.
 */
final class SingleFlight {
  /** A caller's part in a flight. */
  sealed interface Ticket permits Leader, Follower {}

  /** One load under way: its result, when its leader started, and when it failed. */
  private static final class Flight {
    final CompletableFuture<Object> result = new CompletableFuture<>();
    final long startNanos;
    volatile long failedNanos;

    Flight(long startNanos) {
      this.startNanos = startNanos;
    }
  }

  /** This caller loads, then must call {@link #complete} or {@link #fail} whatever happens. */
  static final class Leader implements Ticket {
    private final SingleFlight flights;
    private final String key;
    private final Flight flight;

    private Leader(SingleFlight flights, String key, Flight flight) {
      this.flights = flights;
      this.key = key;
      this.flight = flight;
    }

    /** The load is over with {@code value} (null if nothing was loaded or it was not kept). */
    void complete(Object value) {
      flight.result.complete(value);
      flights.flights.asMap().remove(key, flight);
    }

    /**
     * The load failed: followers receive the failure, and so do callers arriving within the
     * failure memory.
     */
    void fail(Throwable failure) {
      flight.failedNanos = flights.ticker.read();
      flight.result.completeExceptionally(failure);
      if (flights.failureMemoryNanos == 0) {
        flights.flights.asMap().remove(key, flight);
      }
    }
  }

  /** Another caller is loading; {@link #await()} waits for it, bounded. */
  static final class Follower implements Ticket {
    private final CompletableFuture<Object> result;
    private final long waitNanos;

    private Follower(CompletableFuture<Object> result, long waitNanos) {
      this.result = result;
      this.waitNanos = waitNanos;
    }

    /** How long {@link #await()} waits at most: what is left of the leader's budget. */
    Duration maxWait() {
      return Duration.ofNanos(waitNanos);
    }

    /** Whether the leader has completed or failed (never waits). */
    boolean isDone() {
      return result.isDone();
    }

    /**
     * The leader's value.
     *
     * @throws TimeoutException if the leader is still loading at the end of its budget (load
     *     for yourself)
     * @throws ExecutionException with the leader's failure as its cause
     */
    Object await() throws TimeoutException, ExecutionException {
      try {
        return result.get(waitNanos, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TimeoutException("interrupted while waiting for the leader");
      }
    }
  }

  private final Cache<String, Flight> flights;
  private final long maxWaitNanos;
  private final long failureMemoryNanos;
  private final Ticker ticker;

  SingleFlight(Duration maxWait, long maxFlights, Ticker ticker) {
    this(maxWait, Duration.ZERO, maxFlights, ticker);
  }

  SingleFlight(Duration maxWait, Duration failureMemory, long maxFlights, Ticker ticker) {
    this.maxWaitNanos = maxWait.toNanos();
    this.failureMemoryNanos = failureMemory.toNanos();
    this.ticker = ticker;
    Duration kept = maxWait.plus(failureMemory);
    this.flights = Caffeine.newBuilder()
        .maximumSize(maxFlights)
        .expireAfterWrite(kept.compareTo(maxWait.multipliedBy(2)) > 0 ? kept
            : maxWait.multipliedBy(2))
        .ticker(ticker)
        .executor(Runnable::run) // maintenance on the caller's thread: no pool to hand work to
        .build();
  }

  /**
   * Leads a new flight for {@code key}, follows the one under way, or, if that one is older than
   * the wait, leads a flight that replaces it.
   */
  Ticket begin(String key) {
    while (true) {
      long now = ticker.read();
      Flight mine = new Flight(now);
      Flight running = flights.asMap().putIfAbsent(key, mine);
      if (running == null) {
        return new Leader(this, key, mine);
      }
      long left = running.startNanos + maxWaitNanos - now;
      if (left > 0 && !running.result.isDone()) {
        return new Follower(running.result, left);
      }
      if (running.result.isCompletedExceptionally()
          && now - running.failedNanos < failureMemoryNanos) {
        return new Follower(running.result, 0); // a failure still remembered: no new load
      }
      if (running.result.isDone() || flights.asMap().replace(key, running, mine)) {
        if (running.result.isDone()) {
          flights.asMap().remove(key, running); // finished just now, or forgotten: try again
          continue;
        }
        return new Leader(this, key, mine); // the old leader overran its budget: lead anew
      }
      // another caller replaced it first: look again
    }
  }

  /** Flights under way; for tests of the bound. */
  long size() {
    flights.cleanUp();
    return flights.estimatedSize();
  }
}
