package dev.ratecache.ratelimit;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketState;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import io.github.bucket4j.distributed.serialization.InternalSerializationHelper;
import io.github.bucket4j.distributed.versioning.Version;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

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
record StateLayout(int stateStart, int limits, int consumedOffset, List<byte[]> limitArgs) {
  /** Above this, Lua's doubles may not hold an integer exactly (2^52, with a margin). */
  private static final long EXACT = 1L << 52;

  /**
   * The layout of {@code bytes}, the serialization of {@code state} with {@code version}, or
   * {@code null} if it cannot be found or its numbers are too large to compute in Lua.
   */
  static StateLayout of(RemoteBucketState state, byte[] bytes, Version version) {
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
    List<byte[]> args = new ArrayList<>();
    for (int j = 0; j < bandwidths.length; j++) {
      Bandwidth bw = bandwidths[j];
      if (b.getLong(stateStart + 24 * j + 8) != s.getCurrentSize(j)
          || b.getLong(stateStart + 24 * j + 16) != s.getRoundingError(j)
          || !exact(bw.getCapacity()) || !exact(bw.getRefillPeriodNanos())
          || !exact(bw.getRefillTokens())) {
        return null;
      }
      args.add(ascii(bw.getCapacity()));
      args.add(ascii(bw.getRefillPeriodNanos()));
      args.add(ascii(bw.getRefillTokens()));
      args.add(ascii(bw.isRefillIntervally() ? 1 : 0));
    }
    return new StateLayout(stateStart, bandwidths.length, consumedOffset, List.copyOf(args));
  }

  /**
   * The script's arguments after the four of the swap itself: decide {@code requests} at {@code
   * nowNanos}, keeping a full bucket {@code keepAfterRefillMillis}.
   */
  List<byte[]> decideArgs(int requests, long nowNanos, long keepAfterRefillMillis) {
    List<byte[]> args = new ArrayList<>(7 + limitArgs.size());
    args.add(ascii(requests));
    args.add(ascii(nowNanos >> 32));
    args.add(ascii(nowNanos & 0xFFFF_FFFFL));
    args.add(ascii(stateStart));
    args.add(ascii(limits));
    args.add(ascii(consumedOffset));
    args.add(ascii(keepAfterRefillMillis));
    args.addAll(limitArgs);
    return args;
  }

  private static boolean exact(long v) {
    return v > 0 && v < EXACT;
  }

  private static byte[] ascii(long v) {
    return Long.toString(v).getBytes(StandardCharsets.US_ASCII);
  }
}
