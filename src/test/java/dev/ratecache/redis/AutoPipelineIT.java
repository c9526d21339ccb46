package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.util.JedisClusterCRC16;

/** Commands from concurrent callers sharing pipelines, against real redis-server processes. */
class AutoPipelineIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static final int CALLERS = 32;

  private final ExecutorService threads = Executors.newFixedThreadPool(CALLERS);
  private RedisConnector connector;

  @AfterEach
  void close() {
    threads.shutdownNow();
    if (connector != null) {
      connector.close();
    }
  }

  private static byte[] key(String k) {
    return k.getBytes(StandardCharsets.UTF_8);
  }

  /** Runs {@code call(i)} on {@link #CALLERS} threads released together; results by index. */
  private List<Future<Object>> together(IntFunction<Object> call) {
    CountDownLatch gate = new CountDownLatch(1);
    List<Future<Object>> futures = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      int n = i;
      Callable<Object> task = () -> {
        gate.await();
        return call.apply(n);
      };
      futures.add(threads.submit(task));
    }
    gate.countDown();
    return futures;
  }

  @Nested
  class Standalone {
    private AutoPipeline pipeline() {
      return pipeline(TestRedis.settings(redis));
    }

    private AutoPipeline pipeline(RedisSettings.Builder settings) {
      if (!redis.isRunning()) {
        redis.start();
      }
      redis.flushAll();
      connector = RedisConnector.create(settings.build());
      assertThat(connector.checkNow()).isTrue();
      return connector.autoPipeline();
    }

    @Test
    void callersQueuedWhileRedisIsBusyShareAFewPipelinesAndEachGetsItsOwnReply()
        throws Exception {
      // Redis holds every command until every caller's is queued or on the wire (however long
      // their threads take to start), then answers: the callers queued up behind the
      // pipelines already on the wire.
      AutoPipeline pipeline = pipeline(TestRedis.settings(redis).socketTimeout(Duration.ofSeconds(30))
          .slowCallThreshold(Duration.ofSeconds(30)));
      AutoPipeline.Counts before = pipeline.counts();
      redis.freeze();
      List<Future<Object>> replies;
      try {
        replies = together(i -> pipeline.execute(key("n" + i),
            pipeline.commands().incrBy(key("n" + i), i + 1)));
        dev.ratecache.testing.Await.until("every command queued or sent", Duration.ofSeconds(20),
            () -> pipeline.counts().commands() - before.commands() + pipeline.queued() == CALLERS);
      } finally {
        redis.thaw();
      }
      for (int i = 0; i < CALLERS; i++) {
        assertThat(replies.get(i).get()).as("reply to caller %d", i).isEqualTo((long) i + 1);
      }
      AutoPipeline.Counts after = pipeline.counts();
      assertThat(after.commands() - before.commands()).as("commands").isEqualTo(CALLERS);
      assertThat(after.pipelines() - before.pipelines()).as("pipelines for %d commands", CALLERS)
          .isLessThanOrEqualTo(6);
      assertThat(redis.<String>withClient(j -> j.get("n31"))).isEqualTo("32");
    }

    @Test
    void anErrorReplyReachesOnlyTheCallerWhoseCommandCausedIt() throws Exception {
      AutoPipeline pipeline = pipeline();
      redis.withClient(j -> j.set("text", "not a number"));
      redis.pauseClients(Duration.ofMillis(100));
      List<Future<Object>> replies = together(i -> {
        try {
          return pipeline.execute(key(i == 7 ? "text" : "c" + i),
              pipeline.commands().incr(key(i == 7 ? "text" : "c" + i)));
        } catch (JedisDataException e) {
          return e;
        }
      });
      for (int i = 0; i < CALLERS; i++) {
        Object reply = replies.get(i).get();
        if (i == 7) {
          assertThat(reply).isInstanceOf(JedisDataException.class);
          assertThat(((Exception) reply).getMessage()).contains("not an integer");
        } else {
          assertThat(reply).as("caller %d", i).isEqualTo(1L);
        }
      }
      assertThat(connector.isAvailable()).as("Redis answered, so it is healthy").isTrue();
    }

    @Test
    void aRedisThatDiesFailsEveryQueuedCallerAndThenEveryCallFailsFast() throws Exception {
      AutoPipeline pipeline = pipeline();
      // Nothing is answered from here until the kill, however long the callers take to start
      // (a pause of 200 ms could run out first on a loaded machine; the kill ends this one).
      redis.pauseClients(Duration.ofMinutes(1));
      long sentBefore = pipeline.counts().commands();
      List<Future<Object>> replies = together(i -> {
        try {
          return pipeline.execute(key("k" + i), pipeline.commands().incr(key("k" + i)));
        } catch (RuntimeException e) {
          return e;
        }
      });
      dev.ratecache.testing.Await.until("every command queued or on the wire",
          () -> pipeline.counts().commands() - sentBefore + pipeline.queued() == CALLERS);
      redis.kill();
      for (Future<Object> f : replies) {
        assertThat(f.get()).isInstanceOf(RedisUnavailableException.class);
      }
      dev.ratecache.testing.Await.until("Redis known down", () -> !connector.isAvailable());
      // Known down: every call fails before touching the network, with the connector's one
      // shared, stack-less exception (a call that tried the network would throw its own).
      java.util.Set<Throwable> thrown = java.util.Collections.newSetFromMap(
          new java.util.IdentityHashMap<>());
      long sent = pipeline.counts().pipelines();
      for (int i = 0; i < 1_000; i++) {
        try {
          pipeline.execute(key("k"), pipeline.commands().incr(key("k")));
          throw new AssertionError("a call succeeded with Redis dead");
        } catch (RedisUnavailableException e) {
          thrown.add(e);
        }
      }
      assertThat(thrown).as("1,000 calls while Redis is known down, one shared exception")
          .hasSize(1);
      assertThat(pipeline.counts().pipelines()).as("nothing sent while down")
          .isEqualTo(sent);
    }
  }

  @Nested
  class Cluster {
    @Test
    void commandsGoToTheMasterOfTheirSlotAndAMovedSlotIsFollowed() throws Exception {
      cluster.awaitOk(Duration.ofSeconds(20));
      cluster.flushAll();
      connector = RedisConnector.create(TestRedis.settings(cluster).build());
      assertThat(connector.checkNow()).isTrue();
      AutoPipeline pipeline = connector.autoPipeline();

      List<Future<Object>> replies = together(i -> pipeline.execute(key("spread:" + i),
          pipeline.commands().incrBy(key("spread:" + i), i + 1)));
      java.util.Set<HostAndPort> nodes = new java.util.HashSet<>();
      for (int i = 0; i < CALLERS; i++) {
        assertThat(replies.get(i).get()).isEqualTo((long) i + 1);
        nodes.add(connector.nodeFor(key("spread:" + i)));
      }
      assertThat(nodes).as("keys spread over every master").hasSize(3);

      // Move an empty slot to another master behind the client's back: the next command meets
      // MOVED, is retried through the client (which follows it), and later ones go straight there.
      byte[] moving = key("moving");
      int slot = JedisClusterCRC16.getSlot(moving);
      HostAndPort owner = connector.nodeFor(moving);
      RedisServer target = cluster.nodes().stream()
          .filter(n -> n.port() != owner.getPort()).findFirst().orElseThrow();
      // As a resharding does (the target's config epoch is bumped, so no stale gossip can hand
      // the slot back, which moving it by hand with SETSLOT NODE alone allowed).
      cluster.moveSlot(slot, target, () -> { });
      assertThat(pipeline.execute(moving, pipeline.commands().incr(moving))).isEqualTo(1L);
      assertThat(pipeline.execute(moving, pipeline.commands().incr(moving))).isEqualTo(2L);
      assertThat(connector.nodeFor(moving).getPort()).isEqualTo(target.port());
      assertThat(target.<String>withClient(j -> j.get("moving"))).isEqualTo("2");
    }
  }
}
