package dev.ratecache.cache;

import java.util.ArrayList;
import java.util.List;

/**
 * Evaluates {@code If-Match} and {@code If-None-Match} (RFC 9110, sections 13.1.1, 13.1.2 and
 * 13.2.2) against a cached response's entity tag, for {@code GET} and {@code HEAD}. Pure and
 * thread-safe.
 *
 * <p>A header that is not a valid list of entity tags ({@code abc}, {@code "unterminated},
 * {@code W/}, {@code "a", b}) is ignored, as if absent: a client's malformed validator is never
 * an error of the server's, and costs no log line.
 */
final class Preconditions {
  /** What the request's preconditions say. */
  enum Outcome {
    /** Serve the response. */
    PROCEED,
    /** {@code 304 Not Modified}: the client's copy is current. */
    NOT_MODIFIED,
    /** {@code 412 Precondition Failed}: the client asked for another representation. */
    FAILED
  }

  private Preconditions() {}

  /**
   * The outcome for a representation whose strong entity tag is {@code "opaque"}.
   *
   * @param ifMatch every {@code If-Match} header value (empty if none)
   * @param ifNoneMatch every {@code If-None-Match} header value (empty if none)
   * @param opaque the tag without quotes
   */
  static Outcome evaluate(List<String> ifMatch, List<String> ifNoneMatch, String opaque) {
    List<String> match = parse(ifMatch);
    if (match != null && !match.contains("*") && !match.contains(opaque)) {
      return Outcome.FAILED; // strong comparison: a weak tag never matches (section 8.8.3.2)
    }
    List<String> noneMatch = parse(ifNoneMatch);
    if (noneMatch != null && (noneMatch.contains("*") || noneMatch.contains(opaque)
        || noneMatch.contains("W/" + opaque))) {
      return Outcome.NOT_MODIFIED; // weak comparison
    }
    return Outcome.PROCEED;
  }

  /**
   * The tags of the header values joined as one list: {@code "*"}, or each tag's opaque part
   * (prefixed {@code W/} if weak); null if there is no header or any part is malformed.
   */
  static List<String> parse(List<String> values) {
    if (values == null || values.isEmpty()) {
      return null;
    }
    List<String> tags = new ArrayList<>();
    for (String value : values) {
      if (value == null) {
        return null;
      }
      String v = value.strip();
      if (v.equals("*")) {
        tags.add("*");
        continue;
      }
      int i = 0;
      int n = v.length();
      boolean expectTag = true;
      while (i < n) {
        char c = v.charAt(i);
        if (c == ' ' || c == '\t') {
          i++;
          continue;
        }
        if (c == ',') {
          expectTag = true; // empty list elements are allowed (RFC 9110 section 5.6.1)
          i++;
          continue;
        }
        if (!expectTag) {
          return null; // two tags without a comma between them
        }
        boolean weak = v.startsWith("W/", i);
        if (weak) {
          i += 2;
        }
        if (i >= n || v.charAt(i) != '"') {
          return null;
        }
        int close = i + 1;
        while (close < n && v.charAt(close) != '"') {
          char t = v.charAt(close);
          if (t < 0x21 || t == 0x7f) {
            return null; // etagc excludes controls and spaces
          }
          close++;
        }
        if (close >= n) {
          return null; // unterminated
        }
        String opaque = v.substring(i + 1, close);
        tags.add(weak ? "W/" + opaque : opaque);
        i = close + 1;
        expectTag = false;
      }
    }
    return tags.isEmpty() ? null : tags;
  }
}
