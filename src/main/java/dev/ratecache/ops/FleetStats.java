package dev.ratecache.ops;

import dev.ratecache.cache.CacheKeys;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.redis.RedisConnector;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/** Reads what every instance published, and Redis's own figures. */
public final class FleetStats {
  private static final CommandObjects COMMANDS = dev.ratecache.internal.JedisVersions.commandObjects();

  private FleetStats() {}

  /**
   * Every instance's latest published counters, sorted by instance id.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot be reached
   */
  public static List<InstanceStats> instances(RedisConnector connector) {
    List<String> keys = new ArrayList<>();
    connector.executeOnMasters(conn -> {
      ScanParams params = new ScanParams().match(KeySpace.INSTANCES + "*").count(1000);
      String cursor = ScanParams.SCAN_POINTER_START;
      do {
        ScanResult<String> page = conn.executeCommand(COMMANDS.scan(cursor, params));
        keys.addAll(page.getResult());
        cursor = page.getCursor();
      } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
      return null;
    });
    List<InstanceStats> result = new ArrayList<>();
    for (String key : keys) {
      Map<String, String> hash = connector.execute(j -> j.hgetAll(key));
      if (hash == null || hash.isEmpty()) {
        continue; // expired between SCAN and HGETALL
      }
      Map<String, Long> counters = new HashMap<>();
      hash.forEach((field, value) -> {
        if (field.startsWith("c:")) {
          try {
            counters.put(field.substring(2), Long.parseLong(value));
          } catch (NumberFormatException ignored) {
            // a foreign or corrupted field: leave it out rather than fail the report
          }
        }
      });
      long updated = 0;
      try {
        updated = Long.parseLong(hash.getOrDefault("updatedAt", "0"));
      } catch (NumberFormatException ignored) {
        // shown as the epoch
      }
      result.add(new InstanceStats(hash.getOrDefault("instance",
          key.substring(KeySpace.INSTANCES.length())), Instant.ofEpochMilli(updated),
          hash.getOrDefault("backend", "unknown"), counters));
    }
    result.sort(Comparator.comparing(InstanceStats::instance));
    return result;
  }

  /**
   * Redis figures: {@code INFO} summed over masters, and keys per namespace counted by {@code
   * SCAN} up to {@code scanLimit} keys per master (extrapolated beyond it).
   */
  public static RedisServerStats redis(RedisConnector connector, long scanLimit) {
    Map<String, String> infos = connector.executeOnMasters(c ->
        HealthCheck.command(c, "INFO", "stats", "memory", "keyspace"));
    long ops = 0;
    long used = 0;
    long max = 0;
    long evicted = 0;
    long expired = 0;
    for (String info : infos.values()) {
      Map<String, String> f = RedisInfo.parse(info);
      ops += RedisInfo.number(f, "instantaneous_ops_per_sec");
      used += RedisInfo.number(f, "used_memory");
      max += RedisInfo.number(f, "maxmemory");
      evicted += RedisInfo.number(f, "evicted_keys");
      expired += RedisInfo.number(f, "expired_keys");
    }
    long dbSize = connector.executeOnMasters(c -> HealthCheck.integer(c, "DBSIZE")).values()
        .stream().mapToLong(Long::longValue).sum();
    Map<String, Long> counts = new TreeMap<>();
    long[] scanned = {0};
    connector.executeOnMasters(conn -> {
      ScanParams params = new ScanParams().count(1000);
      String cursor = ScanParams.SCAN_POINTER_START;
      long seen = 0;
      do {
        ScanResult<String> page = conn.executeCommand(COMMANDS.scan(cursor, params));
        for (String key : page.getResult()) {
          counts.merge(namespace(key), 1L, Long::sum);
        }
        seen += page.getResult().size();
        cursor = page.getCursor();
      } while (!ScanParams.SCAN_POINTER_START.equals(cursor) && seen < scanLimit);
      synchronized (scanned) {
        scanned[0] += seen;
      }
      return null;
    });
    boolean estimated = scanned[0] < dbSize && scanned[0] > 0;
    if (estimated) {
      double scale = (double) dbSize / scanned[0];
      counts.replaceAll((k, v) -> Math.round(v * scale));
    }
    return new RedisServerStats(ops, used, max, evicted, expired, dbSize, counts, estimated);
  }

  /** The namespace a key is counted under. */
  static String namespace(String key) {
    String category = CacheKeys.category(key);
    return switch (category) {
      case "other" -> key.startsWith(KeySpace.INSTANCES) ? "ratecache" : "other";
      case "rate_limit", "auth" -> category;
      default -> KeySpace.QUERY + category;
    };
  }
}
