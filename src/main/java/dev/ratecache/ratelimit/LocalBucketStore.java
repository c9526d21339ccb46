package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.Time;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.LocalBucketBuilder;
import java.time.Clock;
import java.time.Duration;

/**
 * Token buckets in this instance's memory: Bucket4j local buckets in a Caffeine map bounded by
 * entry count, so a flood of distinct clients cannot exhaust the heap. When the bound is reached
 * the least recently used buckets are dropped (their clients start again with a full bucket); an
 * idle bucket is dropped once it would have refilled anyway. Thread-safe.
 */
final class LocalBucketStore implements BucketStore {
  private final Cache<String, LocalBucket> buckets;
  private final TimeMeter time;

  /**
   * @param maxBuckets the most buckets held at once
   * @param idleExpiry how long an untouched bucket is kept (the longest refill period is enough)
   */
  LocalBucketStore(long maxBuckets, Duration idleExpiry, Clock clock) {
    this.time = Time.timeMeter(clock);
    this.buckets = Caffeine.newBuilder()
        .maximumSize(maxBuckets)
        .expireAfterAccess(idleExpiry)
        .ticker(Time.ticker(clock))
        .build();
  }

  @Override
  public Probe tryConsume(String key, BucketConfiguration config) {
    return tryConsumeSeeded(key, config, -1);
  }

  /**
   * {@link #tryConsume(String, BucketConfiguration)} with at most {@code seedTokens} available
   * (as Redis last had it) unless {@code seedTokens} is negative: a bucket made now starts there,
   * and one already held (from an earlier outage, refilled since) keeps its own count only if it
   * is lower, so an outage after Redis saw the client use its tokens is no fresh local bucket.
   */
  Probe tryConsumeSeeded(String key, BucketConfiguration config, long seedTokens) {
    return tryConsumeSeeded(key, config, seedTokens, 1);
  }

  /** {@link #tryConsumeSeeded(String, BucketConfiguration, long)} for {@code tokens}. */
  Probe tryConsumeSeeded(String key, BucketConfiguration config, long seedTokens, long tokens) {
    Bucket bucket = bucket(key, config, seedTokens);
    if (seedTokens >= 0 && bucket.getAvailableTokens() > seedTokens) {
      // Rare (a bucket from an earlier outage): locked only then, so that two callers do not
      // both take the difference; the common fallback decision takes no lock.
      synchronized (bucket) {
        long held = bucket.getAvailableTokens();
        if (held > seedTokens) {
          bucket.consumeIgnoringRateLimits(held - seedTokens);
        }
      }
    }
    ConsumptionProbe p = bucket.tryConsumeAndReturnRemaining(tokens);
    return new Probe(p.isConsumed(), p.getRemainingTokens(), p.getNanosToWaitForRefill(),
        p.getNanosToWaitForReset());
  }

  @Override
  public void refund(String key, BucketConfiguration config, long tokens) {
    Bucket bucket = buckets.getIfPresent(key);
    if (bucket != null) {
      bucket.addTokens(tokens);
    }
  }

  @Override
  public Probe peek(String key, BucketConfiguration config) {
    Bucket bucket = buckets.getIfPresent(key);
    if (bucket == null) {
      return BucketStore.fullBucket(config);
    }
    EstimationProbe p = bucket.estimateAbilityToConsume(1);
    long remaining = p.getRemainingTokens();
    return new Probe(false, remaining, p.getNanosToWaitForRefill(),
        BucketStore.nanosToReset(config, remaining));
  }

  /** Drops one bucket (an operator reset its client). */
  @Override
  public void forget(String key) {
    buckets.invalidate(key);
  }

  /** How many buckets are held now (after pending evictions run). */
  long size() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }

  /**
   * The bucket at {@code key}, made from {@code config} if absent; one made under another
   * configuration (the client's limit changed) follows it by the rule of {@link
   * BucketConfigurations}.
   */
  private Bucket bucket(String key, BucketConfiguration config, long seedTokens) {
    LocalBucket held = buckets.get(key, k -> {
      LocalBucketBuilder b = Bucket.builder().withCustomTimePrecision(time);
      for (Bandwidth bandwidth : config.getBandwidths()) {
        b.addLimit(bandwidth);
      }
      LocalBucket bucket = b.build();
      long full = BucketStore.fullBucket(config).remaining();
      if (seedTokens >= 0 && seedTokens < full) {
        // Taking the difference from every bandwidth leaves the tightest one at the seed.
        bucket.consumeIgnoringRateLimits(full - seedTokens);
      }
      return bucket;
    });
    BucketConfiguration current = held.getConfiguration();
    if (current != config && !current.equals(config)) {
      held.replaceConfiguration(config, BucketConfigurations.INHERITANCE);
    }
    return held;
  }
}
