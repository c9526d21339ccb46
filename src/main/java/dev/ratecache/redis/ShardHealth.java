package dev.ratecache.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import redis.clients.jedis.HostAndPort;

/**
 * Which cluster masters are failing, so that one shard's failure is that shard's alone: calls for
 * keys on a failing master fail fast (their callers take the fallback for those keys), calls for
 * keys elsewhere go on using Redis, and the connector's health stays UP until every known master
 * fails. A failing master is retried (a call is let through) once its quarantine ends, the
 * quarantine doubling per failed retry up to the probe's cap; the connector also renews its slot
 * map and pings the master in the background, so that keys whose slots moved to a promoted
 * replica reach it at once. Bounded by the number of cluster nodes. Thread-safe.
 */
final class ShardHealth {
  private final Backoff backoff;
  private final LongSupplier nanos;
  private final ConcurrentHashMap<HostAndPort, Quarantine> failing = new ConcurrentHashMap<>();

  /** A failing master: until when calls fail fast, and how many retries failed in a row. */
  private record Quarantine(long untilNanos, int attempt, String reason) {}

  ShardHealth(Backoff backoff, LongSupplier nanos) {
    this.backoff = backoff;
    this.nanos = nanos;
  }

  /** Whether calls for {@code node} should fail fast now (false once its quarantine ended). */
  boolean failsFast(HostAndPort node) {
    if (failing.isEmpty() || node == null) {
      return false;
    }
    Quarantine q = failing.get(node);
    return q != null && nanos.getAsLong() - q.untilNanos < 0;
  }

  /**
   * Records that a call to {@code node} could not be served.
   *
   * @return true if {@code node} was not failing before (a new shard failure, worth a log line)
   */
  boolean failed(HostAndPort node, String reason) {
    boolean[] fresh = {false};
    failing.compute(node, (n, q) -> {
      int attempt = q == null ? 0 : q.attempt + 1;
      fresh[0] = q == null;
      long delay = backoff.delay(attempt, 0.5).toNanos();
      return new Quarantine(nanos.getAsLong() + delay, attempt, reason);
    });
    return fresh[0];
  }

  /** Records that {@code node} served a call: it is no longer failing. */
  boolean recovered(HostAndPort node) {
    return !failing.isEmpty() && node != null && failing.remove(node) != null;
  }

  /** Forgets every failing master (the connector's client was rebuilt, or Redis went DOWN). */
  void clear() {
    failing.clear();
  }

  /** The failing masters, as {@code host:port}. */
  List<String> failing() {
    return failing.keySet().stream().map(HostAndPort::toString).sorted().toList();
  }

  /** The failing masters themselves. */
  java.util.Set<HostAndPort> failingNodes() {
    return java.util.Set.copyOf(failing.keySet());
  }

  /** The reason a master is failing, or null. */
  String reason(HostAndPort node) {
    Quarantine q = failing.get(node);
    return q == null ? null : q.reason;
  }

  /** Time until the earliest retry, for scheduling the background check. */
  Duration untilNextRetry() {
    long now = nanos.getAsLong();
    long min = Long.MAX_VALUE;
    for (Quarantine q : failing.values()) {
      min = Math.min(min, Math.max(0, q.untilNanos - now));
    }
    return min == Long.MAX_VALUE ? Duration.ZERO : Duration.ofNanos(min);
  }
}
