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
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.distributed.serialization.Mapper;
import io.github.bucket4j.redis.jedis.Bucket4jJedis;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import redis.clients.jedis.UnifiedJedis;

/**
 * Token buckets in Redis: one key per profile and client under {@code rate_limit:} holding
 * Bucket4j's own state, updated by compare-and-swap so the limit holds exactly across every
 * instance sharing the Redis (standalone, Sentinel or Cluster: one key per bucket, so no
 * cross-slot commands). Keys expire a little after the bucket would be full again, so idle
 * clients leave nothing behind.
 *
 * <p>Two protocols write the same state, so a fleet may mix them: {@link OneRoundTripBuckets}
 * (the default: one round trip per decision, concurrent requests for a bucket sharing it), and
 * Bucket4j's Jedis proxy manager as it ships ({@code bucket4j-jedis}: a {@code GET} and a swap;
 * proxies reused from a bounded cache with Bucket4j's batching optimisation, so concurrent
 * requests for one hot key are combined into one swap). Either fails fast while Redis is known
 * down. Thread-safe.
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

  /** Keys expire this long after their bucket would be full again. */
  private static final Duration KEEP_AFTER_REFILL = Duration.ofSeconds(10);
  private static final ExpirationAfterWriteStrategy EXPIRY = ExpirationAfterWriteStrategy
      .basedOnTimeForRefillingBucketUpToMax(KEEP_AFTER_REFILL);
  /** How long a bucket state this instance wrote is used without asking Redis. */
  private static final Duration REMEMBER_FOR = Duration.ofSeconds(10);
  /** Most bucket states remembered, whatever {@code local-max-buckets} says (the table is allocated whole). */
  static final int MAX_REMEMBERED = 1 << 20;

  private final RedisConnector connector;
  private final TimeMeter time;
  private final Cache<String, BucketProxy> proxies;
  private final RedisBucketProtocol protocol;
  private final long maxStates;
  /** Bucket4j's own proxy manager ({@code bucket4j-jedis}), made on first use. */
  private volatile ProxyManager<String> manager;
  /** The {@code one-round-trip} protocol, made on first use. */
  private volatile OneRoundTripBuckets oneRoundTrip;
  /** The protocol's decisions, chosen once when the store is built (never tested per call). */
  private final BucketStore decisions;

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
    this.decisions = protocol == RedisBucketProtocol.ONE_ROUND_TRIP ? new OneRoundTrip()
        : new Bucket4jProxies();
  }

  @Override
  public Probe tryConsume(String key, BucketConfiguration config) {
    return decisions.tryConsume(key, config, 0);
  }

  @Override
  public Probe tryConsume(String key, BucketConfiguration config, long revision) {
    return decisions.tryConsume(key, config, revision, 1);
  }

  @Override
  public Probe tryConsume(String key, BucketConfiguration config, long revision, long tokens) {
    return decisions.tryConsume(key, config, revision, tokens);
  }

  @Override
  public Probe peek(String key, BucketConfiguration config) {
    return decisions.peek(key, config);
  }

  /**
   * Through Bucket4j's own compare-and-swap on the stored state, whichever protocol decides (they
   * share it); on {@code one-round-trip} the state remembered for the key is then dropped, since
   * Redis no longer holds it.
   */
  @Override
  public void refund(String key, BucketConfiguration config, long tokens) {
    connector.execute(KeySpace.RATE_LIMIT + key, jedis -> {
      proxy(jedis, key, config).addTokens(tokens);
      return null;
    });
    forget(key);
  }

  /**
   * On {@code one-round-trip}, rewrites one bucket's configuration under an override revision
   * (see {@link OneRoundTripBuckets#reconfigure}); Bucket4j's protocol applies overrides as each
   * instance hears of them, so there it does nothing.
   */
  void reconfigure(String key, BucketConfiguration config, long revision) {
    if (protocol == RedisBucketProtocol.ONE_ROUND_TRIP) {
      oneRoundTrip().reconfigure(key, config, revision);
    }
  }

  /** On {@code one-round-trip}, from its remembered states; Bucket4j's protocol keeps none. */
  @Override
  public long rememberedTokens(String key) {
    OneRoundTripBuckets b = oneRoundTrip;
    return b == null ? -1 : b.rememberedTokens(key);
  }

  /**
   * {@code one-round-trip}: its commands go through the connector's auto-pipeline, which fails
   * fast while Redis is down and counts each shared round trip once towards health.
   */
  private final class OneRoundTrip implements BucketStore {
    @Override
    public Probe tryConsume(String key, BucketConfiguration config) {
      return oneRoundTrip().tryConsume(key, config, 0);
    }

    @Override
    public Probe tryConsume(String key, BucketConfiguration config, long revision) {
      return oneRoundTrip().tryConsume(key, config, revision, 1);
    }

    @Override
    public Probe tryConsume(String key, BucketConfiguration config, long revision, long tokens) {
      return oneRoundTrip().tryConsume(key, config, revision, tokens);
    }

    @Override
    public Probe peek(String key, BucketConfiguration config) {
      return oneRoundTrip().peek(key, config);
    }
  }

  /** {@code bucket4j-jedis}: Bucket4j's proxy manager as it ships, on a pooled connection. */
  private final class Bucket4jProxies implements BucketStore {
    @Override
    public Probe tryConsume(String key, BucketConfiguration config) {
      return tryConsume(key, config, 0);
    }

    /**
     * Under an override revision, through Bucket4j's implicit configuration replacement: a
     * bucket of an older revision takes {@code config}, a newer one stands. (Unlike {@code
     * one-round-trip}, a bucket of the same revision keeps its configuration until it expires.)
     */
    @Override
    public Probe tryConsume(String key, BucketConfiguration config, long revision) {
      return tryConsume(key, config, revision, 1);
    }

    @Override
    public Probe tryConsume(String key, BucketConfiguration config, long revision, long tokens) {
      return connector.execute(KeySpace.RATE_LIMIT + key,
          jedis -> consume(tokens, revision == 0 ? proxy(jedis, key, config)
              : proxies.get(key + "@" + revision, k -> manager(jedis).builder()
                  .withOptimization(Optimizations.batching())
                  .withImplicitConfigurationReplacement(revision,
                      BucketConfigurations.INHERITANCE)
                  .build(key, () -> config))));
    }

    @Override
    public Probe peek(String key, BucketConfiguration config) {
      return connector.execute(KeySpace.RATE_LIMIT + key, jedis -> {
        ProxyManager<String> m = manager(jedis);
        if (m.getProxyConfiguration(key).isEmpty()) {
          return BucketStore.fullBucket(config);
        }
        EstimationProbe p = proxy(jedis, key, config).estimateAbilityToConsume(1);
        long remaining = p.getRemainingTokens();
        return new Probe(false, remaining, p.getNanosToWaitForRefill(),
            BucketStore.nanosToReset(config, remaining));
      });
    }
  }

  private static Probe consume(long tokens, BucketProxy bucket) {
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(tokens);
    return new Probe(p.isConsumed(), p.getRemainingTokens(), p.getNanosToWaitForRefill(),
        p.getNanosToWaitForReset());
  }

  /** Forgets remembered bucket states whose Redis key matches (after an operator's reset). */
  @Override
  public void forget(java.util.function.Predicate<String> redisKey) {
    OneRoundTripBuckets b = oneRoundTrip;
    if (b != null) {
      b.forget(redisKey);
    }
  }

  @Override
  public void doubtAll() {
    OneRoundTripBuckets b = oneRoundTrip;
    if (b != null) {
      b.doubtAll();
    }
  }

  /** Forgets the remembered state of one bucket (its key without the prefix). */
  @Override
  public void forget(String key) {
    OneRoundTripBuckets b = oneRoundTrip;
    if (b != null) {
      b.forget(key);
    }
  }

  /** Queued requests behind a decision in flight on {@code key} (one-round-trip; for tests). */
  int queued(String key) {
    return oneRoundTrip().queued(key);
  }

  RedisBucketProtocol protocol() {
    return protocol;
  }

  /** One-round-trip only: {@code n} requests decided as one batch (for the differential test). */
  java.util.List<Probe> tryConsumeTogether(String key, BucketConfiguration config, int n) {
    return oneRoundTrip().tryConsumeTogether(key, config, n);
  }

  /** How buckets another instance wrote last were decided (one-round-trip only). */
  RedisBucketStats stats() {
    OneRoundTripBuckets b = oneRoundTrip;
    return b == null ? RedisBucketStats.NONE
        : new RedisBucketStats(b.decidedByScript(), b.declinedByScript(), b.corrected());
  }

  private OneRoundTripBuckets oneRoundTrip() {
    OneRoundTripBuckets b = oneRoundTrip;
    if (b == null) {
      synchronized (this) {
        b = oneRoundTrip;
        if (b == null) {
          b = new OneRoundTripBuckets(connector.autoPipeline(), KeySpace.RATE_LIMIT, time,
              KEEP_AFTER_REFILL,
              (int) Math.min(maxStates, MAX_REMEMBERED), REMEMBER_FOR);
          oneRoundTrip = b;
        }
      }
    }
    return b;
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
          m = Bucket4jJedis.casBasedBuilder(jedis)
              .keyMapper(PREFIXED)
              .clientClock(time)
              .expirationAfterWrite(EXPIRY)
              .build();
          manager = m;
        }
      }
    }
    return m;
  }
}
