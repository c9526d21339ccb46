package dev.ratecache.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One load per key at a time in this instance, with a bounded wait: the first caller for a key
 * leads and loads; callers arriving meanwhile follow, waiting for the leader at most {@code
 * maxWait}. A follower whose leader is done re-reads the cache; one whose leader is slow or hung
 * stops waiting and loads for itself, so a stuck loader can delay later callers by {@code
 * maxWait} at most, never hang them.
 *
 * <p>A flight whose leader never reports back (its request died in a way nothing saw) is
 * forgotten after twice {@code maxWait}; at most {@code maxFlights} are tracked, so client input
 * cannot grow this without bound. Thread-safe.
 */
final class SingleFlight {
  /** A caller's part in a flight. */
  sealed interface Ticket permits Leader, Follower {}

  /** This caller loads, then must call {@link #complete} or {@link #fail} whatever happens. */
  record Leader(SingleFlight flights, String key, CompletableFuture<Object> flight)
      implements Ticket {
    /** The load is over with {@code value} (null if nothing was loaded or it was not kept). */
    public void complete(Object value) {
      flight.complete(value);
      flights.flights.asMap().remove(key, flight);
    }

    /** The load failed: followers receive the failure. */
    public void fail(Throwable failure) {
      flight.completeExceptionally(failure);
      flights.flights.asMap().remove(key, flight);
    }
  }

  /** Another caller was loading; {@link #await()} waits for it, bounded. */
  record Follower(CompletableFuture<Object> flight, Duration maxWait) implements Ticket {
    /**
     * The leader's value, waiting at most {@code maxWait}.
     *
     * @throws TimeoutException if the leader is still loading (load for yourself)
     * @throws ExecutionException with the leader's failure as its cause
     */
    public Object await() throws TimeoutException, ExecutionException {
      try {
        return flight.get(maxWait.toNanos(), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new TimeoutException("interrupted while waiting for the leader");
      }
    }
  }

  private final Cache<String, CompletableFuture<Object>> flights;
  private final Duration maxWait;

  SingleFlight(Duration maxWait, long maxFlights) {
    this.maxWait = maxWait;
    this.flights = Caffeine.newBuilder()
        .maximumSize(maxFlights)
        .expireAfterWrite(maxWait.multipliedBy(2))
        .build();
  }

  /** Leads a new flight for {@code key}, or follows the one under way. */
  Ticket begin(String key) {
    CompletableFuture<Object> mine = new CompletableFuture<>();
    CompletableFuture<Object> running = flights.asMap().putIfAbsent(key, mine);
    return running == null ? new Leader(this, key, mine) : new Follower(running, maxWait);
  }

  /** Flights under way; for tests of the bound. */
  long size() {
    flights.cleanUp();
    return flights.estimatedSize();
  }
}
