package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Maps a request path and method to the profile that guards it: the longest matching prefix on
 * segment boundaries ({@code /api/chat} guards {@code /api/chat} and {@code /api/chat/x}, not
 * {@code /api/chatter}); at one prefix, a profile restricted to the request's method wins over
 * one for every method. Compiled once; lookups are pure and thread-safe.
 */
final class RouteTable {
  private final Map<String, List<RateLimitProfile>> byPrefix;
  private final boolean foldCase;

  private RouteTable(Map<String, List<RateLimitProfile>> byPrefix, boolean foldCase) {
    this.byPrefix = byPrefix;
    this.foldCase = foldCase;
  }

  /**
   * Compiles the prefixes of {@code profiles}.
   *
   * @param foldCase match case-insensitively
   * @throws ConfigurationException if two profiles guard the same prefix for the same method
   */
  static RouteTable compile(Collection<RateLimitProfile> profiles, boolean foldCase) {
    Map<String, List<RateLimitProfile>> map = new HashMap<>();
    for (RateLimitProfile p : profiles) {
      for (String prefix : p.prefixes()) {
        String key = foldCase ? prefix.toLowerCase(Locale.ROOT) : prefix;
        List<RateLimitProfile> atPrefix = map.computeIfAbsent(key, k -> new ArrayList<>());
        for (RateLimitProfile other : atPrefix) {
          boolean overlap = other.methods().isEmpty() && p.methods().isEmpty()
              || other.methods().stream().anyMatch(p.methods()::contains);
          if (overlap) {
            throw new ConfigurationException("profile." + p.name() + ".prefixes",
                "prefix " + prefix + " is already guarded by profile '" + other.name()
                    + "' for the same methods");
          }
        }
        atPrefix.add(p);
        // Method-specific profiles first, so they win at the same prefix.
        atPrefix.sort((a, b) -> Boolean.compare(a.methods().isEmpty(), b.methods().isEmpty()));
      }
    }
    map.replaceAll((k, v) -> List.copyOf(v));
    return new RouteTable(Map.copyOf(map), foldCase);
  }

  /**
   * The profile guarding {@code rawPath} for {@code method}, or {@code null} if none.
   *
   * @param method the HTTP method, upper case
   * @param rawPath the path within the application as sent (it is normalised here)
   */
  RateLimitProfile match(String method, String rawPath) {
    if (byPrefix.isEmpty()) {
      return null;
    }
    String path = PathNormalizer.normalize(rawPath, foldCase);
    String candidate = path;
    while (true) {
      List<RateLimitProfile> atPrefix = byPrefix.get(candidate);
      if (atPrefix != null) {
        for (RateLimitProfile p : atPrefix) {
          if (p.methods().isEmpty() || p.methods().contains(method)) {
            return p;
          }
        }
      }
      if (candidate.equals("/")) {
        return null;
      }
      int slash = candidate.lastIndexOf('/');
      candidate = slash == 0 ? "/" : candidate.substring(0, slash);
    }
  }

  boolean isEmpty() {
    return byPrefix.isEmpty();
  }
}
