/**
 * ratecache: Redis-backed rate limiting and response / query caching for Jakarta Servlet, JAX-RS
 * and Spring applications, with an in-memory fallback when Redis is down.
 *
 * <p>Entry points: {@link dev.ratecache.redis.RedisConnector} (one per Redis configuration),
 * {@link dev.ratecache.ratelimit.RateLimiter} and {@link dev.ratecache.ratelimit.RateLimitFilter},
 * {@link dev.ratecache.cache.QueryCache} and {@link dev.ratecache.cache.CachedQueryFeature},
 * {@link dev.ratecache.ops.Operations}. Every start-up error is a {@link
 * dev.ratecache.ConfigurationException} naming the setting.
 *
 * <p>Conventions across the packages: settings are immutable values made by builders (builders
 * are not thread-safe; {@code build()} validates and copies); runtime objects are thread-safe;
 * no parameter or return value is {@code null} unless its Javadoc says so.
 */
package dev.ratecache;
