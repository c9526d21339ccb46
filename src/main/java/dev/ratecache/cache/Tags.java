package dev.ratecache.cache;

import dev.ratecache.internal.Hashing;
import dev.ratecache.internal.KeySpace;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Tags (surrogate keys): an entry may belong to up to {@value #MAX} tags, such as {@code user:42},
 * and invalidating a tag makes every entry carrying it a miss, on every instance, in one Redis
 * write. Each invalidated tag has a version in Redis, {@code ratecache:tag:<tag>}: a random token
 * set by each invalidation, kept for the tag retention (plus a load's longest life), absent for a
 * tag never invalidated (version {@code 0}). An entry carries the versions its tags had before its
 * value was loaded, in an envelope inside the generation stamp: {@code {"@ratecache.tags":"user:42=0
 * org:7=k3j9","v":…}}. A read compares them with the tags' versions now; any difference is a
 * miss. A tagged entry lives no longer than the retention, so no tag's version expires while an
 * entry stamped before its invalidation is still stored, and nothing grows with the entries
 * tagged: no sets of members, no scans.
 *
 * <p>The memory store keeps the same envelope with the tags' names only ({@code "user:42
 * org:7"}), and a tag's invalidation removes its entries there (work bounded by the store's
 * size).
 *
 * <p>Names are kept as they are when short and plain ({@code [A-Za-z0-9:._@/-]}, at most {@value
 * #MAX_LENGTH} characters); any other is replaced by {@code #} and its SHA-256 prefix, so a tag
 * built from client input can neither break the envelope nor make a long key.
 */
final class Tags {
  /** The most tags an entry may carry. */
  static final int MAX = 8;
  static final int MAX_LENGTH = 100;
  /** The version of a tag never invalidated (or whose invalidation expired). */
  static final String NEVER = "0";
  static final String MARKER = "{\"@ratecache.tags\":\"";
  private static final String VALUE = "\",\"v\":";

  private Tags() {}

  /**
   * The stored names of {@code tags}: distinct, in a fixed order, each made safe.
   *
   * @throws IllegalArgumentException if one is null or blank, or there are more than {@value
   *     #MAX}
   */
  static List<String> names(Collection<String> tags) {
    if (tags == null || tags.isEmpty()) {
      return List.of();
    }
    TreeSet<String> names = new TreeSet<>();
    for (String tag : tags) {
      names.add(name(tag));
    }
    if (names.size() > MAX) {
      throw new IllegalArgumentException("an entry carries at most " + MAX + " tags, got "
          + names.size() + ": " + names);
    }
    return List.copyOf(names);
  }

  /** The stored name of one tag. */
  static String name(String tag) {
    if (tag == null || tag.isBlank()) {
      throw new IllegalArgumentException("a tag must not be null or blank, got \"" + tag + "\"");
    }
    if (tag.length() <= MAX_LENGTH && tag.chars().allMatch(Tags::plain)
        && !tag.startsWith("#")) {
      return tag;
    }
    return "#" + Hashing.sha256Short(tag);
  }

  private static boolean plain(int c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
        || ":._@/-".indexOf(c) >= 0;
  }

  /** The Redis key of a tag's version. */
  static String key(String name) {
    return KeySpace.TAGS + name;
  }

  /** {@code value} in the envelope with {@code stamp} ({@code value} itself for no tags). */
  static String wrap(String value, String stamp) {
    return stamp.isEmpty() ? value : MARKER + stamp + VALUE + value + "}";
  }

  /** The stamp of {@code names} with their {@code versions} ({@link #NEVER} when absent). */
  static String stamp(List<String> names, Map<String, String> versions) {
    StringBuilder b = new StringBuilder();
    for (String n : names) {
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(n).append('=').append(versions.getOrDefault(n, NEVER));
    }
    return b.toString();
  }

  /** The names alone, as the memory store keeps them. */
  static String namesOnly(List<String> names) {
    return String.join(" ", names);
  }

  /** What a stored text holds: its tags' stamp ({@code ""} for none) and the value inside. */
  record Parsed(String stamp, String value) {
    /** The names and versions of the stamp, in its order (version {@code ""} for names only). */
    Map<String, String> versions() {
      Map<String, String> out = new LinkedHashMap<>();
      if (stamp.isEmpty()) {
        return out;
      }
      for (String part : stamp.split(" ")) {
        int eq = part.lastIndexOf('=');
        if (eq < 0) {
          out.put(part, "");
        } else {
          out.put(part.substring(0, eq), part.substring(eq + 1));
        }
      }
      return out;
    }

    /** Whether the entry carries the tag named {@code name}. */
    boolean carries(String name) {
      return versions().containsKey(name);
    }
  }

  /** {@code stored} parsed; {@code null} for {@code null}; no tags when there is no envelope. */
  static Parsed of(String stored) {
    if (stored == null) {
      return null;
    }
    if (!stored.startsWith(MARKER)) {
      return new Parsed("", stored);
    }
    int end = stored.indexOf(VALUE, MARKER.length());
    if (end < 0 || !stored.endsWith("}")) {
      return new Parsed("", stored);
    }
    return new Parsed(stored.substring(MARKER.length(), end),
        stored.substring(end + VALUE.length(), stored.length() - 1));
  }

  /** The envelope's header up to the value, or {@code ""} without one (a write's fence). */
  static String header(String stored) {
    if (stored == null || !stored.startsWith(MARKER)) {
      return "";
    }
    int end = stored.indexOf(VALUE, MARKER.length());
    return end < 0 ? "" : stored.substring(0, end + VALUE.length());
  }

  /** The names of a stamp, in its order. */
  static List<String> namesOf(String stamp) {
    return new ArrayList<>(new Parsed(stamp, "").versions().keySet());
  }
}
