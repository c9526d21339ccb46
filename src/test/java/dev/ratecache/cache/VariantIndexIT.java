package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The index of a key's per-user variants holds the live variants only: it does not grow with
 * every user who ever read the key, and invalidating the key is work in proportion to the users
 * who read it within its TTL. Variants listed by an earlier version's plain-set index are still
 * invalidated.
 */
class VariantIndexIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @Test
  void theIndexHoldsLiveVariantsOnlyAndInvalidatesThemAndTheLegacyOnes() {
    redis.flushAll();
    MutableClock clock = MutableClock.startingNow();
    try (RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build())) {
      RedisCacheStore store = new RedisCacheStore(connector, Duration.ofSeconds(60), clock);
      String base = "query:user:me";
      String index = ResponseStore.variantIndex(base);
      for (int i = 0; i < 50; i++) {
        String key = ResponseStore.userVariant(base, "user" + i);
        assertThat(store.putVariant(index, key, "{}", Duration.ofSeconds(30),
            store.observe(key))).isTrue();
      }
      assertThat(redis.<Long>withClient(j -> j.zcard(index))).isEqualTo(50);
      clock.advance(Duration.ofSeconds(31)); // their TTL is over (as far as the index knows)
      String late = ResponseStore.userVariant(base, "late");
      store.putVariant(index, late, "{}", Duration.ofSeconds(30), store.observe(late));
      assertThat(redis.<java.util.List<String>>withClient(j -> j.zrange(index, 0, -1)))
          .as("expired variants leave the index as the next one is added").containsExactly(late);

      // A variant an earlier version listed in its plain set.
      String old = ResponseStore.userVariant(base, "old");
      redis.withClient(j -> j.set(old, "{}"));
      redis.withClient(j -> j.sadd(ResponseStore.legacyVariantIndex(base), old));
      Set<String> invalidated = store.deleteVariants(index,
          ResponseStore.legacyVariantIndex(base));
      assertThat(invalidated).containsExactlyInAnyOrder(late, old);
      assertThat(store.get(late)).isNull();
      assertThat(store.get(old)).isNull();
      assertThat(redis.<Boolean>withClient(j -> j.exists(ResponseStore.legacyVariantIndex(base))))
          .isFalse();
    }
  }
}
