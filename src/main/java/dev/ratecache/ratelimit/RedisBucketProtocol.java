package dev.ratecache.ratelimit;

/**
 * How decisions are exchanged with the buckets in Redis. Both are Bucket4j's compare-and-swap
 * protocol over the same stored state, so they decide exactly as Bucket4j's own bucket does, keep
 * the limit exact across instances, and can share buckets in a fleet that mixes them (tested by
 * a differential test); they differ in round trips.
 */
public enum RedisBucketProtocol {
  /**
   * Bucket4j's Jedis proxy manager ({@code Bucket4jJedis.casBasedBuilder}): each decision reads
   * the bucket ({@code GET}) and swaps it ({@code EVAL}), two round trips, three for a new bucket.
   */
  BUCKET4J_JEDIS,
  /**
   * The default. The same protocol without the reads: it starts from the state this instance
   * last wrote (remembered for up to 10 s), or, for a bucket it does not remember, from "absent".
   * One round trip ({@code EVALSHA}) for a new bucket or one this instance wrote last; two for an
   * existing bucket it does not remember or another instance changed (the failed swap returns the
   * state); none for a rejection from a remembered state. Costs up to {@code local-max-buckets}
   * remembered states in memory.
   */
  ONE_ROUND_TRIP
}
