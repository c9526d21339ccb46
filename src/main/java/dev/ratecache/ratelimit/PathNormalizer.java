package dev.ratecache.ratelimit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;

/**
 * Turns a raw request path into the canonical form routes are matched on, so that encoded or odd
 * spellings of a guarded path cannot slip past its limit. Pure and thread-safe.
 *
 * <p>The steps: percent-decode (UTF-8; an invalid escape is kept literally), treat {@code \} as
 * {@code /}, drop path parameters ({@code ;x=1}) and surrounding whitespace from every segment,
 * drop empty and {@code .} segments, resolve {@code ..}, and optionally fold case.
 * {@code /api/%63hat}, {@code //api/chat}, {@code /api/./chat}, {@code /api/chat;x=1}, {@code
 * /api/chat%20} and {@code /api/x/../chat} all become {@code /api/chat}. Decoding {@code %2F} to {@code /} errs toward guarding: a path that
 * might reach a guarded resource is matched as if it did.
 */
final class PathNormalizer {
  private PathNormalizer() {}

  /**
   * The canonical form of {@code rawPath}.
   *
   * @param rawPath the path as the client sent it (the request URI without the context path)
   * @param foldCase true to lower-case the result
   * @return a path that starts with {@code /} and has no trailing {@code /} except for the root
   */
  static String normalize(String rawPath, boolean foldCase) {
    if (rawPath == null || rawPath.isEmpty()) {
      return "/";
    }
    int query = rawPath.indexOf('?');
    String path = query >= 0 ? rawPath.substring(0, query) : rawPath;
    if (isCanonical(path)) {
      // The common case: nothing to decode or resolve.
      return foldCase ? path.toLowerCase(Locale.ROOT) : path;
    }
    // Decode first so that encoded separators and dots are resolved like literal ones; decode
    // twice at most would be a different resource to the container, so once is right.
    String decoded = percentDecode(path).replace('\\', '/');
    Deque<String> segments = new ArrayDeque<>();
    for (String segment : decoded.split("/")) {
      int semicolon = segment.indexOf(';');
      // Whitespace around a segment is dropped: some routers trim it (Spring's trimTokens), so
      // "/reports%20/x" may reach "/reports/x".
      String s = (semicolon >= 0 ? segment.substring(0, semicolon) : segment).strip();
      if (s.isEmpty() || s.equals(".")) {
        continue;
      }
      if (s.equals("..")) {
        segments.pollLast();
        continue;
      }
      segments.addLast(s);
    }
    if (segments.isEmpty()) {
      return "/";
    }
    StringBuilder b = new StringBuilder(decoded.length());
    for (String s : segments) {
      b.append('/').append(s);
    }
    String result = b.toString();
    return foldCase ? result.toLowerCase(Locale.ROOT) : result;
  }

  /**
   * True if {@code path} starts with {@code /}, has no {@code %}, {@code ;}, {@code \\}, empty,
   * {@code .} or {@code ..} segment and no trailing slash: normalising it would change nothing.
   */
  static boolean isCanonical(String path) {
    int n = path.length();
    if (n == 0 || path.charAt(0) != '/') {
      return false;
    }
    if (n == 1) {
      return true;
    }
    if (path.charAt(n - 1) == '/') {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = path.charAt(i);
      if (c == '%' || c == ';' || c == '\\' || c <= ' ') {
        return false;
      }
      if (c == '/') {
        // An empty, "." or ".." segment follows this slash?
        int next = i + 1;
        if (next < n && path.charAt(next) == '/') {
          return false;
        }
        if (next < n && path.charAt(next) == '.') {
          int after = next + 1;
          if (after == n || path.charAt(after) == '/'
              || (path.charAt(after) == '.' && (after + 1 == n || path.charAt(after + 1) == '/'))) {
            return false;
          }
        }
      }
    }
    return true;
  }

  static String percentDecode(String s) {
    if (s.indexOf('%') < 0) {
      return s;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0
          && hex(s.charAt(i + 2)) >= 0) {
        out.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
        i += 3;
      } else {
        int cp = s.codePointAt(i);
        byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
        out.write(bytes, 0, bytes.length);
        i += Character.charCount(cp);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }
}
