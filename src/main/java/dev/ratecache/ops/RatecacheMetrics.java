package dev.ratecache.ops;

import dev.ratecache.cache.CacheStats;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimitStats;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.ratelimit.RedisBucketStats;
import dev.ratecache.redis.RedisConnector;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToLongFunction;

/**
 * Micrometer meters for the library's counters (needs {@code io.micrometer:micrometer-core} on
 * the application's classpath):
 *
 * <ul>
 *   <li>{@code ratecache.ratelimit.decisions{profile,
 *       outcome=allowed|rejected|fallback|unavailable|denied|allowlisted|would_reject|blocked}}
 *   <li>{@code ratecache.ratelimit.refunds{profile}} (a profile counting only failures or
 *       successes gives back the token of an answer that does not count)
 *   <li>{@code ratecache.ratelimit.lockouts{profile}} (lockouts started)
 *   <li>{@code ratecache.cache.requests{category, result=hit|miss|error|fallback}}
 *   <li>{@code ratecache.cache.stale{reason=revalidating|error}} (entries served past their TTL)
 *       and {@code ratecache.cache.fleet.waits} (misses that waited for another instance's load)
 *   <li>{@code ratecache.redis.up} (1 or 0) and {@code ratecache.redis.fallback.seconds}
 * </ul>
 */
public final class RatecacheMetrics implements MeterBinder {
  private final RedisConnector connector;
  private final RateLimiter limiter;
  private final QueryCache cache;

  /** Either feature may be null. */
  public RatecacheMetrics(RedisConnector connector, RateLimiter limiter, QueryCache cache) {
    this.connector = connector;
    this.limiter = limiter;
    this.cache = cache;
  }

  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("ratecache.redis.up", connector, c -> c.isAvailable() ? 1 : 0)
        .description("1 while Redis is in use, 0 on the memory fallback").register(registry);
    Gauge.builder("ratecache.redis.fallback.seconds", connector,
            c -> c.health().snapshot().totalDowntime().toMillis() / 1000.0)
        .description("time spent on the memory fallback").register(registry);
    Gauge.builder("ratecache.redis.failing.masters", connector, c -> c.failingMasters().size())
        .description("cluster masters failing now (their keys alone take the fallback)")
        .register(registry);
    if (limiter != null) {
      for (RateLimitProfile p : limiter.profiles()) {
        decision(registry, p.name(), "allowed", RateLimitStats.ProfileStats::allowed);
        decision(registry, p.name(), "rejected", RateLimitStats.ProfileStats::rejected);
        decision(registry, p.name(), "fallback", RateLimitStats.ProfileStats::fallback);
        decision(registry, p.name(), "unavailable", RateLimitStats.ProfileStats::unavailable);
        decision(registry, p.name(), "denied", RateLimitStats.ProfileStats::denied);
        decision(registry, p.name(), "allowlisted", RateLimitStats.ProfileStats::allowlisted);
        decision(registry, p.name(), "would_reject", RateLimitStats.ProfileStats::wouldReject);
        decision(registry, p.name(), "blocked", RateLimitStats.ProfileStats::blocked);
        FunctionCounter.builder("ratecache.ratelimit.lockouts", limiter, l -> {
          RateLimitStats.ProfileStats s = l.stats().profiles().get(p.name());
          return s == null ? 0 : s.lockouts();
        }).description("lockouts started: clients blocked after their limit was hit")
            .tag("profile", p.name()).register(registry);
        FunctionCounter.builder("ratecache.ratelimit.refunds", limiter, l -> {
          RateLimitStats.ProfileStats s = l.stats().profiles().get(p.name());
          return s == null ? 0 : s.refunded();
        }).description("admitted requests given their token back: their answer did not count")
            .tag("profile", p.name()).register(registry);
      }
      swap(registry, "made", RedisBucketStats::decidedInRedis);
      swap(registry, "declined", RedisBucketStats::declined);
      swap(registry, "corrected", RedisBucketStats::corrected);
    }
    if (cache != null) {
      for (String category : cache.ttls().asMap().keySet()) {
        request(registry, category, "hit", CacheStats.CategoryStats::hits);
        request(registry, category, "miss", CacheStats.CategoryStats::misses);
        request(registry, category, "error", CacheStats.CategoryStats::errors);
        request(registry, category, "fallback", CacheStats.CategoryStats::fallback);
      }
      for (QueryCache.StaleReason reason : QueryCache.StaleReason.values()) {
        FunctionCounter.builder("ratecache.cache.stale", cache, c -> c.staleServed(reason))
            .description("entries served past their TTL: while one refresh ran (revalidating),"
                + " or because the load failed (error)")
            .tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT)).register(registry);
      }
      FunctionCounter.builder("ratecache.cache.fleet.waits", cache, QueryCache::fleetWaits)
          .description("misses that waited for another instance's load instead of loading")
          .register(registry);
    }
  }

  private void decision(MeterRegistry registry, String profile, String outcome,
      ToLongFunction<RateLimitStats.ProfileStats> read) {
    FunctionCounter.builder("ratecache.ratelimit.decisions", limiter, l -> {
      RateLimitStats.ProfileStats s = l.stats().profiles().get(profile);
      return s == null ? 0 : read.applyAsLong(s);
    }).tag("profile", profile).tag("outcome", outcome).register(registry);
  }

  private void swap(MeterRegistry registry, String outcome,
      ToLongFunction<RedisBucketStats> read) {
    FunctionCounter.builder("ratecache.ratelimit.script.decisions", limiter,
            l -> read.applyAsLong(l.redisBucketStats()))
        .description("decisions on buckets another instance wrote last: made by the swap script"
            + " in Redis, declined by it (a second round trip), or corrected to Bucket4j's")
        .tag("outcome", outcome).register(registry);
  }

  private void request(MeterRegistry registry, String category, String result,
      ToLongFunction<CacheStats.CategoryStats> read) {
    FunctionCounter.builder("ratecache.cache.requests", cache, c -> {
      CacheStats.CategoryStats s = c.stats().categories().get(category);
      return s == null ? 0 : read.applyAsLong(s);
    }).tag("category", category).tag("result", result).register(registry);
  }
}
