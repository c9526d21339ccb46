package dev.ratecache.ratelimit;

/**
 * How decisions are exchanged with the buckets in Redis. Both are Bucket4j's compare-and-swap
 * protocol and keep the limit exact across instances; they differ in round trips.
 */
public enum RedisBucketProtocol {
  /**
   * Bucket4j's Jedis proxy manager ({@code Bucket4jJedis.casBasedBuilder}): each decision reads
   * the bucket ({@code GET}) and swaps it ({@code EVAL}), two round trips (the default).
   */
  BUCKET4J_JEDIS,
  /**
   * The same protocol starting from the state this instance last wrote, remembered for up to
   * 10 s: one round trip ({@code EVALSHA}) while this instance was the bucket's last writer, still
   * one when another instance changed it (the failed swap returns the current state), and none
   * for a rejection. Costs up to {@code local-max-buckets} remembered states in memory.
   */
  ONE_ROUND_TRIP
}
