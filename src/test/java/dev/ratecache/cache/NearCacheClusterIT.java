package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisCluster;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Near caches of two instances on a real 3-master cluster: each instance subscribes on whichever
 * node it reaches, and events published on any node cross the cluster bus to both.
 */
class NearCacheClusterIT {
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static long getsOnAllNodes() {
    return cluster.nodes().stream().mapToLong(n -> n.commandCalls("get")).sum();
  }

  @Test
  void writesAndSweepsOnOneInstanceReachTheOthersCopiesAcrossTheCluster() throws Exception {
    cluster.flushAll();
    try (RedisConnector ca = RedisConnector.create(TestRedis.settings(cluster).build());
        RedisConnector cb = RedisConnector.create(TestRedis.settings(cluster).build());
        QueryCache a = QueryCache.builder().connector(ca).nearCache(Duration.ofMinutes(1))
            .build();
        QueryCache b = QueryCache.builder().connector(cb).nearCache(Duration.ofMinutes(1))
            .build()) {
      a.get("query:user:first-read", String.class); // the first read subscribes
      b.get("query:user:first-read", String.class);
      Await.until("subscribed", () -> ca.events().isLive() && cb.events().isLive());
      // Keys spread over different slots and masters.
      long epoch = cb.events().epoch();
      java.util.Set<String> heardKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
      // Told after B's near cache (listeners are told in order, on one thread).
      AutoCloseable listening = cb.events().subscribe(event -> {
        if (event instanceof dev.ratecache.redis.Invalidation.Key k) {
          heardKeys.add(k.key());
        } else if (event instanceof dev.ratecache.redis.Invalidation.Keys ks) {
          heardKeys.addAll(ks.keys());
        }
      });
      java.util.List<String> written = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        a.put("query:chat:id:" + i, "v1-" + i, Duration.ofMinutes(3));
        written.add("query:chat:id:" + i);
      }
      // Wait until B heard every write (a PUBLISH whose reply timed out on a loaded machine is
      // still delivered, so counting A's publishes is not enough), or lost its subscription
      // (then nothing copied before counts): no event of these writes arrives after B's copies.
      Await.until("B heard A's 20 writes",
          () -> heardKeys.containsAll(written) || cb.events().epoch() != epoch);
      listening.close();
      for (int i = 0; i < 20; i++) {
        assertThat(b.get("query:chat:id:" + i, String.class)).contains("v1-" + i);
      }
      long before = getsOnAllNodes();
      for (int i = 0; i < 20; i++) {
        assertThat(b.get("query:chat:id:" + i, String.class)).contains("v1-" + i);
      }
      assertThat(getsOnAllNodes() - before).as("GETs for 20 copied reads").isZero();

      a.put("query:chat:id:7", "v2", Duration.ofMinutes(3));
      Await.until("B sees the write",
          () -> b.get("query:chat:id:7", String.class).orElse("").equals("v2"));

      a.invalidateMatching("query:chat:*");
      for (int i = 0; i < 20; i++) {
        assertThat(a.get("query:chat:id:" + i, String.class)).as("A's own read, at once")
            .isEmpty();
      }
      Await.until("B's copies dropped by the invalidation", () -> {
        for (int i = 0; i < 20; i++) {
          if (b.get("query:chat:id:" + i, String.class).isPresent()) {
            return false;
          }
        }
        return true;
      });
    }
  }
}
