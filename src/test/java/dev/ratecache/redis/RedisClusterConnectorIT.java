package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisHealth.State;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The connection layer against a real three-master Redis Cluster. */
class RedisClusterConnectorIT {
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private RedisConnector connector;

  @BeforeEach
  void clean() {
    for (RedisServer n : cluster.nodes()) {
      if (!n.isRunning()) {
        n.start();
      }
    }
    cluster.awaitOk(Duration.ofSeconds(20));
    cluster.flushAll();
  }

  @AfterEach
  void close() {
    if (connector != null) {
      connector.close();
    }
  }

  @Test
  void keysSpreadOverEveryMaster() {
    connector = RedisConnector.create(TestRedis.settings(cluster).build());
    for (int i = 0; i < 300; i++) {
      String key = "k" + i;
      connector.run(j -> j.set(key, "v"));
    }
    long total = 0;
    for (RedisServer n : cluster.nodes()) {
      long size = n.withClient(j -> j.dbSize());
      assertThat(size).as("keys on %s", n).isPositive();
      total += size;
    }
    assertThat(total).isEqualTo(300);
  }

  @Test
  void executeOnMastersVisitsEachMasterOnce() {
    connector = RedisConnector.create(TestRedis.settings(cluster).build());
    for (int i = 0; i < 100; i++) {
      String key = "m" + i;
      connector.run(j -> j.set(key, "v"));
    }
    Map<String, Long> sizes = connector.executeOnMasters(conn -> conn.executeCommand(
        new redis.clients.jedis.CommandObject<>(
            new redis.clients.jedis.CommandArguments(redis.clients.jedis.Protocol.Command.DBSIZE),
            redis.clients.jedis.BuilderFactory.LONG)));
    assertThat(sizes).hasSize(3);
    assertThat(sizes.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(100);
  }

  @Test
  void aDeadMasterFailsFastWithinTheRetryBudgetAndRecovers() {
    connector = RedisConnector.create(TestRedis.settings(cluster).failureThreshold(1).build());
    connector.run(j -> j.set("warm", "1"));
    RedisServer victim = cluster.nodes().get(1);
    victim.kill();

    // Find a key owned by the dead master: its call must give up within the retry budget.
    boolean sawUnavailable = false;
    for (int i = 0; i < 50 && !sawUnavailable; i++) {
      String key = "probe" + i;
      try {
        connector.execute(j -> j.get(key));
      } catch (RedisUnavailableException e) {
        sawUnavailable = true;
      }
    }
    assertThat(sawUnavailable).isTrue();
    // Ended by the client's own bounds (REDIS_CLUSTER_MAX_ATTEMPTS, REDIS_CLUSTER_MAX_RETRY_MS),
    // not by a socket timeout or a hang: read from the reason, which a slow machine cannot blur.
    assertThat(connector.health().snapshot().lastError()).as("why the call gave up")
        .containsAnyOf("No more cluster attempts left", "Cluster retry deadline exceeded");
    assertThat(connector.health().state()).isEqualTo(State.DOWN);

    victim.start();
    cluster.awaitOk(Duration.ofSeconds(20));
    RedisConnectorIT.awaitState(connector, State.UP, Duration.ofSeconds(10));
    for (int i = 0; i < 50; i++) {
      String key = "after" + i;
      connector.run(j -> j.set(key, "v"));
    }
  }

  @Test
  void unreachableSeedsDoNotFailConstructionAndReportUnavailable() {
    RedisSettings nowhere = RedisSettings.builder()
        .cluster("127.0.0.1:" + dev.ratecache.testing.Ports.free())
        .connectTimeout(Duration.ofMillis(100)).failureThreshold(1).build();
    connector = RedisConnector.create(nowhere);
    assertThatThrownBy(() -> connector.execute(j -> j.get("x")))
        .isInstanceOf(RedisUnavailableException.class);
    assertThat(connector.isAvailable()).isFalse();
  }
}
