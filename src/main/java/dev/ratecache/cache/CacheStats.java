package dev.ratecache.cache;

import java.util.Map;

/**
 * Cache counters since start, per TTL category; an immutable snapshot.
 *
 * @param categories counters per category ({@code user}, {@code chat}, …)
 */
public record CacheStats(Map<String, CategoryStats> categories) {

  /**
   * Counters of one category.
   *
   * @param hits reads that found a value
   * @param misses reads that found none
   * @param errors Redis failures and undecodable values (each also served as a miss or from
   *     memory)
   * @param fallback operations served by the in-memory store because Redis was unavailable
   */
  public record CategoryStats(long hits, long misses, long errors, long fallback) {
    /** Hits as a fraction of reads; 0 when there were none. */
    public double hitRatio() {
      long reads = hits + misses;
      return reads == 0 ? 0 : (double) hits / reads;
    }
  }

  public CacheStats {
    categories = Map.copyOf(categories);
  }

  /** All categories added together. */
  public CategoryStats total() {
    long h = 0;
    long m = 0;
    long e = 0;
    long f = 0;
    for (CategoryStats c : categories.values()) {
      h += c.hits();
      m += c.misses();
      e += c.errors();
      f += c.fallback();
    }
    return new CategoryStats(h, m, e, f);
  }
}
