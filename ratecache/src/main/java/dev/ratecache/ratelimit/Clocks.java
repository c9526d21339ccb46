package dev.ratecache.ratelimit;

import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;

/** Adapts the injected {@link Clock} to Bucket4j's and Caffeine's time sources. */
final class Clocks {
  private Clocks() {}

  /** Nanoseconds since the epoch from {@code clock}: wall-clock time, as shared buckets need. */
  static long epochNanos(Clock clock) {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  static TimeMeter timeMeter(Clock clock) {
    return new TimeMeter() {
      @Override
      public long currentTimeNanos() {
        return epochNanos(clock);
      }

      @Override
      public boolean isWallClockBased() {
        return true;
      }
    };
  }
}
