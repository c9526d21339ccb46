package dev.ratecache.cache;

/**
 * Told of every cache lookup as it is made (a {@link QueryCache} read or load, a {@code
 * @CachedQuery} response), on the reading thread: for tracing and timing (the Spring Boot starter
 * turns each into a Micrometer Observation named {@code ratecache.cache.lookup}). Counters need
 * none of this: {@link QueryCache#stats()} keeps them.
 *
 * <p>Implementations must be thread-safe and quick. What they throw is logged (throttled) and
 * never changes a lookup.
 */
public interface LookupObserver {
  /** Observes nothing (the default). */
  LookupObserver NONE = category -> Scope.NONE;

  /**
   * A lookup of a key in TTL category {@code category} ({@link CacheKeys#category}) begins.
   *
   * @return what is told how it ended
   */
  Scope start(String category);

  /** One lookup being made. */
  interface Scope {
    /** Nothing to tell. */
    Scope NONE = new Scope() {
      @Override
      public void found(boolean hit, boolean onRedis) {}

      @Override
      public void failed(Throwable error) {}
    };

    /**
     * The lookup ended: a hit or a miss, answered by Redis (or the near copy of a Redis entry)
     * or by the memory fallback.
     */
    void found(boolean hit, boolean onRedis);

    /** The lookup threw (a defect; Redis failures are misses, not errors). */
    void failed(Throwable error);
  }
}
