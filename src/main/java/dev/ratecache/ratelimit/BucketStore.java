package dev.ratecache.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;

/**
 * Where token buckets live: Redis (shared by every instance) or this instance's memory. One
 * contract, tested against both.
 */
interface BucketStore {
  /**
   * Takes one token from the bucket at {@code key}, creating the bucket full if absent.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if the store cannot be reached
   */
  Probe tryConsume(String key, BucketConfiguration config);

  /**
   * {@link #tryConsume(String, BucketConfiguration)} under the runtime overrides at {@code
   * revision} (0: none heard): an existing bucket of another configuration follows {@code
   * config} unless a newer revision wrote it (see {@link BucketConfigurations}).
   */
  default Probe tryConsume(String key, BucketConfiguration config, long revision) {
    return tryConsume(key, config);
  }

  /**
   * {@link #tryConsume(String, BucketConfiguration, long)} for a request that costs {@code
   * tokens} (all or none are taken).
   */
  default Probe tryConsume(String key, BucketConfiguration config, long revision, long tokens) {
    if (tokens != 1) {
      throw new UnsupportedOperationException("this store takes one token at a time");
    }
    return tryConsume(key, config, revision);
  }

  /**
   * Gives {@code tokens} back to the bucket at {@code key} (never above its capacity): a charged
   * request that did not count. A store that cannot does nothing (the client keeps the charge).
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if the store cannot be reached
   */
  default void refund(String key, BucketConfiguration config, long tokens) {}

  /** Reads the bucket at {@code key} without taking a token. */
  Probe peek(String key, BucketConfiguration config);

  /**
   * Forgets whatever this instance remembers of buckets whose full store key matches (after an
   * operator reset them elsewhere); a store that remembers nothing does nothing.
   */
  default void forget(java.util.function.Predicate<String> storeKey) {}

  /** Forgets what this instance remembers of one bucket (its key without the store's prefix). */
  default void forget(String key) {}

  /**
   * Events may have been missed: trusts nothing it remembers for deciding, but keeps it for
   * {@link #rememberedTokens} (a bound on what the fallback starts from).
   */
  default void doubtAll() {
    forget(k -> true);
  }

  /**
   * The tokens {@code key}'s bucket had when this instance last saw it on Redis (refilled to now),
   * or -1 if it remembers none: what a local bucket starts from when Redis cannot decide, so that
   * a failover is not a fresh bucket for a client that was using its limit.
   */
  default long rememberedTokens(String key) {
    return -1;
  }

  /** A bucket that has never been charged. */
  static Probe fullBucket(BucketConfiguration config) {
    long capacity = Long.MAX_VALUE;
    for (Bandwidth b : config.getBandwidths()) {
      capacity = Math.min(capacity, b.getCapacity());
    }
    return new Probe(false, capacity, 0, 0);
  }

  /** How long until a bucket holding {@code remaining} tokens is full, at its refill rates. */
  static long nanosToReset(BucketConfiguration config, long remaining) {
    long worst = 0;
    for (Bandwidth b : config.getBandwidths()) {
      long missing = Math.max(0, b.getCapacity() - remaining);
      long nanos = (long) ((double) missing * b.getRefillPeriodNanos() / b.getRefillTokens());
      worst = Math.max(worst, nanos);
    }
    return worst;
  }

  /**
   * The outcome of a bucket operation.
   *
   * @param consumed whether the token was taken
   * @param remaining tokens left afterwards
   * @param nanosToRetry time until the next token, 0 if one is available
   * @param nanosToReset time until the bucket is full again
   */
  record Probe(boolean consumed, long remaining, long nanosToRetry, long nanosToReset) {}
}
