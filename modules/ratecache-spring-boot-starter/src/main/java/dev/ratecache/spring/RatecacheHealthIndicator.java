package dev.ratecache.spring;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.Status;

/**
 * {@code /actuator/health/ratecache}: UP while Redis is in use; while the library serves from its
 * in-memory fallback, {@code ratecache.health.fallback-status} (default DOWN; OUT_OF_SERVICE or
 * a status of your own if the application should stay UP). Reads the connector's health state
 * only: it never waits on the network. Not part of Boot's liveness group, so a Redis outage does
 * not restart instances that keep working without it.
 */
final class RatecacheHealthIndicator implements HealthIndicator {
  private final RedisConnector connector;
  private final Status fallbackStatus;

  RatecacheHealthIndicator(RedisConnector connector, String fallbackStatus) {
    this.connector = connector;
    this.fallbackStatus = new Status(fallbackStatus.trim().toUpperCase(java.util.Locale.ROOT));
  }

  @Override
  public Health health() {
    RedisHealth.Snapshot s = connector.health().snapshot();
    boolean onRedis = connector.isAvailable(); // read once: status and details must agree
    Health.Builder b = onRedis ? Health.up() : Health.status(fallbackStatus);
    b.withDetail("backend", onRedis ? "redis" : "memory")
        .withDetail("redis", connector.settings().describe())
        .withDetail("since", String.valueOf(s.since()))
        .withDetail("events", connector.events().state());
    if (!onRedis && s.lastError() != null) {
      b.withDetail("lastError", s.lastError());
    }
    return b.build();
  }
}
