package dev.ratecache.ratelimit;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads a query string as JAX-RS ({@code UriInfo.getQueryParameters()}) and the Servlet API
 * ({@code getParameter}) read it: {@code &}-separated pairs, the name and the value each
 * percent-decoded as UTF-8 with {@code +} for a space. A pair whose name or value is not valid
 * percent-encoding is passed over, as the containers reject or drop it. Pure; thread-safe.
 */
final class QueryString {
  private QueryString() {}

  /**
   * The first value of the parameter {@code name} (after decoding both), or {@code null} if
   * {@code query} is {@code null} or has no such parameter; a name without {@code =} has the
   * value {@code ""}.
   */
  static String first(String query, String name) {
    if (query == null || query.isEmpty()) {
      return null;
    }
    int start = 0;
    while (start <= query.length()) {
      int end = query.indexOf('&', start);
      if (end < 0) {
        end = query.length();
      }
      if (end > start) {
        int eq = query.indexOf('=', start);
        boolean hasValue = eq >= 0 && eq < end;
        String rawName = query.substring(start, hasValue ? eq : end);
        String decodedName = decode(rawName);
        if (name.equals(decodedName)) {
          String value = hasValue ? decode(query.substring(eq + 1, end)) : "";
          if (value != null) {
            return value;
          }
        }
      }
      start = end + 1;
    }
    return null;
  }

  private static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return s;
    }
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException malformed) {
      return null;
    }
  }
}
