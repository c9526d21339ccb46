package dev.ratecache.ops;

import java.util.LinkedHashMap;
import java.util.Map;

/** Parses {@code INFO} output ({@code field:value} lines, {@code #} section headers). */
final class RedisInfo {
  private RedisInfo() {}

  static Map<String, String> parse(String info) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (info == null) {
      return fields;
    }
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && !line.startsWith("#")) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }

  /** A numeric field, or 0 if absent or not a number. */
  static long number(Map<String, String> fields, String name) {
    try {
      return Long.parseLong(fields.getOrDefault(name, "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
