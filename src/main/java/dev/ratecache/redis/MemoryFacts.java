package dev.ratecache.redis;

/**
 * What a Redis server says of its memory in {@code INFO memory}: how much it uses, its limit
 * ({@code maxmemory}, 0 for none) and what it does at the limit ({@code maxmemory-policy}).
 *
 * @param used bytes in use ({@code used_memory})
 * @param max the limit in bytes, 0 if none
 * @param policy {@code noeviction}, {@code allkeys-lru}, {@code volatile-ttl}… ({@code ""} if not
 *     reported)
 */
public record MemoryFacts(long used, long max, String policy) {
  /** Headroom a full {@code noeviction} server must have again before it counts as usable. */
  static final double HEADROOM = 0.10;

  /** Reads the fields of an {@code INFO memory} reply; absent fields are 0 and "". */
  public static MemoryFacts parse(String info) {
    long used = 0;
    long max = 0;
    String policy = "";
    for (String line : info.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon);
      String value = line.substring(colon + 1).trim();
      try {
        switch (name) {
          case "used_memory" -> used = Long.parseLong(value);
          case "maxmemory" -> max = Long.parseLong(value);
          case "maxmemory_policy" -> policy = value;
          default -> { }
        }
      } catch (NumberFormatException ignored) {
        // a field this version writes differently: left as unknown
      }
    }
    return new MemoryFacts(used, max, policy);
  }

  /** Whether the server removes keys of its own accord when full (any policy but noeviction). */
  public boolean evicts() {
    return max > 0 && !policy.isEmpty() && !policy.equals("noeviction");
  }

  /**
   * Why the server is too full to count as usable, or {@code null}: under {@code noeviction},
   * less than {@value #HEADROOM} of {@code maxmemory} free.
   */
  String nearlyFull() {
    if (max <= 0 || !policy.equals("noeviction") || used < max * (1 - HEADROOM)) {
      return null;
    }
    return "nearly full: " + used + " of maxmemory " + max + " bytes used under"
        + " maxmemory-policy noeviction; usable again below " + Math.round(max * (1 - HEADROOM));
  }
}
