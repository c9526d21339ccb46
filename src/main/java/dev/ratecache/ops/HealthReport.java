package dev.ratecache.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The state of the cache backend, for a health endpoint, a probe or an on-call engineer.
 *
 * @param status {@code UP} (Redis in use and answering) or {@code DEGRADED} (memory fallback)
 * @param backend {@code redis} or {@code memory}
 * @param since when the current backend came into use
 * @param pingMillis round trip of a {@code PING} (on a cluster, the mean over the serving
 *     masters), or -1 when Redis was not asked
 * @param redisVersion the server's version, or {@code null}
 * @param topology {@code standalone}, {@code sentinel}, {@code cluster} or {@code disabled}
 * @param endpoint where Redis is configured (no credentials)
 * @param nodes every known node with its role and state (one entry for standalone)
 * @param usedMemoryBytes memory used, summed over masters, or -1
 * @param maxMemoryBytes {@code maxmemory}, summed over masters; 0 means no limit; -1 unknown
 * @param lastError the last Redis failure, or {@code null}
 * @param lastErrorAt when it happened, or {@code null}
 * @param outages how many times Redis went down since start
 * @param totalDowntime time spent on the fallback since start
 * @param events the invalidation-event subscription between instances: {@code unused}, {@code
 *     live} or {@code resubscribing}
 * @param failingMasters cluster masters failing now, whose keys alone take the fallback while
 *     the status stays {@code UP} (see {@code RedisConnector.failingMasters()}); empty otherwise
 */
public record HealthReport(
    String status,
    String backend,
    Instant since,
    double pingMillis,
    String redisVersion,
    String topology,
    String endpoint,
    List<Node> nodes,
    long usedMemoryBytes,
    long maxMemoryBytes,
    String lastError,
    Instant lastErrorAt,
    long outages,
    Duration totalDowntime,
    String events,
    List<String> failingMasters) {

  /** Copies the lists. */
  public HealthReport {
    nodes = List.copyOf(nodes);
    failingMasters = List.copyOf(failingMasters);
  }

  /**
   * One Redis node.
   *
   * @param address host:port
   * @param role {@code master} or {@code replica}
   * @param state {@code ok}, or what is wrong ({@code fail}, {@code disconnected})
   */
  public record Node(String address, String role, String state) {}

  /** True when Redis is in use and answered. */
  public boolean healthy() {
    return "UP".equals(status);
  }
}
