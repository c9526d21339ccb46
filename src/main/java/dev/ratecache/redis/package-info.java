/**
 * The Redis connection layer: {@link dev.ratecache.redis.RedisSettings} (standalone, Sentinel,
 * Cluster, TLS; from the environment, init-params or a builder) and {@link
 * dev.ratecache.redis.RedisConnector}, a lazily created, pooled Jedis client behind a health
 * switch ({@link dev.ratecache.redis.RedisHealth}) that fails fast with {@link
 * dev.ratecache.redis.RedisUnavailableException} while Redis is down and probes in the
 * background until it is back; {@link dev.ratecache.redis.RedisEvents} carries invalidations
 * between instances.
 *
 * <p>Knows nothing of rate limits or caches. {@code RedisConnector}, {@code RedisHealth} and
 * {@code RedisEvents} are thread-safe; settings are immutable; builders are not thread-safe.
 * Listeners are called outside locks, and what they throw is logged, never propagated.
 */
package dev.ratecache.redis;
