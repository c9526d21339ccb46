package dev.ratecache.spring;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@code ratecache} health indicator reports, whichever Actuator health API the
 * application's Boot has (Boot 3's {@code org.springframework.boot.actuate.health}, Boot 4's
 * {@code org.springframework.boot.health.contributor}): UP while Redis is in use, else the
 * configured fallback status, with the same details. Reads the connector's health state only: it
 * never waits on the network.
 *
 * @param status {@code UP}, or the fallback status while the library serves from memory
 * @param details backend, Redis, since, events and, on the fallback, the last error
 */
record HealthState(String status, Map<String, Object> details) {
  /** The property naming the status reported while the library serves from memory. */
  static final String FALLBACK_STATUS_PROPERTY = "ratecache.health.fallback-status";

  static HealthState of(RedisConnector connector, String fallbackStatus) {
    RedisHealth.Snapshot s = connector.health().snapshot();
    boolean onRedis = connector.isAvailable(); // read once: status and details must agree
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("backend", onRedis ? "redis" : "memory");
    details.put("redis", connector.settings().describe());
    details.put("since", String.valueOf(s.since()));
    details.put("events", connector.events().state());
    if (!connector.failingMasters().isEmpty()) {
      details.put("failingMasters", connector.failingMasters());
    }
    if (!onRedis && s.lastError() != null) {
      details.put("lastError", s.lastError());
    }
    return new HealthState(onRedis ? "UP" : normalized(fallbackStatus), details);
  }

  static String normalized(String status) {
    return status.trim().toUpperCase(Locale.ROOT);
  }
}
