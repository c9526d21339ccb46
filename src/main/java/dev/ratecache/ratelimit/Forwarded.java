package dev.ratecache.ratelimit;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads the {@code for=} nodes of an RFC 7239 {@code Forwarded} header: elements separated by
 * commas, pairs by semicolons, values tokens or quoted strings (which may hold commas, semicolons,
 * colons and backslash escapes, as {@code for="[2001:db8::1]:4711"} does). Pure and thread-safe.
 */
final class Forwarded {
  private Forwarded() {}

  /**
   * Appends the node of every element of {@code header}, in order: the unquoted {@code for=}
   * value, or {@code ""} for an element without one (an unknown hop).
   */
  static void forNodes(String header, List<String> out) {
    for (String element : split(header, ',')) {
      String node = "";
      for (String pair : split(element, ';')) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).trim().toLowerCase(Locale.ROOT).equals("for")) {
          node = unquote(pair.substring(eq + 1).trim());
        }
      }
      out.add(node);
    }
  }

  /**
   * A quoted string's content with its escapes resolved; anything else as it is. An unterminated
   * quote yields {@code ""} (unparseable, so an unknown hop).
   */
  static String unquote(String value) {
    if (value.isEmpty() || value.charAt(0) != '"') {
      return value;
    }
    if (value.length() < 2 || value.charAt(value.length() - 1) != '"') {
      return "";
    }
    StringBuilder b = new StringBuilder(value.length());
    for (int i = 1; i < value.length() - 1; i++) {
      char c = value.charAt(i);
      if (c == '\\' && i + 1 < value.length() - 1) {
        c = value.charAt(++i);
      }
      b.append(c);
    }
    return b.toString();
  }

  /** {@code text} split at {@code separator} outside quoted strings. */
  private static List<String> split(String text, char separator) {
    List<String> parts = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (quoted && c == '\\' && i + 1 < text.length()) {
        current.append(c).append(text.charAt(++i));
        continue;
      }
      if (c == '"') {
        quoted = !quoted;
      } else if (c == separator && !quoted) {
        parts.add(current.toString().trim());
        current.setLength(0);
        continue;
      }
      current.append(c);
    }
    parts.add(current.toString().trim());
    return parts;
  }
}
