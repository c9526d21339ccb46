package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.SettingValues;
import java.time.Duration;
import java.util.Objects;

/**
 * A lockout that escalates: once a client runs out of its limit it is blocked for {@code first},
 * then for twice as long each time it is locked out again, up to {@code max}; a client that stays
 * quiet for {@code reset} after a block ends starts again from {@code first}. While blocked,
 * every request is refused (429, {@code "reason":"blocked"}, {@code Retry-After} the block's end)
 * and nothing is charged. An immutable value.
 *
 * <p>Written as text (for init-params) {@code profile.<name>.lockout=1m}, {@code
 * profile.<name>.lockout-max=1h}, {@code profile.<name>.lockout-reset=1h}.
 *
 * @param first the first block
 * @param max the longest block
 * @param reset the quiet time after a block that resets the escalation
 */
public record Lockout(Duration first, Duration max, Duration reset) {
  /** The longest block or quiet time accepted: 30 days. */
  private static final Duration LONGEST = Duration.ofDays(30);

  /**
   * Validates the lockout.
   *
   * @throws IllegalArgumentException if a duration is under a second or over 30 days, or {@code
   *     max} is under {@code first}
   */
  public Lockout {
    Objects.requireNonNull(first, "first");
    Objects.requireNonNull(max, "max");
    Objects.requireNonNull(reset, "reset");
    for (Duration d : new Duration[] {first, max, reset}) {
      if (d.compareTo(Duration.ofSeconds(1)) < 0 || d.compareTo(LONGEST) > 0) {
        throw new IllegalArgumentException("lockout durations must be 1s to 30d, got " + d);
      }
    }
    if (max.compareTo(first) < 0) {
      throw new IllegalArgumentException("lockout max (" + max + ") is under its first block ("
          + first + ")");
    }
  }

  /** Blocks of {@code first} doubling to one hour, reset after an hour's quiet. */
  public static Lockout of(Duration first) {
    Duration max = first.compareTo(Duration.ofHours(1)) > 0 ? first : Duration.ofHours(1);
    return new Lockout(first, max, Duration.ofHours(1));
  }

  /**
   * Reads a profile's lockout settings; {@code null} when {@code lockout} is not set.
   *
   * @throws ConfigurationException naming the setting that is malformed
   */
  static Lockout parse(String profile, String first, String max, String reset) {
    String at = "profile." + profile + ".lockout";
    if (first == null || first.isBlank()) {
      if ((max != null && !max.isBlank()) || (reset != null && !reset.isBlank())) {
        throw new ConfigurationException(at, "lockout-max and lockout-reset need " + at);
      }
      return null;
    }
    Duration f = SettingValues.span(at, first);
    Duration m = max == null || max.isBlank() ? null : SettingValues.span(at + "-max", max);
    Duration r = reset == null || reset.isBlank() ? null : SettingValues.span(at + "-reset",
        reset);
    Lockout defaults = of(f);
    try {
      return new Lockout(f, m != null ? m : defaults.max().compareTo(f) < 0 ? f : defaults.max(),
          r != null ? r : defaults.reset());
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(at, e.getMessage(), e);
    }
  }

  /** The block for the {@code level}th lockout in a row (0 for the first), in milliseconds. */
  long blockMillis(int level) {
    long ms = first.toMillis();
    long cap = max.toMillis();
    for (int i = 0; i < level && ms < cap; i++) {
      ms *= 2;
    }
    return Math.min(ms, cap);
  }

  @Override
  public String toString() {
    return "lockout " + first + " doubling to " + max + ", reset after " + reset;
  }
}
