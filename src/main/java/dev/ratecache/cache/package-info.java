/**
 * Query and response caching: {@link dev.ratecache.cache.QueryCache} (JSON values in Redis with
 * per-category TTLs, O(1) pattern invalidation, single-flight loads, an opt-in near cache and an
 * in-memory fallback) and {@link dev.ratecache.cache.CachedQueryFeature} with {@link
 * dev.ratecache.cache.CachedQuery} and {@link dev.ratecache.cache.InvalidatesCache} (JAX-RS
 * responses, per user unless shared, with RFC 9110 validators).
 *
 * <p>{@code QueryCache} and the feature are thread-safe; a Redis failure is never an error for a
 * caller of the cache (the worst case is a miss). A miss is an empty {@code Optional}, never
 * {@code null}; keys and values are never {@code null}.
 */
package dev.ratecache.cache;
