package dev.ratecache.cache;

import dev.ratecache.ConfigurationException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * {@code Vary}-aware storage ({@link CachedQuery#vary()}): the request headers a route's
 * responses vary on, and the variant of the key a request's values of them name. A variant is
 * {@code <key>:vary:<hash of the values>}, so a header's value never reaches a key as it is and
 * every variant of a key falls under the same prefix; values are compared as sent, without case
 * and without the spaces around their commas (RFC 9110 section 12.5.5 leaves finer equivalence to
 * the origin). Thread-safe (stateless).
 */
final class VaryHeaders {
  /** The most request headers a route varies on. */
  static final int MAX_NAMES = 4;
  /** The longest value of one header that is keyed; a longer one is served, not stored. */
  static final int MAX_VALUE_CHARS = 256;
  /** The most variants a key keeps by default. */
  static final int DEFAULT_MAX_VARIANTS = 16;
  /** Headers that name who asks: per-user entries ({@code shared = false}) are for those. */
  private static final Set<String> REFUSED = Set.of("authorization", "proxy-authorization",
      "cookie");

  private VaryHeaders() {}

  /** {@code names} checked and lower-cased, for {@code where}. */
  static List<String> checked(String[] names, int maxVariants, String where) {
    if (names.length > MAX_NAMES) {
      throw new ConfigurationException("@CachedQuery", "vary names at most " + MAX_NAMES
          + " request headers, got " + names.length + " on " + where);
    }
    if (names.length > 0 && (maxVariants < 1 || maxVariants > 1000)) {
      throw new ConfigurationException("@CachedQuery", "maxVariants must be 1 to 1000, got "
          + maxVariants + " on " + where);
    }
    Set<String> out = new LinkedHashSet<>();
    for (String name : names) {
      String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
      if (!n.matches("[a-z0-9!#$%&'*+.^_`|~-]+") || n.equals("*")) {
        throw new ConfigurationException("@CachedQuery", "vary names a request header, got '"
            + name + "' on " + where);
      }
      if (REFUSED.contains(n)) {
        throw new ConfigurationException("@CachedQuery", "vary cannot name " + name + " on "
            + where + ": it names who asks; leave shared = false for one entry per user");
      }
      out.add(n);
    }
    return List.copyOf(out);
  }

  /**
   * The key suffix of a request whose headers are {@code values} (all values of a name, or
   * {@code null} for none), or {@code null} if a value is too long to key.
   */
  static String suffix(List<String> names, Function<String, List<String>> values) {
    StringBuilder b = new StringBuilder();
    for (String name : names) {
      List<String> v = values.apply(name);
      String joined = v == null ? "" : normalized(String.join(",", v));
      if (joined.length() > MAX_VALUE_CHARS) {
        return null;
      }
      b.append(name).append('=').append(joined).append('\n');
    }
    return ":vary:" + dev.ratecache.internal.Hashing.sha256Short(b.toString());
  }

  private static String normalized(String value) {
    if (value.length() > MAX_VALUE_CHARS * 4) {
      return value; // too long whatever its spaces: refused by the caller
    }
    List<String> parts = new ArrayList<>();
    for (String p : value.split(",")) {
      String s = p.strip();
      if (!s.isEmpty()) {
        parts.add(s.toLowerCase(Locale.ROOT));
      }
    }
    return String.join(",", parts);
  }

  /** Whether a response's {@code Vary} values name only headers in {@code names}. */
  static boolean covers(List<String> names, List<String> varyValues) {
    for (String value : varyValues) {
      for (String n : value.split(",")) {
        String name = n.strip().toLowerCase(Locale.ROOT);
        if (!name.isEmpty() && !names.contains(name)) {
          return false; // "*" included
        }
      }
    }
    return true;
  }

  /** The {@code Vary} value to send: {@code existing} with the names it lacks added. */
  static String merged(String existing, List<String> names) {
    Set<String> have = new LinkedHashSet<>();
    List<String> out = new ArrayList<>();
    if (existing != null) {
      for (String n : existing.split(",")) {
        String s = n.strip();
        if (!s.isEmpty() && have.add(s.toLowerCase(Locale.ROOT))) {
          out.add(s);
        }
      }
    }
    for (String n : names) {
      if (have.add(n)) {
        out.add(n);
      }
    }
    return String.join(", ", out);
  }
}
