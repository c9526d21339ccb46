package dev.ratecache.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import redis.clients.jedis.Jedis;

/**
 * A real Redis Cluster of three masters, with or without a replica each ({@link #withReplicas()}),
 * on free loopback ports, formed without {@code redis-cli}: each master takes a third of the 16384
 * slots with {@code CLUSTER ADDSLOTSRANGE}, the first node meets the others, each replica is told
 * {@code CLUSTER REPLICATE} its master, and the cluster is ready when every running node reports
 * {@code cluster_state:ok}, knows three masters and every replica's link is up (about two seconds,
 * four with replicas). Node timeout 1 s, so a killed master's replica takes over in about two.
 * Also a JUnit 5 extension; share one per test class and {@link #flushAll()} between tests.
 */
public final class RedisCluster extends RedisFixture {
  private static final int SLOTS = 16384;

  private static final int MASTERS = 3;

  private final List<RedisServer> nodes = new ArrayList<>();
  private final List<Integer> busPorts = new ArrayList<>();
  private final TestCertificates certificates;
  /** How many masters {@link #awaitOk} expects: three, more after {@link #addMaster()}. */
  private int masters = MASTERS;

  /** Three masters, not yet started. */
  public RedisCluster() {
    this(null, 0);
  }

  /** Three masters with a replica each (six nodes), not yet started. */
  public static RedisCluster withReplicas() {
    return new RedisCluster(null, 1);
  }

  /**
   * Three masters that also serve TLS with the server certificate of {@code certificates} (no
   * client certificates required), and whose cluster bus and announced ports are TLS ({@code
   * tls-cluster yes}); the plain ports stay open for the fixture's own checks.
   */
  public RedisCluster(TestCertificates certificates) {
    this(certificates, 0);
  }

  private RedisCluster(TestCertificates certificates, int replicasPerMaster) {
    this.certificates = certificates;
    for (int i = 0; i < MASTERS * (1 + replicasPerMaster); i++) {
      nodes.add(newNode());
    }
  }

  /** A cluster-enabled server, not yet started, its bus port recorded beside it. */
  private RedisServer newNode() {
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
    return b.build();
  }

  /**
   * Adds a shard, as scaling out does: starts a new node, has the cluster meet it, and waits until
   * every node knows it as a master. It serves no slots until {@link #moveSlot} gives it some.
   */
  public synchronized RedisServer addMaster() {
    RedisServer added = newNode().start();
    nodes.add(added);
    String port = String.valueOf(added.port());
    String busPort = String.valueOf(busPorts.get(busPorts.size() - 1));
    nodes.get(0).withClient(j -> j.sendCommand(redis.clients.jedis.Protocol.Command.CLUSTER,
        "MEET", "127.0.0.1", port, busPort));
    masters++;
    awaitOk(Duration.ofSeconds(20));
    return added;
  }

  /**
   * Removes a shard that serves no slots any more (move them away first; once its last slot has
   * gone it may be a replica of the node that took it), as {@code redis-cli --cluster del-node}
   * does: every other node forgets it, then it is shut down.
   */
  public synchronized void removeMaster(RedisServer removed) {
    String id = removed.withClient(j -> j.clusterMyId());
    String slots = removed.withClient(j -> j.clusterNodes()).lines()
        .filter(l -> l.contains("myself")).findFirst().orElse("");
    if (slots.split(" ").length > 8) {
      throw new IllegalStateException(removed + " still serves slots: " + slots);
    }
    int index = nodes.indexOf(removed);
    nodes.remove(index);
    busPorts.remove(index);
    for (RedisServer n : nodes) {
      if (n.isRunning()) {
        n.withClient(j -> j.clusterForget(id));
      }
    }
    removed.close();
    masters--;
    awaitOk(Duration.ofSeconds(20));
  }

  /** Starts the nodes and forms the cluster; waits until it serves every slot. */
  public synchronized RedisCluster start() {
    for (RedisServer n : nodes) {
      n.start();
    }
    if (!slotsAssigned(nodes.get(0))) {
      int per = SLOTS / MASTERS;
      for (int i = 0; i < MASTERS; i++) {
        int from = i * per;
        int to = i == MASTERS - 1 ? SLOTS - 1 : from + per - 1;
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
      for (int i = MASTERS; i < nodes.size(); i++) {
        RedisServer replica = nodes.get(i);
        String masterId = nodes.get(i % MASTERS).withClient(j -> j.clusterMyId());
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!replica.withClient(j -> j.clusterNodes()).contains(masterId)) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException(replica + " never learnt of its master " + masterId);
          }
          RedisServer.sleep(25);
        }
        replica.withClient(j -> j.clusterReplicate(masterId));
      }
    }
    awaitOk(Duration.ofSeconds(20));
    return this;
  }

  /** The three nodes that started as masters (the first serving slots 0-5460, and so on). */
  public List<RedisServer> originalMasters() {
    return List.copyOf(nodes.subList(0, MASTERS));
  }

  /** Whether {@code n} is running and a master now (roles change with failovers). */
  public static boolean isMaster(RedisServer n) {
    if (!n.isRunning()) {
      return false;
    }
    try (Jedis j = n.client()) {
      return j.info("replication").contains("role:master");
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Starts any stopped node and gives every original master its slots back (a planned failover
   * on each that is a replica now), so that tests that kill masters leave the next test the
   * cluster as it was formed.
   */
  public void restoreOriginalMasters(Duration timeout) {
    for (RedisServer n : nodes) {
      if (!n.isRunning()) {
        n.start();
      }
    }
    awaitOk(timeout);
    for (RedisServer m : originalMasters()) {
      long deadline = System.nanoTime() + timeout.toNanos();
      long asked = 0;
      while (!isMaster(m)) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException(m + " did not take its slots back:\n" + m.logTail());
        }
        if (System.nanoTime() - asked > 2_000_000_000L) {
          // FORCE: no handshake with the current master (the data is flushed next anyway); asked
          // again if an attempt lapses, as a manual failover can without a word.
          m.withClient(j -> j.clusterFailover(redis.clients.jedis.args.ClusterFailoverOption
              .FORCE));
          asked = System.nanoTime();
        }
        RedisServer.sleep(25);
      }
    }
    awaitOk(timeout);
  }

  /** Asks {@code replica} for a planned failover ({@code CLUSTER FAILOVER}), as maintenance does. */
  public void failover(RedisServer replica) {
    replica.withClient(j -> j.clusterFailover());
  }

  /** {@code host:port,…} of the original masters: the seeds an operator usually configures. */
  public String masterSeeds() {
    StringBuilder b = new StringBuilder();
    for (RedisServer n : originalMasters()) {
      if (b.length() > 0) {
        b.append(',');
      }
      b.append("127.0.0.1:").append(n.port());
    }
    return b.toString();
  }

  /**
   * Waits until exactly three running nodes (or as many as shards were added) are masters, and every running node reports {@code
   * cluster_state:ok}, knows three working masters and, if it is a replica, has its link up.
   */
  public void awaitOk(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      // Three running nodes say they are masters: no demoted master still thinks it is one.
      boolean ok = nodes.stream().filter(RedisCluster::isMaster).count() == masters;
      for (RedisServer n : nodes) {
        if (ok && n.isRunning() && (!stateOk(n) || knownMasters(n) < masters || !linkUp(n))) {
          ok = false;
          break;
        }
      }
      // Every running node has the same masters serving slots, and none suspects a running node
      // (fail? or fail): a node that still does may mark it failed later and answer CLUSTERDOWN,
      // after an ok from every node.
      ok = ok && viewsAgree();
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

  private boolean viewsAgree() {
    java.util.Set<String> running = new java.util.HashSet<>();
    for (RedisServer n : nodes) {
      if (n.isRunning()) {
        running.add(":" + n.port() + "@");
      }
    }
    java.util.Set<String> first = null;
    for (RedisServer n : nodes) {
      if (!n.isRunning()) {
        continue;
      }
      java.util.Set<String> serving = new java.util.TreeSet<>();
      try (Jedis j = n.client()) {
        for (String line : j.clusterNodes().split("\n")) {
          String[] f = line.trim().split(" ");
          if (f.length < 3) {
            continue;
          }
          boolean suspected = f[2].contains("fail");
          boolean isRunning = running.stream().anyMatch(f[1]::contains);
          if (suspected && isRunning) {
            return false;
          }
          if (f[2].contains("master") && !suspected && f.length > 8) {
            serving.add(f[1]);
          }
        }
      } catch (RuntimeException e) {
        return false;
      }
      if (first == null) {
        first = serving;
      } else if (!first.equals(serving)) {
        return false;
      }
    }
    return true;
  }

  private static boolean linkUp(RedisServer n) {
    try (Jedis j = n.client()) {
      String info = j.info("replication");
      return info.contains("role:master") || info.contains("master_link_status:up");
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
    RedisServer owner = ownerNow(slot);
    if (owner != null) {
      return owner;
    }
    // No running master answered for it: a node stalled past a client timeout (a loaded machine)
    // reads as no master. Ask again once every node agrees on the masters serving slots.
    awaitOk(Duration.ofSeconds(30));
    owner = ownerNow(slot);
    if (owner == null) {
      throw new IllegalStateException("no master serves slot " + slot);
    }
    return owner;
  }

  private RedisServer ownerNow(int slot) {
    for (RedisServer n : nodes) {
      if (!n.isRunning() || !isMaster(n)) {
        continue;
      }
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
    return null;
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
    if (isMaster(from)) {
      // A master that gave up its last slot may have learnt it already and turned into a replica
      // of the new owner (cluster-allow-replica-migration), which refuses SETSLOT.
      try {
        from.withClient(j -> j.clusterSetSlotNode(slot, toId));
      } catch (redis.clients.jedis.exceptions.JedisDataException e) {
        if (isMaster(from)) {
          throw e;
        }
      }
    }
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

  /** Deletes every key on every running master (replicas follow). */
  public void flushAll() {
    for (RedisServer n : nodes) {
      if (n.isRunning() && isMaster(n)) {
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
