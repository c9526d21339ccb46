package dev.ratecache.ops;

import dev.ratecache.internal.Time;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisTopology;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Protocol;

/**
 * Builds a {@link HealthReport}: the equivalent of {@code checkCacheHealth}. While Redis is known
 * to be down the report is built from the health state alone, without touching the network.
 */
public final class HealthCheck {
  private HealthCheck() {}

  /** Checks now. Never throws: a failure shows up as {@code DEGRADED} with its error. */
  public static HealthReport check(RedisConnector connector) {
    RedisSettings settings = connector.settings();
    String topology = settings.enabled()
        ? settings.topology().kind() : "disabled";
    if (connector.isAvailable()) {
      try {
        long start = Time.monotonicNanos();
        // On a cluster, UnifiedJedis.ping() broadcasts and fails if any node does: ask the
        // serving masters one by one instead (a failing one is left out), and take the mean.
        int asked = 1;
        if (settings.topology() instanceof RedisTopology.Cluster) {
          asked = connector.executeOnServingMasters(c -> command(c, "PING")).size();
        } else {
          connector.execute(j -> j.ping());
        }
        double ping = (Time.monotonicNanos() - start) / 1_000_000.0 / asked;
        Map<String, String> infos = connector.executeOnServingMasters(c -> command(c, "INFO",
            "server", "memory"));
        String version = null;
        long used = 0;
        long max = 0;
        for (String info : infos.values()) {
          Map<String, String> fields = RedisInfo.parse(info);
          version = fields.getOrDefault("redis_version", version);
          used += RedisInfo.number(fields, "used_memory");
          max += RedisInfo.number(fields, "maxmemory");
        }
        List<HealthReport.Node> nodes = nodes(connector, infos);
        return report(connector, "UP", "redis", ping, version, topology, nodes, used, max);
      } catch (RuntimeException e) {
        // The failure was recorded by the connector; report what the health state says now.
      }
    }
    return report(connector, "DEGRADED", "memory", -1, null, topology, List.of(), -1, -1);
  }

  private static HealthReport report(RedisConnector connector, String status, String backend,
      double ping, String version, String topology, List<HealthReport.Node> nodes, long used,
      long max) {
    RedisHealth.Snapshot s = connector.health().snapshot();
    boolean up = s.state() == RedisHealth.State.UP && "UP".equals(status);
    return new HealthReport(up ? "UP" : "DEGRADED", up ? backend : "memory", s.since(), ping,
        version, topology, connector.settings().describe(), nodes, used, max, s.lastError(),
        s.lastErrorAt(), s.outages(), s.totalDowntime(), connector.events().state(),
        connector.failingMasters());
  }

  private static List<HealthReport.Node> nodes(RedisConnector connector,
      Map<String, String> masters) {
    List<HealthReport.Node> nodes = new ArrayList<>();
    if (!(connector.settings().topology() instanceof RedisTopology.Cluster)) {
      masters.keySet().forEach(m -> nodes.add(new HealthReport.Node(m, "master", "ok")));
      return nodes;
    }
    String clusterNodes = connector.executeOnServingMasters(c -> command(c, "CLUSTER", "NODES"))
        .values().iterator().next();
    for (String line : clusterNodes.split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 8) {
        continue;
      }
      String address = f[1].contains("@") ? f[1].substring(0, f[1].indexOf('@')) : f[1];
      String flags = f[2];
      String role = flags.contains("master") ? "master" : "replica";
      String state = flags.contains("fail") ? "fail"
          : "connected".equals(f[7]) ? "ok" : "disconnected";
      nodes.add(new HealthReport.Node(address, role, state));
    }
    return nodes;
  }

  /** Runs a command with a bulk-string reply on one node. */
  static String command(Connection c, String command, String... args) {
    return c.executeCommand(new CommandObject<>(arguments(command, args), BuilderFactory.STRING));
  }

  /** Runs a command with an integer reply on one node. */
  static long integer(Connection c, String command, String... args) {
    return c.executeCommand(new CommandObject<>(arguments(command, args), BuilderFactory.LONG));
  }

  private static CommandArguments arguments(String command, String... args) {
    CommandArguments arguments = new CommandArguments(Protocol.Command.valueOf(command));
    for (String a : args) {
      arguments.add(a);
    }
    return arguments;
  }
}
