package dev.ratecache.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real master and one real Sentinel ({@code redis-server --sentinel}) monitoring it as
 * {@code mymaster}, on free loopback ports; also a JUnit 5 extension.
 */
public final class RedisSentinel extends RedisFixture {
  public static final String MASTER_NAME = "mymaster";

  private final RedisServer master;
  private final RedisServer replica;
  private final TestCertificates certificates;
  private final int port = Ports.free();
  private final int tlsPort;
  private Process process;
  private Path dir;

  /** A master and a sentinel. */
  public RedisSentinel() {
    this(false);
  }

  /** A master, a sentinel and, if {@code withReplica}, a replica the sentinel can promote. */
  public RedisSentinel(boolean withReplica) {
    this.certificates = null;
    this.tlsPort = -1;
    this.master = RedisServer.builder().build();
    this.replica = withReplica ? RedisServer.builder()
        .args("--replicaof", "127.0.0.1", String.valueOf(master.port())).build() : null;
  }

  /**
   * A master and a sentinel that both also listen for TLS (server certificate of {@code
   * certificates}, no client certificates); the sentinel monitors the master over TLS, so it names
   * the master's TLS port. A client reaches both over TLS.
   */
  public RedisSentinel(TestCertificates certificates) {
    this.certificates = certificates;
    this.tlsPort = Ports.free();
    this.master = RedisServer.builder().tls(certificates, false).build();
    this.replica = null;
  }

  /** The master port the sentinel monitors: its TLS port when built with certificates. */
  private int monitoredPort() {
    return certificates != null ? master.tlsPort() : master.port();
  }

  /** Starts the master and the sentinel; waits until the sentinel names the master. */
  public synchronized RedisSentinel start() {
    master.start();
    if (replica != null) {
      replica.start();
      awaitReplicaSynced();
    }
    try {
      dir = Files.createTempDirectory("redis-sentinel-" + port + "-");
      Path conf = dir.resolve("sentinel.conf");
      List<String> tls = certificates == null ? List.of() : List.of(
          "tls-port " + tlsPort,
          "tls-cert-file " + certificates.serverCert(),
          "tls-key-file " + certificates.serverKey(),
          "tls-ca-cert-file " + certificates.caCert(),
          "tls-auth-clients no",
          "tls-replication yes");
      Files.writeString(conf, String.join("\n", tls) + "\n" + String.join("\n",
          "port " + port,
          "bind 127.0.0.1",
          "protected-mode no",
          "dir " + dir,
          "logfile " + dir.resolve("sentinel.log"),
          "sentinel monitor " + MASTER_NAME + " 127.0.0.1 " + monitoredPort() + " 1",
          "sentinel down-after-milliseconds " + MASTER_NAME + " 1000",
          "sentinel failover-timeout " + MASTER_NAME + " 2000",
          ""));
      process = new ProcessBuilder(RedisBinary.path().toString(), conf.toString(), "--sentinel")
          .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
      ProcessReaper.register(process);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", port))) {
        List<String> addr = j.sentinelGetMasterAddrByName(MASTER_NAME);
        if (addr != null && addr.size() == 2
            && addr.get(1).equals(String.valueOf(monitoredPort()))) {
          return this;
        }
      } catch (RuntimeException notYet) {
        // starting
      }
      RedisServer.sleep(20);
    }
    throw new IllegalStateException("sentinel on port " + port + " did not come up");
  }

  private void awaitReplicaSynced() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      String info = replica.withClient(j -> j.info("replication"));
      if (info.contains("master_link_status:up")) {
        return;
      }
      RedisServer.sleep(20);
    }
    throw new IllegalStateException("replica did not sync with the master");
  }

  /** The master the sentinel currently names, as host:port. */
  public String currentMaster() {
    try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", port))) {
      List<String> addr = j.sentinelGetMasterAddrByName(MASTER_NAME);
      return addr.get(0) + ":" + addr.get(1);
    }
  }

  /** The monitored master (as started). */
  public RedisServer master() {
    return master;
  }

  /** The replica, or {@code null}. */
  public RedisServer replica() {
    return replica;
  }

  /** The sentinel's plain port. */
  public int port() {
    return port;
  }

  /** The sentinel's TLS port; -1 unless built with certificates. */
  public int tlsPort() {
    return tlsPort;
  }

  /** The certificates the sentinel and master were built with, or {@code null}. */
  public TestCertificates certificates() {
    return certificates;
  }

  @Override
  RedisSentinel startAll() {
    return start();
  }

  @Override
  public void close() {
    if (process != null) {
      ProcessReaper.kill(process);
    }
    if (replica != null) {
      replica.close();
    }
    master.close();
  }
}
