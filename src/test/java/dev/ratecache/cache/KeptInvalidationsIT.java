package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An invalidation that cannot reach Redis is not lost: Redis frozen (every call times out), or
 * refusing writes for want of memory. Two instances share one real Redis; instance A
 * invalidates a key that Redis still holds. A never serves the old value meanwhile, and once
 * Redis takes writes again the removal is made (on the health transition, or by the retry when
 * nothing announces that writes work again), so instance B, which never heard of the
 * invalidation, misses too.
 */
class KeptInvalidationsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final String KEY = "query:user:id:7";
  private final List<RedisConnector> connectors = new ArrayList<>();
  private QueryCache a;
  private QueryCache b;

  @BeforeEach
  void start() {
    redis.flushAll();
    a = cache();
    b = cache();
    a.put(KEY, "before", Duration.ofMinutes(5));
    assertThat(b.get(KEY, String.class)).contains("before");
  }

  private QueryCache cache() {
    RedisConnector c = RedisConnector.create(TestRedis.settings(redis).build());
    connectors.add(c);
    return QueryCache.builder().connector(c).build();
  }

  @AfterEach
  void stop() {
    redis.withClient(j -> j.configSet("maxmemory", "0"));
    for (QueryCache c : List.of(a, b)) {
      c.close();
    }
    connectors.forEach(RedisConnector::close);
  }

  @Test
  void anInvalidationMadeWhileRedisIsFrozenIsMadeWhenItAnswersAgain() {
    redis.freeze();
    try {
      a.invalidate(KEY);
      assertThat(a.stores().pendingInvalidations()).as("kept for later").isEqualTo(1);
      assertThat(a.get(KEY, String.class)).as("A meanwhile").isEmpty();
    } finally {
      redis.thaw();
    }
    Await.until("the kept invalidation made", () -> a.stores().pendingInvalidations() == 0);
    assertThat(b.get(KEY, String.class)).as("B, which never heard of it").isEmpty();
  }

  @Test
  void anInvalidationRefusedForWantOfMemoryIsMadeOnceRedisTakesWritesAgain() {
    redis.withClient(j -> j.configSet("maxmemory-policy", "noeviction"));
    redis.withClient(j -> j.configSet("maxmemory", "1"));
    a.invalidate(KEY);
    assertThat(a.stores().pendingInvalidations()).as("kept for later").isEqualTo(1);
    assertThat(a.get(KEY, String.class)).as("A while Redis refuses writes").isEmpty();
    String held = redis.withClient(j -> j.get(KEY));
    assertThat(held).as("what Redis still holds")
        .isEqualTo("\"before\"");
    redis.withClient(j -> j.configSet("maxmemory", "0"));
    Await.until("the kept invalidation made by the retry",
        () -> a.stores().pendingInvalidations() == 0);
    assertThat(b.get(KEY, String.class)).as("B, which never heard of it").isEmpty();
  }
}
