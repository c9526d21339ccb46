package dev.ratecache.internal;

import com.github.benmanes.caffeine.cache.Ticker;
import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;

/**
 * The only place the library reads time. Decisions, TTLs, backoff and refill read the injected
 * {@link Clock} (wall-clock nanoseconds since the epoch, since Redis buckets are shared between
 * machines); measurements that are only reported (how long a ping or a warm-up took) read the
 * JVM's monotonic clock through {@link #monotonicNanos()}.
 */
public final class Time {
  private Time() {}

  /** Nanoseconds since the epoch, from {@code clock}. */
  public static long epochNanos(Clock clock) {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /** {@code clock} as Caffeine's time source, so that expiry follows the injected clock. */
  public static Ticker ticker(Clock clock) {
    return () -> epochNanos(clock);
  }

  /** {@code clock} as Bucket4j's time source (wall-clock based, as distributed buckets need). */
  public static TimeMeter timeMeter(Clock clock) {
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

  /** The JVM's monotonic clock, for durations that are reported and never decide anything. */
  public static long monotonicNanos() {
    return System.nanoTime();
  }
}
