package dev.ratecache.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.remote.MutableBucketEntry;
import io.github.bucket4j.distributed.remote.RemoteBucketState;

/**
 * How a stored bucket changes configuration when a client's limit changes (a plan, an operator's
 * override): the one rule, for the Redis buckets and the local ones.
 *
 * <p>The tokens left are kept, at most the new capacity ({@link TokensInheritanceStrategy#AS_IS}),
 * and the new refill rate applies from then on. So raising a limit gives a client nothing at
 * once beyond faster refill, lowering it cuts what it holds to the new burst, and however often
 * two instances disagree about a client's limit (a redeploy, an override not yet heard) the
 * changes between them never add a token.
 */
final class BucketConfigurations {
  static final TokensInheritanceStrategy INHERITANCE = TokensInheritanceStrategy.AS_IS;

  private BucketConfigurations() {}

  /**
   * Replaces the configuration of the existing bucket in {@code entry} with {@code config}
   * unless they are equal or the stored one is of a newer override revision than {@code
   * revision} (then the stored one stands: this instance has not heard of it yet).
   */
  static void follow(MutableBucketEntry entry, BucketConfiguration config, long revision,
      long nowNanos) {
    RemoteBucketState stored = entry.get();
    Long storedRevision = stored.getConfigurationVersion();
    if (storedRevision != null && storedRevision > revision) {
      return;
    }
    if (!stored.getConfiguration().equals(config)) {
      // What refilled since the last decision refilled at the old rate: the bucket's own.
      stored.refillAllBandwidth(nowNanos);
      stored.replaceConfiguration(config, INHERITANCE, nowNanos);
      stored.setConfigurationVersion(revision > 0 ? revision : null);
      entry.set(stored);
    }
    // The same configuration under an older revision is left as it is: no write for no change.
  }

  /** Records {@code revision} on a bucket this request created. */
  static void stamp(MutableBucketEntry entry, long revision) {
    RemoteBucketState created = entry.get();
    created.setConfigurationVersion(revision);
    entry.set(created);
  }
}
