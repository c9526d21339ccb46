package dev.ratecache.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;

/**
 * A real Redis Cluster of three masters (no replicas) on free loopback ports, formed without
 * {@code redis-cli}: each node takes a third of the 16384 slots with
 * {@code CLUSTER ADDSLOTSRANGE}, the first meets the others, and the cluster is ready when every
 * node reports {@code cluster_state:ok} and knows all three masters (about two seconds). Also a
 * JUnit 5 extension; share one per test class and {@link #flushAll()} between tests.
 */
public final class RedisCluster extends RedisFixture {
  private static final int SLOTS = 16384;

  private final List<RedisServer> nodes = new ArrayList<>();
  private final List<Integer> busPorts = new ArrayList<>();

  /** Three masters, not yet started. */
  public RedisCluster() {
    this(null);
  }

  /**
   * Three masters that also serve TLS with the server certificate of {@code certificates} (no
   * client certificates required), and whose cluster bus and announced ports are TLS ({@code
   * tls-cluster yes}); the plain ports stay open for the fixture's own checks.
   */
  public RedisCluster(TestCertificates certificates) {
    for (int i = 0; i < 3; i++) {
      int busPort = Ports.free();
      busPorts.add(busPort);
      RedisServer.Builder b = RedisServer.builder()
          .args("--cluster-enabled", "yes",
              "--cluster-port", String.valueOf(busPort),
              "--cluster-config-file", "nodes.conf",
              "--cluster-node-timeout", "1000",
              // As in production: with a master down, the whole cluster refuses commands.
              "--cluster-require-full-coverage", "yes");
      if (certificates != null) {
        b.tls(certificates, false).args("--tls-cluster", "yes");
      }
      nodes.add(b.build());
    }
  }

  /** Starts the nodes and forms the cluster; waits until it serves every slot. */
  public synchronized RedisCluster start() {
    for (RedisServer n : nodes) {
      n.start();
    }
    if (!slotsAssigned(nodes.get(0))) {
      int per = SLOTS / nodes.size();
      for (int i = 0; i < nodes.size(); i++) {
        int from = i * per;
        int to = i == nodes.size() - 1 ? SLOTS - 1 : from + per - 1;
        nodes.get(i).withClient(j -> j.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER,
            "ADDSLOTSRANGE", String.valueOf(from), String.valueOf(to)));
      }
      RedisServer first = nodes.get(0);
      for (int i = 1; i < nodes.size(); i++) {
        String port = String.valueOf(nodes.get(i).port());
        String busPort = String.valueOf(busPorts.get(i));
        // The bus port must be named: it is not the default port + 10000 here.
        first.withClient(j -> j.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER,
            "MEET", "127.0.0.1", port, busPort));
      }
    }
    awaitOk(Duration.ofSeconds(20));
    return this;
  }

  /** Waits until every running node reports {@code cluster_state:ok} and knows every master. */
  public void awaitOk(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      boolean ok = true;
      for (RedisServer n : nodes) {
        if (!stateOk(n) || knownMasters(n) < nodes.size()) {
          ok = false;
          break;
        }
      }
      if (ok) {
        return;
      }
      RedisServer.sleep(25);
    }
    StringBuilder why = new StringBuilder("cluster not ok within " + timeout);
    for (RedisServer n : nodes) {
      why.append("\n").append(n).append(":\n").append(n.logTail());
    }
    throw new IllegalStateException(why.toString());
  }

  /** True once the cluster was formed (nodes.conf keeps slots across a restart). */
  private static boolean slotsAssigned(RedisServer n) {
    try (Jedis j = n.client()) {
      return j.clusterInfo().contains("cluster_slots_assigned:" + SLOTS);
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static boolean stateOk(RedisServer n) {
    try (Jedis j = n.client()) {
      return j.clusterInfo().contains("cluster_state:ok");
    } catch (RuntimeException e) {
      return false;
    }
  }

  private static long knownMasters(RedisServer n) {
    try (Jedis j = n.client()) {
      return j.clusterNodes().lines()
          .filter(l -> l.contains("master") && !l.contains("fail")).count();
    } catch (RuntimeException e) {
      return 0;
    }
  }

  /** The master that serves {@code slot}, as that master itself says. */
  public RedisServer ownerOf(int slot) {
    for (RedisServer n : nodes) {
      String myself = n.withClient(j -> j.clusterNodes()).lines()
          .filter(l -> l.contains("myself")).findFirst().orElse("");
      String[] f = myself.split(" ");
      for (int i = 8; i < f.length; i++) {
        if (f[i].startsWith("[")) {
          continue; // "[slot->-node]": a migration in progress, not ownership
        }
        String[] range = f[i].split("-");
        int from = Integer.parseInt(range[0]);
        int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
        if (slot >= from && slot <= to) {
          return n;
        }
      }
    }
    throw new IllegalStateException("no master serves slot " + slot);
  }

  /**
   * Moves {@code slot} to {@code to} the way {@code redis-cli --cluster reshard} does, while
   * clients keep working: the target imports, the source migrates, the keys go over one
   * {@code MIGRATE} at a time (so clients meet {@code ASK} in between), then the target, the
   * source and the remaining master are told the new owner, the target first (which bumps its
   * config epoch, so no older gossip can take the slot back).
   *
   * @param betweenKeys runs before each key is migrated, for a test to interleave traffic
   * @return the number of keys migrated
   */
  public int moveSlot(int slot, RedisServer to, Runnable betweenKeys) {
    RedisServer from = ownerOf(slot);
    if (from == to) {
      throw new IllegalArgumentException("slot " + slot + " is already served by " + to);
    }
    String fromId = from.withClient(j -> j.clusterMyId());
    String toId = to.withClient(j -> j.clusterMyId());
    to.withClient(j -> j.clusterSetSlotImporting(slot, fromId));
    from.withClient(j -> j.clusterSetSlotMigrating(slot, toId));
    int moved = 0;
    while (true) {
      List<String> keys = from.withClient(j -> j.clusterGetKeysInSlot(slot, 1));
      if (keys.isEmpty()) {
        break;
      }
      betweenKeys.run();
      from.withClient(j -> j.migrate("127.0.0.1", to.port(), keys.get(0), 0, 5000));
      moved++;
    }
    to.withClient(j -> j.clusterSetSlotNode(slot, toId));
    from.withClient(j -> j.clusterSetSlotNode(slot, toId));
    for (RedisServer n : nodes) {
      if (n != to && n != from) {
        n.withClient(j -> j.clusterSetSlotNode(slot, toId));
      }
    }
    return moved;
  }

  /** The nodes; use them to stop, kill, freeze or restart one. */
  public List<RedisServer> nodes() {
    return List.copyOf(nodes);
  }

  /** Deletes every key on every running master. */
  public void flushAll() {
    for (RedisServer n : nodes) {
      if (n.isRunning()) {
        n.flushAll();
      }
    }
  }

  /** {@code host:port,host:port,host:port}, the form of {@code REDIS_CLUSTER_NODES}. */
  public String seeds() {
    StringBuilder b = new StringBuilder();
    for (RedisServer n : nodes) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append("127.0.0.1:").append(n.port());
    }
    return b.toString();
  }

  /** {@code host:port,…} of the TLS ports (for a cluster built with certificates). */
  public String tlsSeeds(String host) {
    StringBuilder b = new StringBuilder();
    for (RedisServer n : nodes) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append(host).append(':').append(n.tlsPort());
    }
    return b.toString();
  }

  @Override
  RedisCluster startAll() {
    return start();
  }

  @Override
  public void close() {
    for (RedisServer n : nodes) {
      n.close();
    }
  }
}
