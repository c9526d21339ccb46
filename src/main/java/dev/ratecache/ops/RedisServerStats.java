package dev.ratecache.ops;

import java.util.Map;

/**
 * Redis-side figures from {@code INFO} and a bounded {@code SCAN}, summed over masters.
 *
 * @param opsPerSecond {@code instantaneous_ops_per_sec}
 * @param usedMemoryBytes {@code used_memory}
 * @param maxMemoryBytes {@code maxmemory} (0: no limit)
 * @param evictedKeys {@code evicted_keys}
 * @param expiredKeys {@code expired_keys}
 * @param totalKeys keys in the database ({@code DBSIZE})
 * @param keysByNamespace keys per namespace of the library ({@code query:user}, …, {@code other})
 * @param estimated true if the keyspace was larger than the scan limit and the namespace counts
 *     were extrapolated from a sample
 */
public record RedisServerStats(long opsPerSecond, long usedMemoryBytes, long maxMemoryBytes,
    long evictedKeys, long expiredKeys, long totalKeys, Map<String, Long> keysByNamespace,
    boolean estimated) {
  public RedisServerStats {
    keysByNamespace = Map.copyOf(keysByNamespace);
  }
}
