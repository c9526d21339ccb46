package dev.ratecache.internal;

/**
 * Redis's glob matching ({@code KEYS}/{@code SCAN MATCH}): {@code *}, {@code ?}, {@code [abc]},
 * {@code [^a-z]} and {@code \} escapes, so the in-memory store invalidates exactly what Redis
 * would, and events name the keys they concern exactly as Redis would match them. Iterative with single-star backtracking: O(pattern × key) in the worst case. Pure.
 */
public final class GlobPattern {
  private GlobPattern() {}

  /** Whether {@code key} matches {@code pattern} as {@code SCAN MATCH} would decide. */
  /**
   * Whether some key starting with {@code prefix} could match {@code pattern}: false lets a
   * listener skip a pattern that cannot concern its namespace without looking at its keys.
   */
  public static boolean mayMatchPrefix(String pattern, String prefix) {
    int literal = 0;
    while (literal < pattern.length() && "*?[\\".indexOf(pattern.charAt(literal)) < 0) {
      literal++;
    }
    String lit = pattern.substring(0, literal);
    return lit.startsWith(prefix) || prefix.startsWith(lit);
  }

  public static boolean matches(String pattern, String key) {
    int p = 0;
    int k = 0;
    int starP = -1;
    int starK = -1;
    while (k < key.length()) {
      if (p < pattern.length() && pattern.charAt(p) == '*') {
        while (p < pattern.length() && pattern.charAt(p) == '*') {
          p++;
        }
        if (p == pattern.length()) {
          return true;
        }
        starP = p;
        starK = k;
        continue;
      }
      int consumed = p < pattern.length() ? matchOne(pattern, p, key.charAt(k)) : -1;
      if (consumed > 0) {
        p += consumed;
        k++;
      } else if (starP >= 0) {
        p = starP;
        k = ++starK;
      } else {
        return false;
      }
    }
    while (p < pattern.length() && pattern.charAt(p) == '*') {
      p++;
    }
    return p == pattern.length();
  }

  /** Pattern characters used if the element at {@code p} matches {@code c}, else -1. */
  private static int matchOne(String pattern, int p, char c) {
    char pc = pattern.charAt(p);
    switch (pc) {
      case '?':
        return 1;
      case '\\':
        if (p + 1 < pattern.length()) {
          return pattern.charAt(p + 1) == c ? 2 : -1;
        }
        return c == '\\' ? 1 : -1;
      case '[': {
        int i = p + 1;
        boolean negate = i < pattern.length() && pattern.charAt(i) == '^';
        if (negate) {
          i++;
        }
        boolean match = false;
        while (i < pattern.length() && pattern.charAt(i) != ']') {
          char lo = pattern.charAt(i);
          if (lo == '\\' && i + 1 < pattern.length()) {
            lo = pattern.charAt(++i);
          }
          if (i + 2 < pattern.length() && pattern.charAt(i + 1) == '-'
              && pattern.charAt(i + 2) != ']') {
            char hi = pattern.charAt(i + 2);
            char a = (char) Math.min(lo, hi);
            char b = (char) Math.max(lo, hi);
            match |= c >= a && c <= b;
            i += 3;
          } else {
            match |= c == lo;
            i++;
          }
        }
        // An unterminated class runs to the end of the pattern, as in Redis.
        int used = (i < pattern.length() ? i + 1 : i) - p;
        return match != negate ? used : -1;
      }
      default:
        return pc == c ? 1 : -1;
    }
  }
}
