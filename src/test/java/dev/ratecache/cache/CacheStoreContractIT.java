package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** One contract, run against Redis (standalone and cluster) and the in-memory store. */
class CacheStoreContractIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  abstract static class Contract {
    CacheStore store;

    abstract CacheStore create();

    /** Lets {@code d} pass for the store's TTLs. */
    abstract void elapse(Duration d) throws Exception;

    @BeforeEach
    void setUp() {
      store = create();
    }

    @Test
    void putGetDeleteAndTtl() {
      assertThat(store.get("query:user:email:a")).isNull();
      long written = System.nanoTime();
      store.put("query:user:email:a", "{\"n\":1}", Duration.ofSeconds(300));
      assertThat(store.get("query:user:email:a")).isEqualTo("{\"n\":1}");
      // What is left of 300 s: less by no more than the time since the write, however slow.
      long ttl = store.ttlMillis("query:user:email:a");
      assertThat(ttl).isBetween(300_000L - millisSince(written), 300_000L);
      assertThat(store.delete("query:user:email:a")).isTrue();
      assertThat(store.delete("query:user:email:a")).isFalse();
      assertThat(store.ttlMillis("query:user:email:a")).isEqualTo(-2);
    }

    @Test
    void entriesExpireAfterTheirOwnTtl() throws Exception {
      store.put("short", "1", Duration.ofMillis(100));
      store.put("long", "2", Duration.ofSeconds(60));
      elapse(Duration.ofMillis(150));
      assertThat(store.get("short")).isNull();
      assertThat(store.get("long")).isEqualTo("2");
    }

    @Test
    void batchesOfAThousandRoundTrip() {
      Map<String, String> entries = new LinkedHashMap<>();
      for (int i = 0; i < 1000; i++) {
        entries.put("query:chat:id:" + i, "{\"id\":" + i + "}");
      }
      long written = System.nanoTime();
      store.putAll(entries, Duration.ofSeconds(180));
      List<String> keys = new java.util.ArrayList<>(entries.keySet());
      keys.add("query:chat:id:missing");
      Map<String, String> found = store.getAll(keys);
      assertThat(found).hasSize(1000).containsAllEntriesOf(entries);
      long ttl = store.ttlMillis("query:chat:id:999");
      assertThat(ttl).isBetween(180_000L - millisSince(written), 180_000L);
    }

    @Test
    void patternDeletionRemovesExactlyTheMatches() {
      store.put("query:user:email:a", "1", Duration.ofMinutes(1));
      store.put("query:user:email:" + CacheKeys.escape("*"), "2", Duration.ofMinutes(1));
      store.put("query:users", "3", Duration.ofMinutes(1));
      store.put("query:chat:id:1", "4", Duration.ofMinutes(1));
      store.put("query:rag_documents:user:1:limit:5", "5", Duration.ofMinutes(1));
      store.put("query:rag_document:1:1", "6", Duration.ofMinutes(1));
      store.put("query:document_stats:user:1", "7", Duration.ofMinutes(1));

      // An escaped '*' from a request is a literal: only its own key goes.
      assertThat(store.deleteMatching("query:user:email:" + CacheKeys.escape("*"))).isEqualTo(1);
      assertThat(store.get("query:user:email:a")).isEqualTo("1");
      assertThat(store.deleteMatching(DefaultKeyScheme.USER_PATTERN)).isEqualTo(1);
      assertThat(store.get("query:users")).isEqualTo("3");
      assertThat(store.deleteMatching(DefaultKeyScheme.DOCUMENTS_PATTERN)).isEqualTo(2);
      assertThat(store.get("query:document_stats:user:1")).isEqualTo("7");
      assertThat(store.get("query:chat:id:1")).isEqualTo("4");
      assertThat(store.deleteMatching("nothing:*")).isZero();
    }
  }

  @Nested
  class Memory extends Contract {
    private final MutableClock clock = MutableClock.startingNow();

    @Override
    CacheStore create() {
      return new MemoryCacheStore(16 * 1024 * 1024, clock);
    }

    @Override
    void elapse(Duration d) {
      clock.advance(d);
    }

    @Test
    void staysWithinItsByteBound() {
      MemoryCacheStore small = new MemoryCacheStore(100_000, clock);
      String value = "x".repeat(1000);
      for (int i = 0; i < 10_000; i++) {
        small.put("k" + i, value, Duration.ofMinutes(1));
      }
      assertThat(small.weightedSize()).isLessThanOrEqualTo(100_000);
    }
  }

  @Nested
  class Standalone extends Contract {
    private RedisConnector connector;

    @Override
    CacheStore create() {
      redis.flushAll();
      connector = RedisConnector.create(TestRedis.settings(redis).build());
      return new RedisCacheStore(connector, Duration.ofSeconds(60), java.time.Clock.systemUTC());
    }

    @Override
    void elapse(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis()); // Redis expires keys on its own clock
    }

    @AfterEach
    void close() {
      connector.close();
    }
  }

  @Nested
  class Cluster extends Contract {
    private RedisConnector connector;

    @Override
    CacheStore create() {
      cluster.flushAll();
      connector = RedisConnector.create(TestRedis.settings(cluster).build());
      return new RedisCacheStore(connector, Duration.ofSeconds(60), java.time.Clock.systemUTC());
    }

    @Override
    void elapse(Duration d) throws InterruptedException {
      Thread.sleep(d.toMillis());
    }

    @AfterEach
    void close() {
      connector.close();
    }

    @Test
    void batchesSpanEveryMaster() {
      Map<String, String> entries = new LinkedHashMap<>();
      for (int i = 0; i < 1000; i++) {
        entries.put("query:chat:id:" + i, String.valueOf(i));
      }
      store.putAll(entries, Duration.ofMinutes(1));
      for (RedisServer node : cluster.nodes()) {
        assertThat(node.<Long>withClient(j -> j.dbSize())).as("keys on %s", node).isPositive();
      }
      assertThat(store.deleteMatching(DefaultKeyScheme.CHAT_PATTERN)).isEqualTo(1000);
    }
  }

  /** Whole milliseconds since {@code nanoTime}, rounded up. */
  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000 + 1;
  }
}
