package dev.ratecache.redis;

import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisClusterException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.providers.ClusterConnectionProvider;

/** What the connector asks a cluster itself: is every slot served, which masters hold slots. */
final class ClusterNodes {
  private ClusterNodes() {}

  /** Asks the first reachable node whether the cluster can serve every slot. */
  static void probe(ClusterConnectionProvider cluster) {
    JedisException last = null;
    for (String node : new ArrayList<>(cluster.getNodes().keySet())) {
      try (Connection conn = cluster.getConnection(HostAndPort.from(node))) {
        String info = conn.executeCommand(new CommandObject<>(
            new CommandArguments(Protocol.Command.CLUSTER).add("INFO"), BuilderFactory.STRING));
        if (info == null || !info.contains("cluster_state:ok")) {
          throw new JedisClusterException("cluster_state is not ok on " + node);
        }
        return;
      } catch (JedisConnectionException e) {
        last = e;
      }
    }
    throw last != null ? last : new JedisConnectionException("no cluster node known");
  }

  /** The masters of a cluster that own slots, read from {@code CLUSTER NODES}. */
  static List<String> masters(ClusterConnectionProvider cluster) {
    JedisException last = null;
    for (String node : new ArrayList<>(cluster.getNodes().keySet())) {
      try (Connection conn = cluster.getConnection(HostAndPort.from(node))) {
        String nodes = conn.executeCommand(new CommandObject<>(
            new CommandArguments(Protocol.Command.CLUSTER).add("NODES"), BuilderFactory.STRING));
        return parseMasters(nodes);
      } catch (JedisConnectionException e) {
        last = e;
      }
    }
    throw last != null ? last : new JedisConnectionException("no cluster node known");
  }

  /**
   * Reads the connected masters that own slots from {@code CLUSTER NODES} output; each line is
   * {@code id ip:port@cport[,hostname] flags master-id ping pong epoch link-state slot…}.
   */
  static List<String> parseMasters(String clusterNodes) {
    List<String> masters = new ArrayList<>();
    for (String line : clusterNodes.split("\n")) {
      String[] f = line.trim().split(" ");
      if (f.length < 9) {
        continue; // a master with no slots holds no keys
      }
      String flags = f[2];
      if (!flags.contains("master") || flags.contains("fail") || !"connected".equals(f[7])) {
        continue;
      }
      String address = f[1];
      int at = address.indexOf('@');
      masters.add(at < 0 ? address : address.substring(0, at));
    }
    return masters;
  }
}
