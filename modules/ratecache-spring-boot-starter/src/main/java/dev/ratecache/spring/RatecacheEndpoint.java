package dev.ratecache.spring;

import dev.ratecache.ops.HealthReport;
import dev.ratecache.ops.InstanceStats;
import dev.ratecache.ops.Operations;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.lang.Nullable;

/**
 * The Actuator endpoint {@code ratecache}: what the library's admin endpoint and CLI show, the
 * Boot way (exposed and secured like every Actuator endpoint: {@code
 * management.endpoints.web.exposure.include=ratecache}, and Spring Security for the writes).
 *
 * <ul>
 *   <li>{@code GET /actuator/ratecache}: health (with detail), this instance's counters, what every
 *       instance published and their total. No Redis scan.
 *   <li>{@code GET /actuator/ratecache/redis}: Redis-side figures (a bounded scan: at most 100,000
 *       keys per master).
 *   <li>{@code POST /actuator/ratecache/clear}, body {@code {"pattern":"query:user:*"}} (or none,
 *       for every key the library owns): removes matching keys for every instance; a pattern
 *       outside the library's namespaces is refused with 400.
 *   <li>{@code POST /actuator/ratecache/warm}: runs warm-up.
 *   <li>{@code GET /actuator/ratecache/overrides}: the rate limiter's runtime overrides.
 *   <li>{@code POST /actuator/ratecache/override}, body {@code {"kind":"limit","profile":"chat",
 *       "subject":"key:acme","value":"200/1m","ttl":"1h"}} ({@code kind} {@code plan} with the
 *       plan as {@code value}, or {@code deny}): writes one, applied by every instance;
 *       {@code POST /actuator/ratecache/remove-override} with {@code kind}, {@code subject}
 *       (and the {@code profile} of a limit) removes one. 400 for a malformed one.
 *   <li>{@code GET /actuator/ratecache/explain?path=/api/auth/login&method=POST&client=…}: what
 *       the rate limiter would do with that client's next request, and why (also {@code plan},
 *       {@code account}, {@code profile}); {@code GET /actuator/ratecache/audit?count=50}: the
 *       audit trail; {@code POST /actuator/ratecache/reset} with {@code {"subject":…,
 *       "profile":…}}: resets one client's buckets and locks.
 * </ul>
 */
@Endpoint(id = "ratecache")
public class RatecacheEndpoint {
  private final Operations operations;

  public RatecacheEndpoint(Operations operations) {
    this.operations = Objects.requireNonNull(operations, "operations");
  }

  /** Health, this instance and the fleet. */
  @ReadOperation
  public Map<String, Object> summary() {
    Map<String, Object> body = new LinkedHashMap<>();
    HealthReport health = operations.health();
    body.put("health", health);
    body.put("instance", operations.localStats());
    try {
      List<InstanceStats> fleet = operations.fleet();
      body.put("fleet", fleet);
      body.put("total", InstanceStats.total(fleet));
    } catch (RuntimeException redisUnavailable) {
      body.put("fleet", Map.of("error", "Redis unavailable: " + redisUnavailable.getMessage()));
    }
    return body;
  }

  /** {@code redis}: Redis-side figures. */
  @ReadOperation
  public Object part(@Selector String part, @Nullable String path, @Nullable String method,
      @Nullable String client, @Nullable String plan, @Nullable String account,
      @Nullable String profile, @Nullable Integer count) {
    switch (part) {
      case "overrides" -> {
        return operatorCall(operations::listOverrides);
      }
      case "explain" -> {
        return operatorCall(() -> operations.explain(path, method, client, plan, account,
            profile));
      }
      case "audit" -> {
        return operatorCall(() -> operations.audit(count == null ? 50 : count));
      }
      case "redis" -> {
        // below
      }
      default -> throw new InvalidEndpointRequestException("no part '" + part
          + "' (there are: redis, overrides, explain, audit)", "no such part");
    }
    try {
      return operations.redisStats();
    } catch (RuntimeException redisUnavailable) {
      return Map.of("error", "Redis unavailable: " + redisUnavailable.getMessage());
    }
  }

  /** {@code clear} (with an optional pattern) or {@code warm}. */
  @WriteOperation
  public Object act(@Selector String action, @Nullable String pattern, @Nullable String kind,
      @Nullable String profile, @Nullable String subject, @Nullable String value,
      @Nullable String ttl, @Nullable String account) {
    switch (action) {
      case "override" -> {
        return operatorCall(() -> operations.override(kind, profile, subject, value, ttl));
      }
      case "reset" -> {
        return operatorCall(() -> operations.resetClient(profile, subject, account));
      }
      case "remove-override" -> {
        return operatorCall(() -> Map.of("removed",
            operations.removeOverride(kind, profile, subject)));
      }
      case "clear" -> {
        String refused = pattern == null ? null : Operations.checkPattern(pattern);
        if (refused != null) {
          throw new InvalidEndpointRequestException("pattern " + refused, "pattern refused");
        }
        return Map.of("removed", operations.clear(pattern, n -> { }));
      }
      case "warm" -> {
        return operations.warm();
      }
      default -> throw new InvalidEndpointRequestException("no action '" + action
          + "' (there are: clear, warm, override, remove-override, reset)", "no such action");
    }
  }

  /** A malformed override is the caller's error (400); one that cannot be made says why. */
  private static Object operatorCall(java.util.function.Supplier<Object> call) {
    try {
      return call.get();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InvalidEndpointRequestException(e.getMessage(), "override refused");
    }
  }
}
