package dev.ratecache.cli;

import dev.ratecache.ops.HealthReport;
import dev.ratecache.ops.InstanceStats;
import dev.ratecache.ops.RedisServerStats;
import dev.ratecache.ops.WarmupReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/** Plain-text renderings of reports for a terminal; pure. */
final class Format {
  private Format() {}

  static String health(HealthReport r, Instant now) {
    StringBuilder b = new StringBuilder();
    b.append("status:     ").append(r.status()).append(r.healthy() ? "" : "  (memory fallback)")
        .append('\n');
    b.append("backend:    ").append(r.backend()).append(" since ").append(r.since())
        .append(" (").append(duration(Duration.between(r.since(), now))).append(")\n");
    b.append("redis:      ").append(r.endpoint()).append(" [").append(r.topology()).append("]\n");
    if (r.redisVersion() != null) {
      b.append("version:    ").append(r.redisVersion()).append('\n');
    }
    if (r.pingMillis() >= 0) {
      b.append("ping:       ").append(String.format(Locale.ROOT, "%.2f ms", r.pingMillis()))
          .append('\n');
    }
    if (r.usedMemoryBytes() >= 0) {
      b.append("memory:     ").append(bytes(r.usedMemoryBytes())).append(" used of ")
          .append(r.maxMemoryBytes() == 0 ? "no limit" : bytes(r.maxMemoryBytes())).append('\n');
    }
    for (HealthReport.Node n : r.nodes()) {
      b.append("node:       ").append(n.address()).append(' ').append(n.role()).append(' ')
          .append(n.state()).append('\n');
    }
    b.append("outages:    ").append(r.outages()).append(" (").append(duration(r.totalDowntime()))
        .append(" on fallback)\n");
    if (r.failingMasters() != null && !r.failingMasters().isEmpty()) {
      b.append("failing:    ").append(String.join(", ", r.failingMasters()))
          .append(" (their keys use the fallback)\n");
    }
    if (r.events() != null && !r.events().equals("unused")) {
      b.append("events:     ").append(r.events()).append('\n');
    }
    if (r.lastError() != null) {
      b.append("last error: ").append(r.lastError()).append(" at ").append(r.lastErrorAt())
          .append('\n');
    }
    return b.toString();
  }

  static String stats(List<InstanceStats> instances, RedisServerStats redis) {
    StringBuilder b = new StringBuilder();
    if (instances.isEmpty()) {
      b.append("No instance has published statistics (Operations.publishEvery) in the last"
          + " three intervals.\n");
    }
    b.append(String.format(Locale.ROOT, "%-28s %-7s %9s %9s %9s %9s %9s%n", "INSTANCE", "BACKEND",
        "HIT%", "HITS", "MISSES", "ALLOWED", "REJECTED"));
    for (InstanceStats s : instances) {
      b.append(instanceRow(s));
    }
    if (instances.size() != 1) {
      b.append(instanceRow(InstanceStats.total(instances)));
    }
    InstanceStats total = InstanceStats.total(instances);
    TreeSet<String> categories = new TreeSet<>();
    TreeSet<String> profiles = new TreeSet<>();
    for (String k : total.counters().keySet()) {
      String[] parts = k.split("\\.");
      if (parts.length == 3 && parts[0].equals("cache")) {
        categories.add(parts[1]);
      } else if (parts.length == 3 && parts[0].equals("ratelimit")) {
        profiles.add(parts[1]);
      }
    }
    if (!categories.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%n%-16s %9s %9s %9s %9s %9s%n", "CACHE CATEGORY",
          "HIT%", "HITS", "MISSES", "ERRORS", "FALLBACK"));
      for (String c : categories) {
        b.append(String.format(Locale.ROOT, "%-16s %9s %9d %9d %9d %9d%n", c,
            percent(total.hitRatio(c)), total.counter("cache." + c + ".hits"),
            total.counter("cache." + c + ".misses"), total.counter("cache." + c + ".errors"),
            total.counter("cache." + c + ".fallback")));
      }
    }
    if (!profiles.isEmpty()) {
      b.append(String.format(Locale.ROOT, "%n%-16s %9s %9s %9s %11s%n", "RATE-LIMIT PROFILE",
          "ALLOWED", "REJECTED", "FALLBACK", "UNAVAILABLE"));
      for (String p : profiles) {
        b.append(String.format(Locale.ROOT, "%-16s %9d %9d %9d %11d%n", p,
            total.counter("ratelimit." + p + ".allowed"),
            total.counter("ratelimit." + p + ".rejected"),
            total.counter("ratelimit." + p + ".fallback"),
            total.counter("ratelimit." + p + ".unavailable")));
      }
    }
    if (total.counter("near.hits") > 0 || total.counter("events.received") > 0) {
      b.append(String.format(Locale.ROOT,
          "%nnear cache: %d hits served from memory; events: %d published, %d received%n",
          total.counter("near.hits"), total.counter("events.published"),
          total.counter("events.received")));
    }
    if (redis != null) {
      b.append(String.format(Locale.ROOT,
          "%nredis: %d ops/s, %s used of %s, %d keys, %d evicted, %d expired%n",
          redis.opsPerSecond(), bytes(redis.usedMemoryBytes()),
          redis.maxMemoryBytes() == 0 ? "no limit" : bytes(redis.maxMemoryBytes()),
          redis.totalKeys(), redis.evictedKeys(), redis.expiredKeys()));
      for (Map.Entry<String, Long> e : redis.keysByNamespace().entrySet()) {
        b.append(String.format(Locale.ROOT, "  %-22s %10d%s%n", e.getKey(), e.getValue(),
            redis.estimated() ? " (estimated)" : ""));
      }
    }
    return b.toString();
  }

  private static String instanceRow(InstanceStats s) {
    long hits = 0;
    long misses = 0;
    long allowed = 0;
    long rejected = 0;
    for (Map.Entry<String, Long> e : s.counters().entrySet()) {
      String k = e.getKey();
      if (k.startsWith("cache.") && k.endsWith(".hits")) {
        hits += e.getValue();
      } else if (k.startsWith("cache.") && k.endsWith(".misses")) {
        misses += e.getValue();
      } else if (k.startsWith("ratelimit.") && k.endsWith(".allowed")) {
        allowed += e.getValue();
      } else if (k.startsWith("ratelimit.") && (k.endsWith(".rejected")
          || k.endsWith(".unavailable"))) {
        rejected += e.getValue();
      }
    }
    return String.format(Locale.ROOT, "%-28s %-7s %9s %9d %9d %9d %9d%n",
        truncate(s.instance(), 28), s.backend(), percent(s.hitRatio(null)), hits, misses,
        allowed, rejected);
  }

  static String warmup(WarmupReport r) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-24s %8s %10s  %s%n", "WARMER", "ENTRIES", "TIME",
        "RESULT"));
    for (WarmupReport.Result w : r.results()) {
      b.append(String.format(Locale.ROOT, "%-24s %8d %10s  %s%n", truncate(w.name(), 24),
          w.entries(), duration(w.took()), w.succeeded() ? "ok" : "FAILED: " + w.error()));
    }
    b.append(String.format(Locale.ROOT, "%d entries in %s%n", r.entries(), duration(r.took())));
    return b.toString();
  }

  static String percent(double ratio) {
    return String.format(Locale.ROOT, "%.1f%%", ratio * 100);
  }

  static String bytes(long n) {
    if (n < 0) {
      return "?";
    }
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
  }

  static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) {
      return ms + " ms";
    }
    long s = d.getSeconds();
    if (s < 120) {
      return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }
    if (s < 7200) {
      return (s / 60) + " min " + (s % 60) + " s";
    }
    return (s / 3600) + " h " + (s % 3600 / 60) + " min";
  }

  private static String truncate(String s, int n) {
    return s.length() <= n ? s : s.substring(0, n - 1) + "…";
  }
}
