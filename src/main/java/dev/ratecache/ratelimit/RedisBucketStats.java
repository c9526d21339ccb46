package dev.ratecache.ratelimit;

/**
 * How the default protocol ({@link RedisBucketProtocol#ONE_ROUND_TRIP}) met buckets another
 * instance wrote last, since start; all zero under {@code bucket4j-jedis}. An immutable snapshot.
 *
 * @param decidedInRedis decisions the swap script made in Redis, from the other instance's state,
 *     in the same round trip
 * @param declined such decisions the script left to this instance (a bucket of another shape, or
 *     times it does not compute): each cost a second round trip
 * @param corrected decisions of the script that differed from Bucket4j's on the same state and
 *     time, replaced by Bucket4j's with one more swap (expected: zero; each is logged)
 */
public record RedisBucketStats(long decidedInRedis, long declined, long corrected) {
  /** Nothing counted: no decision yet, or the protocol has no script decisions. */
  public static final RedisBucketStats NONE = new RedisBucketStats(0, 0, 0);
}
