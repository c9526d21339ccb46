/**
 * Rate limiting: {@link dev.ratecache.ratelimit.RateLimiter} (the engine: profiles, clients,
 * Bucket4j buckets in Redis or in memory), {@link dev.ratecache.ratelimit.RateLimitFilter} (a
 * servlet filter for URL prefixes, configurable from {@code web.xml}), {@link
 * dev.ratecache.ratelimit.RateLimitFeature} with {@link dev.ratecache.ratelimit.RateLimited} (JAX-RS
 * annotations) and {@link dev.ratecache.ratelimit.ClientKeyResolver} (who the client is).
 *
 * <p>{@code RateLimiter}, the filter and the feature are thread-safe; {@code tryAcquire} never
 * throws for a Redis failure (the profile's fallback decides). Values ({@code Limit}, {@code
 * RateLimitProfile}, decisions and statistics) are immutable.
 */
package dev.ratecache.ratelimit;
