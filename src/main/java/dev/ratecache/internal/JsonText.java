package dev.ratecache.internal;

import java.util.Locale;

/**
 * JSON string literals (RFC 8259 section 7), written and read without a JSON library: for the
 * few fixed shapes the library writes itself on hot paths (problem bodies, the stored-response
 * envelope). Pure and thread-safe.
 */
public final class JsonText {
  private JsonText() {}

  /** Appends {@code s} as a JSON string literal, quotes included. */
  public static StringBuilder quote(StringBuilder b, String s) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"');
  }

  /**
   * Reads the string literal that starts at {@code text[at]} (its opening quote).
   *
   * @return the literal's value and the index just after its closing quote, or {@code null} if
   *     there is no well-formed literal at {@code at}
   */
  public static Read read(String text, int at) {
    if (at >= text.length() || text.charAt(at) != '"') {
      return null;
    }
    StringBuilder value = new StringBuilder();
    int i = at + 1;
    while (i < text.length()) {
      char c = text.charAt(i++);
      if (c == '"') {
        return new Read(value.toString(), i);
      }
      if (c < 0x20) {
        return null; // control characters must be escaped
      }
      if (c != '\\') {
        value.append(c);
        continue;
      }
      if (i >= text.length()) {
        return null;
      }
      char e = text.charAt(i++);
      switch (e) {
        case '"', '\\', '/' -> value.append(e);
        case 'b' -> value.append('\b');
        case 'f' -> value.append('\f');
        case 'n' -> value.append('\n');
        case 'r' -> value.append('\r');
        case 't' -> value.append('\t');
        case 'u' -> {
          if (i + 4 > text.length()) {
            return null;
          }
          int code = 0;
          for (int k = 0; k < 4; k++) {
            int d = Character.digit(text.charAt(i + k), 16);
            if (d < 0) {
              return null;
            }
            code = code * 16 + d;
          }
          value.append((char) code);
          i += 4;
        }
        default -> {
          return null;
        }
      }
    }
    return null; // unterminated
  }

  /** A string literal read: its value, and the index just after it. */
  public record Read(String value, int end) {}
}
