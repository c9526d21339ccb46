package dev.ratecache.redis;

import java.time.Duration;
import java.util.Objects;

/**
 * Exponential backoff with a cap and proportional jitter; a pure function of the attempt number
 * and a random sample, so it is tested without timers.
 *
 * <p>The base delay for attempt {@code n} (counting from 0) is {@code initial × multiplier^n},
 * capped at {@code max}. Jitter spreads it uniformly over {@code base × [1 − jitter, 1 + jitter]},
 * again capped at {@code max}, so that many instances probing one Redis after an outage do not
 * reconnect in lock-step.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final double multiplier;
  private final double jitter;

  private Backoff(Duration initial, Duration max, double multiplier, double jitter) {
    this.initial = initial;
    this.max = max;
    this.multiplier = multiplier;
    this.jitter = jitter;
  }

  /**
   * Creates a backoff that doubles from {@code initial} up to {@code max} with ±20% jitter.
   *
   * @throws IllegalArgumentException if {@code initial} is not positive or {@code max < initial}
   */
  public static Backoff exponential(Duration initial, Duration max) {
    return of(initial, max, 2.0, 0.2);
  }

  /**
   * Creates a backoff with every parameter explicit.
   *
   * @param initial the delay before the first retry; positive
   * @param max the cap on any delay; at least {@code initial}
   * @param multiplier growth per attempt; at least 1
   * @param jitter the fraction of the delay to randomise, in [0, 1)
   * @throws IllegalArgumentException if a parameter is out of range (the message names it)
   */
  public static Backoff of(Duration initial, Duration max, double multiplier, double jitter) {
    Objects.requireNonNull(initial, "initial");
    Objects.requireNonNull(max, "max");
    if (initial.isNegative() || initial.isZero()) {
      throw new IllegalArgumentException("initial backoff must be positive, got " + initial);
    }
    if (max.compareTo(initial) < 0) {
      throw new IllegalArgumentException(
          "max backoff (" + max + ") must not be less than initial backoff (" + initial + ")");
    }
    if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
      throw new IllegalArgumentException("backoff multiplier must be >= 1, got " + multiplier);
    }
    if (!(jitter >= 0.0 && jitter < 1.0)) {
      throw new IllegalArgumentException("backoff jitter must be in [0, 1), got " + jitter);
    }
    return new Backoff(initial, max, multiplier, jitter);
  }

  /**
   * The delay before retry number {@code attempt}.
   *
   * @param attempt how many retries came before this one; 0 for the first
   * @param unitRandom a sample uniformly distributed in [0, 1); 0.5 gives the un-jittered delay
   * @return a delay in {@code (0, max]}
   * @throws IllegalArgumentException if {@code attempt} is negative
   */
  public Duration delay(int attempt, double unitRandom) {
    if (attempt < 0) {
      throw new IllegalArgumentException("attempt must not be negative, got " + attempt);
    }
    double maxNanos = max.toNanos();
    // Math.pow overflows to infinity for large attempts; min() then yields the cap.
    double base = Math.min(maxNanos, initial.toNanos() * Math.pow(multiplier, attempt));
    double factor = 1.0 - jitter + 2.0 * jitter * clampUnit(unitRandom);
    long nanos = (long) Math.min(maxNanos, base * factor);
    return Duration.ofNanos(Math.max(1L, nanos));
  }

  /** The delay before the first retry. */
  public Duration initial() {
    return initial;
  }

  /** The cap on every delay. */
  public Duration max() {
    return max;
  }

  private static double clampUnit(double value) {
    if (Double.isNaN(value) || value < 0) {
      return 0;
    }
    return Math.min(value, 1.0);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Backoff b
        && initial.equals(b.initial)
        && max.equals(b.max)
        && Double.compare(multiplier, b.multiplier) == 0
        && Double.compare(jitter, b.jitter) == 0;
  }

  @Override
  public int hashCode() {
    return Objects.hash(initial, max, multiplier, jitter);
  }

  @Override
  public String toString() {
    return "Backoff{initial=" + initial + ", max=" + max + ", multiplier=" + multiplier
        + ", jitter=" + jitter + "}";
  }
}
