package dev.ratecache.spring;

import dev.ratecache.redis.RedisConnector;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;

/**
 * {@code /actuator/health/ratecache} on Spring Boot 3: UP while Redis is in use; while the
 * library serves from its in-memory fallback, {@code ratecache.health.fallback-status} (default
 * DOWN; OUT_OF_SERVICE or a status of your own if the application should stay UP). Not part of
 * Boot's liveness group, so a Redis outage does not restart instances that keep working without
 * it. Boot 4's health API is {@link RatecacheBoot4HealthIndicator}; both report {@link
 * HealthState}.
 */
final class RatecacheHealthIndicator implements HealthIndicator {
  private final RedisConnector connector;
  private final String fallbackStatus;

  RatecacheHealthIndicator(RedisConnector connector, String fallbackStatus) {
    this.connector = connector;
    this.fallbackStatus = HealthState.normalized(fallbackStatus);
  }

  @Override
  public Health health() {
    HealthState s = HealthState.of(connector, fallbackStatus);
    return Health.status(s.status()).withDetails(s.details()).build();
  }
}
