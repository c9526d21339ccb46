package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.Time;
import dev.ratecache.redis.RedisConnector;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.distributed.serialization.Mapper;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import redis.clients.jedis.UnifiedJedis;

/**
 * Token buckets in Redis through Bucket4j's Jedis proxy manager: one key per profile and client
 * under {@code rate_limit:}, updated by compare-and-swap so the limit holds exactly across every
 * instance sharing the Redis (standalone, Sentinel or Cluster: one key per bucket, so no
 * cross-slot commands). Keys expire a little after the bucket would be full again, so idle
 * clients leave nothing behind.
 *
 * <p>Bucket proxies are reused (a bounded cache) with Bucket4j's batching optimisation: concurrent
 * requests for one hot key in this instance are combined into one compare-and-swap, which cuts
 * Redis round trips without loosening the limit. Every call goes through
 * {@link RedisConnector#execute}, so an unreachable Redis fails fast. Thread-safe.
 */
final class RedisBucketStore implements BucketStore {
  /** The namespace of every rate-limit key. */

  private static final Mapper<String> PREFIXED = new Mapper<>() {
    @Override
    public byte[] toBytes(String key) {
      return (KeySpace.RATE_LIMIT + key).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString(String key) {
      return KeySpace.RATE_LIMIT + key;
    }
  };

  private final RedisConnector connector;
  private final TimeMeter time;
  private final Cache<String, BucketProxy> proxies;
  private final RedisBucketProtocol protocol;
  private final long maxStates;
  private volatile ProxyManager<String> manager;

  RedisBucketStore(RedisConnector connector, Clock clock, long maxCachedProxies,
      RedisBucketProtocol protocol) {
    this.connector = connector;
    this.time = Time.timeMeter(clock);
    this.protocol = protocol;
    this.maxStates = maxCachedProxies;
    this.proxies = Caffeine.newBuilder()
        .maximumSize(maxCachedProxies)
        .expireAfterAccess(Duration.ofMinutes(2))
        .build();
  }

  @Override
  public Probe tryConsume(String key, BucketConfiguration config) {
    if (protocol == RedisBucketProtocol.ONE_ROUND_TRIP && manager != null) {
      // Its commands go through the connector's auto-pipeline, which fails fast while Redis is
      // down and counts each shared round trip once towards health.
      return consume(proxy(null, key, config));
    }
    return connector.execute(jedis -> consume(proxy(jedis, key, config)));
  }

  private static Probe consume(BucketProxy bucket) {
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(1);
    return new Probe(p.isConsumed(), p.getRemainingTokens(), p.getNanosToWaitForRefill(),
        p.getNanosToWaitForReset());
  }

  /** Forgets remembered bucket states whose Redis key matches (after an operator's reset). */
  @Override
  public void forget(java.util.function.Predicate<String> redisKey) {
    if (manager instanceof CachedStateProxyManager m) {
      m.forget(redisKey);
    }
  }

  /** Forgets the remembered state of one bucket (its key without the prefix). */
  @Override
  public void forget(String key) {
    if (manager instanceof CachedStateProxyManager m) {
      m.forget(key);
    }
  }

  @Override
  public Probe peek(String key, BucketConfiguration config) {
    return connector.execute(jedis -> CachedStateProxyManager.readingFromRedis(() -> {
      ProxyManager<String> m = manager(jedis);
      forget(key); // a status read reports what Redis holds, not what this instance last wrote
      if (m.getProxyConfiguration(key).isEmpty()) {
        return BucketStore.fullBucket(config);
      }
      EstimationProbe p = proxy(jedis, key, config).estimateAbilityToConsume(1);
      long remaining = p.getRemainingTokens();
      return new Probe(false, remaining, p.getNanosToWaitForRefill(),
          BucketStore.nanosToReset(config, remaining));
    }));
  }

  private BucketProxy proxy(UnifiedJedis jedis, String key, BucketConfiguration config) {
    return proxies.get(key, k -> manager(jedis).builder()
        .withOptimization(Optimizations.batching())
        .build(k, () -> config));
  }

  private ProxyManager<String> manager(UnifiedJedis jedis) {
    ProxyManager<String> m = manager;
    if (m == null) {
      synchronized (this) {
        m = manager;
        if (m == null) {
          ExpirationAfterWriteStrategy expiry = ExpirationAfterWriteStrategy
              .basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10));
          m = switch (protocol) {
            case BUCKET4J_JEDIS -> Bucket4jJedis.casBasedBuilder(jedis)
                .keyMapper(PREFIXED)
                .clientClock(time)
                .expirationAfterWrite(expiry)
                .build();
            case ONE_ROUND_TRIP -> new CachedStateProxyManager(connector.autoPipeline(),
                KeySpace.RATE_LIMIT,
                ClientSideConfig.getDefault().withClientClock(time), expiry, maxStates,
                Duration.ofSeconds(10), time::currentTimeNanos);
          };
          manager = m;
        }
      }
    }
    return m;
  }
}
