package dev.ratecache.ops;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * One application instance's counters at a moment, as published to Redis for the fleet view.
 *
 * <p>Counter names: {@code cache.<category>.hits|misses|errors|fallback},
 * {@code ratelimit.<profile>.allowed|rejected|fallback|unavailable}, {@code redis.outages} and
 * {@code redis.fallback_millis}.
 *
 * @param instance the instance id (host and process by default)
 * @param updatedAt when the counters were read
 * @param backend {@code redis} or {@code memory}
 * @param counters counter name to value, sorted by name
 */
public record InstanceStats(String instance, Instant updatedAt, String backend,
    Map<String, Long> counters) {

  public InstanceStats {
    counters = java.util.Collections.unmodifiableMap(new TreeMap<>(counters));
  }

  /** A counter, or 0. */
  public long counter(String name) {
    return counters.getOrDefault(name, 0L);
  }

  /** Cache hits over reads for a category, or for every category when {@code category} is null. */
  public double hitRatio(String category) {
    long hits = 0;
    long misses = 0;
    for (Map.Entry<String, Long> e : counters.entrySet()) {
      String k = e.getKey();
      if (!k.startsWith("cache.") || (category != null && !k.startsWith("cache." + category + "."))) {
        continue;
      }
      if (k.endsWith(".hits")) {
        hits += e.getValue();
      } else if (k.endsWith(".misses")) {
        misses += e.getValue();
      }
    }
    return hits + misses == 0 ? 0 : (double) hits / (hits + misses);
  }

  /** The sum of several instances' counters, as the instance {@code total}. */
  public static InstanceStats total(Iterable<InstanceStats> instances) {
    Map<String, Long> sum = new TreeMap<>();
    Instant latest = Instant.EPOCH;
    boolean anyMemory = false;
    for (InstanceStats s : instances) {
      s.counters().forEach((k, v) -> sum.merge(k, v, Long::sum));
      if (s.updatedAt().isAfter(latest)) {
        latest = s.updatedAt();
      }
      anyMemory |= "memory".equals(s.backend());
    }
    return new InstanceStats("total", latest, anyMemory ? "memory" : "redis", sum);
  }
}
