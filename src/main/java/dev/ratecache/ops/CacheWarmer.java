package dev.ratecache.ops;

import dev.ratecache.cache.QueryCache;
import java.util.Objects;

/**
 * Loads hot data into the cache, for example at start-up: the equivalent of one step of
 * {@code warmupCache}.
 */
public interface CacheWarmer {
  /** A short name for reports. */
  String name();

  /**
   * Loads data through {@code cache}.
   *
   * @return how many entries were written
   * @throws Exception anything; it is reported, never rethrown by {@link Warmup}
   */
  int warm(QueryCache cache) throws Exception;

  /** The body of a warmer. */
  @FunctionalInterface
  interface Body {
    int warm(QueryCache cache) throws Exception;
  }

  /** A warmer from a name and a lambda. */
  static CacheWarmer of(String name, Body body) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(body, "body");
    return new CacheWarmer() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public int warm(QueryCache cache) throws Exception {
        return body.warm(cache);
      }
    };
  }
}
