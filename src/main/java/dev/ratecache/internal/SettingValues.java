package dev.ratecache.internal;

import dev.ratecache.ConfigurationException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

/**
 * One parser per type for every setting the library reads (environment variables, init-params,
 * properties), with one error style: a {@link ConfigurationException} that names the setting and
 * quotes the value. Values are trimmed; booleans are {@code true/yes/on/1} or
 * {@code false/no/off/0}; choices ignore case and accept {@code -} for {@code _}.
 */
public final class SettingValues {
  private SettingValues() {}

  /** A whole number ({@code int}). */
  public static int integer(String name, String value) {
    try {
      return Integer.parseInt(value.trim());
    } catch (NumberFormatException e) {
      throw new ConfigurationException(name, "must be a whole number, got '" + value + "'", e);
    }
  }

  /** A whole number ({@code long}) of at least {@code min}. */
  public static long atLeast(String name, String value, long min) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new ConfigurationException(name, "must be a whole number, got '" + value + "'", e);
    }
    if (n < min) {
      throw new ConfigurationException(name, "must be at least " + min + ", got " + n);
    }
    return n;
  }

  /** A non-negative whole number of milliseconds. */
  public static Duration millis(String name, String value) {
    try {
      long ms = Long.parseLong(value.trim());
      if (ms < 0) {
        throw new ConfigurationException(name, "must not be negative, got " + ms);
      }
      return Duration.ofMillis(ms);
    } catch (NumberFormatException e) {
      throw new ConfigurationException(name,
          "must be a whole number of milliseconds, got '" + value + "'", e);
    }
  }

  /** A whole number of seconds (the caller checks the range it needs). */
  public static Duration seconds(String name, String value) {
    try {
      return Duration.ofSeconds(Long.parseLong(value.trim()));
    } catch (NumberFormatException e) {
      throw new ConfigurationException(name, "must be whole seconds, got '" + value + "'", e);
    }
  }

  /** {@code amount} of {@code ms}, {@code s}, {@code m}, {@code h} or {@code d} (any case). */
  public static Duration ofUnit(long amount, String unit) {
    return switch (unit.toLowerCase(Locale.ROOT)) {
      case "ms" -> Duration.ofMillis(amount);
      case "s" -> Duration.ofSeconds(amount);
      case "m" -> Duration.ofMinutes(amount);
      case "h" -> Duration.ofHours(amount);
      case "d" -> Duration.ofDays(amount);
      default -> throw new IllegalArgumentException("unknown unit '" + unit + "'");
    };
  }

  private static final java.util.regex.Pattern SPAN =
      java.util.regex.Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h|d)",
          java.util.regex.Pattern.CASE_INSENSITIVE);

  /**
   * A span such as {@code 90s}, {@code 10m}, {@code 2h}, {@code 1d} or {@code 500ms}.
   *
   * @throws ConfigurationException naming {@code name} if it is not one
   */
  public static Duration span(String name, String value) {
    java.util.regex.Matcher m = SPAN.matcher(value == null ? "" : value.trim());
    if (!m.matches()) {
      throw new ConfigurationException(name, "must be a duration such as 90s, 10m, 2h or 1d,"
          + " got '" + value + "'");
    }
    return ofUnit(Long.parseLong(m.group(1)), m.group(2));
  }

  /** {@code true/yes/on/1} or {@code false/no/off/0}, in any case. */
  public static boolean bool(String name, String value) {
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> throw new ConfigurationException(name,
          "must be true or false, got '" + value + "'");
    };
  }

  /**
   * One of {@code type}'s constants, named in any case, with {@code -} for {@code _}
   * ({@code one-round-trip} is {@code ONE_ROUND_TRIP}).
   */
  public static <E extends Enum<E>> E choice(String name, String value, Class<E> type) {
    String wanted = value.trim().replace('-', '_');
    for (E e : type.getEnumConstants()) {
      if (e.name().equalsIgnoreCase(wanted)) {
        return e;
      }
    }
    throw new ConfigurationException(name, "must be one of "
        + Arrays.stream(type.getEnumConstants())
            .map(e -> e.name().toLowerCase(Locale.ROOT).replace('_', '-')).toList()
        + ", got '" + value + "'");
  }

  /** A file path (not checked for existence here). */
  public static Path path(String name, String value) {
    try {
      return Path.of(value.trim());
    } catch (InvalidPathException e) {
      throw new ConfigurationException(name, "is not a valid file path: '" + value + "'", e);
    }
  }
}
