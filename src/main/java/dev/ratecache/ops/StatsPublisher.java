package dev.ratecache.ops;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.redis.RedisConnector;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes this instance's counters to Redis every interval, as a small hash
 * {@code ratecache:instances:<id>} that expires after three intervals, so one command sees the
 * whole fleet and instances that stopped disappear by themselves. Skipped while Redis is down.
 */
final class StatsPublisher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(StatsPublisher.class);

  private final RedisConnector connector;
  private final Supplier<InstanceStats> stats;
  private final Duration interval;
  private final ScheduledExecutorService scheduler;

  private StatsPublisher(RedisConnector connector, Supplier<InstanceStats> stats,
      Duration interval) {
    this.connector = connector;
    this.stats = stats;
    this.interval = interval;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratecache-stats-publisher");
      t.setDaemon(true);
      return t;
    });
  }

  /** Publishes now and then every {@code interval} until closed. */
  static StatsPublisher start(RedisConnector connector, Supplier<InstanceStats> stats,
      Duration interval) {
    StatsPublisher p = new StatsPublisher(connector, stats, interval);
    p.scheduler.scheduleWithFixedDelay(p::publishQuietly, 0, interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return p;
  }

  private void publishQuietly() {
    try {
      publish(connector, stats.get(), interval);
    } catch (RuntimeException e) {
      log.debug("Publishing statistics failed", e);
    }
  }

  /**
   * Publishes {@code s} once, to expire after three {@code interval}s; false if Redis is down or
   * failed.
   */
  static boolean publish(RedisConnector connector, InstanceStats s, Duration interval) {
    if (!connector.isAvailable()) {
      return false;
    }
    Map<String, String> fields = new HashMap<>();
    fields.put("instance", s.instance());
    fields.put("updatedAt", String.valueOf(s.updatedAt().toEpochMilli()));
    fields.put("backend", s.backend());
    s.counters().forEach((k, v) -> fields.put("c:" + k, String.valueOf(v)));
    String key = KeySpace.INSTANCES + s.instance();
    long ttl = interval.multipliedBy(3).toMillis();
    try {
      connector.pipelined(p -> {
        p.del(key);
        p.hset(key, fields);
        p.pexpire(key, ttl);
        return null;
      });
      return true;
    } catch (RuntimeException e) {
      return false; // counted and logged (throttled) by the connector
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
