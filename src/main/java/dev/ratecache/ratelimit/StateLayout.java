package dev.ratecache.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import io.github.bucket4j.distributed.serialization.InternalSerializationHelper;
import io.github.bucket4j.distributed.versioning.Version;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Where, in Bucket4j's serialized bucket state, the numbers a decision changes are: the state
 * array (last refill time, tokens and rounding error per limit) and the consumed-tokens counter;
 * everything else (the configuration, versions) is the same bytes before and after a decision.
 * With it the swap script can decide in Redis, as Bucket4j would, when the bucket holds another
 * instance's state ({@code bucket-swap.lua}), instead of sending that state back for a second
 * round trip.
 *
 * <p>The positions are found, not assumed: the state is serialized again with the counter raised
 * by one, the difference locates the counter, the state array sits before it, and every token
 * count and rounding error must be read back at the computed positions; if anything disagrees
 * (another Bucket4j format), there is no layout and decisions simply take the caller's path.
 */
record StateLayout(String fixedArgs) {
  /** Above this, Lua's doubles may not hold an integer exactly (2^52, with a margin). */
  private static final long EXACT = 1L << 52;

  /**
   * The layout of {@code bytes}, the serialization of {@code state} with {@code version}, or
   * {@code null} if it cannot be found or its numbers are too large to compute in Lua.
   *
   * @param keepAfterRefillMillis how long a key outlives the moment its bucket is full again
   */
  static StateLayout of(RemoteBucketState state, byte[] bytes, Version version,
      long keepAfterRefillMillis) {
    RemoteBucketState raised = state.copy();
    raised.getRemoteStat().addConsumedTokens(1);
    byte[] other = InternalSerializationHelper.serializeState(raised, version);
    if (other.length != bytes.length) {
      return null;
    }
    int last = -1;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != other[i]) {
        last = i;
      }
    }
    Bandwidth[] bandwidths = state.getConfiguration().getBandwidths();
    int consumedOffset = last - 7;
    int stateStart = consumedOffset - 4 - 24 * bandwidths.length;
    if (last < 0 || stateStart < 4) {
      return null;
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    BucketState s = state.getState();
    if (b.getInt(stateStart - 4) != 3 * bandwidths.length
        || b.getLong(consumedOffset) != state.getRemoteStat().getConsumedTokens()) {
      return null;
    }
    StringBuilder args = new StringBuilder().append(stateStart).append(',')
        .append(bandwidths.length).append(',').append(consumedOffset).append(',')
        .append(keepAfterRefillMillis);
    for (int j = 0; j < bandwidths.length; j++) {
      Bandwidth bw = bandwidths[j];
      if (b.getLong(stateStart + 24 * j + 8) != s.getCurrentSize(j)
          || b.getLong(stateStart + 24 * j + 16) != s.getRoundingError(j)
          || !exact(bw.getCapacity()) || !exact(bw.getRefillPeriodNanos())
          || !exact(bw.getRefillTokens())) {
        return null;
      }
      args.append(',').append(bw.getCapacity()).append(',').append(bw.getRefillPeriodNanos())
          .append(',').append(bw.getRefillTokens()).append(',')
          .append(bw.isRefillIntervally() ? 1 : 0);
    }
    return new StateLayout(args.toString());
  }

  /**
   * The script's fifth argument: decide {@code requests} at {@code nowNanos} (see {@code
   * bucket-swap.lua}).
   */
  byte[] decideArg(int requests, long nowNanos) {
    return (requests + "," + (nowNanos >> 32) + "," + (nowNanos & 0xFFFF_FFFFL) + "," + fixedArgs)
        .getBytes(StandardCharsets.US_ASCII);
  }

  private static boolean exact(long v) {
    return v > 0 && v < EXACT;
  }
}
