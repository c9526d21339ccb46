package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import io.github.bucket4j.Bandwidth;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One token-bucket limit: up to {@code capacity} requests at once, refilled with {@code tokens}
 * every {@code period}; an immutable value.
 *
 * <p>Written as text (for init-params) {@code <tokens>/<period>[ interval][ burst <capacity>]},
 * for example {@code 20/1m} (20 per minute), {@code 5/15m}, {@code 1000/1d interval}, or
 * {@code 10/1s burst 50}. Periods take {@code ms}, {@code s}, {@code m}, {@code h} or {@code d}.
 * Greedy refill (the default) adds tokens continuously; interval refill adds them all at once at
 * the end of each period.
 *
 * @param capacity the most requests admitted in a burst; at least {@code tokens}
 * @param tokens how many requests one period refills
 * @param period the refill period; at least one millisecond
 * @param refill how tokens come back
 */
public record Limit(long capacity, long tokens, Duration period, Refill refill) {

  /** How tokens come back. */
  public enum Refill {
    /** Continuously: one token every {@code period / tokens}. */
    GREEDY,
    /** All at once at the end of each period. */
    INTERVAL
  }

  private static final Pattern SYNTAX = Pattern.compile(
      "(\\d+)\\s*/\\s*(\\d*)\\s*(ms|s|m|h|d)(?:\\s+(greedy|interval))?(?:\\s+burst\\s+(\\d+))?",
      Pattern.CASE_INSENSITIVE);

  /**
   * Validates the limit.
   *
   * @throws IllegalArgumentException if a field is out of range
   */
  public Limit {
    Objects.requireNonNull(period, "period");
    Objects.requireNonNull(refill, "refill");
    if (tokens < 1) {
      throw new IllegalArgumentException("limit tokens must be at least 1, got " + tokens);
    }
    if (capacity < tokens) {
      throw new IllegalArgumentException(
          "limit capacity (" + capacity + ") must be at least its tokens (" + tokens + ")");
    }
    if (period.toMillis() < 1) {
      throw new IllegalArgumentException("limit period must be at least 1 ms, got " + period);
    }
    if (tokens > period.toNanos()) {
      throw new IllegalArgumentException("a limit refills at most one token per nanosecond, got "
          + tokens + " per " + period);
    }
  }

  /** {@code requests} per {@code period}, greedy refill, burst equal to {@code requests}. */
  public static Limit of(long requests, Duration period) {
    return new Limit(requests, requests, period, Refill.GREEDY);
  }

  /** {@code requests} per {@code period}, all refilled at the end of each period. */
  public static Limit intervally(long requests, Duration period) {
    return new Limit(requests, requests, period, Refill.INTERVAL);
  }

  /** The same limit with a larger burst capacity. */
  public Limit withBurst(long burstCapacity) {
    return new Limit(burstCapacity, tokens, period, refill);
  }

  /**
   * Parses one limit, for example {@code 20/1m}.
   *
   * @param setting the name of the setting it came from, for error messages
   * @throws ConfigurationException naming {@code setting} if the text is malformed
   */
  public static Limit parse(String text, String setting) {
    Matcher m = SYNTAX.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new ConfigurationException(setting, "malformed limit '" + text
          + "'; expected <requests>/<period>[ interval][ burst <n>], e.g. 20/1m or 5/15m");
    }
    try {
      long tokens = Long.parseLong(m.group(1));
      long amount = m.group(2).isEmpty() ? 1 : Long.parseLong(m.group(2));
      Duration unit = dev.ratecache.internal.SettingValues.ofUnit(1, m.group(3));
      Refill refill = "interval".equalsIgnoreCase(m.group(4)) ? Refill.INTERVAL : Refill.GREEDY;
      long capacity = m.group(5) == null ? tokens : Long.parseLong(m.group(5));
      return new Limit(capacity, tokens, unit.multipliedBy(amount), refill);
    } catch (ArithmeticException | IllegalArgumentException e) {
      throw new ConfigurationException(setting, "invalid limit '" + text + "': "
          + e.getMessage(), e);
    }
  }

  /** Parses a comma-separated list of limits, for example {@code 10/1s, 1000/1h}. */
  public static List<Limit> parseAll(String text, String setting) {
    List<Limit> limits = new ArrayList<>();
    for (String part : (text == null ? "" : text).split(",")) {
      if (!part.isBlank()) {
        limits.add(parse(part, setting));
      }
    }
    if (limits.isEmpty()) {
      throw new ConfigurationException(setting, "must give at least one limit, e.g. 20/1m");
    }
    return List.copyOf(limits);
  }

  /** The window in whole seconds (at least 1), as the RateLimit-Policy {@code w} parameter. */
  public long windowSeconds() {
    return Math.max(1, (period.toMillis() + 999) / 1000);
  }

  Bandwidth toBandwidth() {
    var stage = Bandwidth.builder().capacity(capacity);
    return (refill == Refill.GREEDY
        ? stage.refillGreedy(tokens, period)
        : stage.refillIntervally(tokens, period)).build();
  }

  /** The text form, parseable by {@link #parse}. */
  @Override
  public String toString() {
    String p = formatPeriod(period);
    return tokens + "/" + p + (refill == Refill.INTERVAL ? " interval" : "")
        + (capacity != tokens ? " burst " + capacity : "");
  }

  private static String formatPeriod(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000 == 0) {
      return ms / 86_400_000 + "d";
    }
    if (ms % 3_600_000 == 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
