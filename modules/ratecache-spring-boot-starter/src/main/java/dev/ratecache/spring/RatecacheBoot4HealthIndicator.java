package dev.ratecache.spring;

import dev.ratecache.redis.RedisConnector;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * {@code /actuator/health/ratecache} on Spring Boot 4, whose health API moved to {@code
 * org.springframework.boot.health.contributor} (module {@code spring-boot-health}): the same
 * report as {@link RatecacheHealthIndicator} gives on Boot 3 ({@link HealthState}).
 */
final class RatecacheBoot4HealthIndicator implements HealthIndicator {
  private final RedisConnector connector;
  private final String fallbackStatus;

  RatecacheBoot4HealthIndicator(RedisConnector connector, String fallbackStatus) {
    this.connector = connector;
    this.fallbackStatus = HealthState.normalized(fallbackStatus);
  }

  @Override
  public Health health() {
    HealthState s = HealthState.of(connector, fallbackStatus);
    return Health.status(s.status()).withDetails(s.details()).build();
  }
}
