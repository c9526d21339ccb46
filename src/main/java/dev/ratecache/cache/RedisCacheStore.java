package dev.ratecache.cache;

import dev.ratecache.redis.KeySweep;
import dev.ratecache.redis.RedisConnector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.SetParams;

/**
 * Cached JSON in Redis: {@code SET … PX} with the entry's TTL; batches pipelined in one round trip
 * per node (grouped by slot owner on a Cluster); pattern invalidation by {@code SCAN MATCH COUNT}
 * and {@code UNLINK} in batches on every master (never {@code KEYS}, so Redis keeps serving other
 * clients during a large invalidation). Thread-safe.
 */
final class RedisCacheStore implements CacheStore {
  private final RedisConnector connector;

  RedisCacheStore(RedisConnector connector) {
    this.connector = connector;
  }

  @Override
  public String get(String key) {
    return connector.execute(j -> j.get(key));
  }

  @Override
  public void put(String key, String value, Duration ttl) {
    connector.run(j -> j.set(key, value, SetParams.setParams().px(ttl.toMillis())));
  }

  @Override
  public Map<String, String> getAll(Collection<String> keys) {
    List<String> ordered = new ArrayList<>(keys);
    List<Response<String>> responses =
        connector.pipelined(p -> ordered.stream().map(p::get).toList());
    Map<String, String> found = new LinkedHashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      String v = responses.get(i).get();
      if (v != null) {
        found.put(ordered.get(i), v);
      }
    }
    return found;
  }

  @Override
  public void putAll(Map<String, String> entries, Duration ttl) {
    SetParams px = SetParams.setParams().px(ttl.toMillis());
    connector.pipelined(p -> {
      entries.forEach((k, v) -> p.set(k, v, px));
      return null;
    });
  }

  /**
   * Stores one user's variant of a shared key and records it in the key's variant index (a set
   * that outlives its newest member by a minute), in one round trip per node.
   */
  void putVariant(String index, String key, String value, Duration ttl) {
    SetParams px = SetParams.setParams().px(ttl.toMillis());
    connector.pipelined(p -> {
      p.set(key, value, px);
      p.sadd(index, key);
      p.pexpire(index, ttl.toMillis() + 60_000);
      return null;
    });
  }

  /**
   * Removes every variant recorded in {@code index} and takes exactly those out of it (a variant
   * recorded meanwhile stays listed); returns the variants that were still there.
   */
  java.util.Set<String> deleteVariants(String index) {
    java.util.Set<String> members = connector.execute(j -> j.smembers(index));
    if (members.isEmpty()) {
      return members;
    }
    List<String> ordered = new ArrayList<>(members);
    List<Response<Long>> removed = connector.pipelined(p -> {
      List<Response<Long>> out = ordered.stream().map(p::unlink).toList();
      p.srem(index, ordered.toArray(new String[0]));
      return out;
    });
    java.util.Set<String> existed = new java.util.LinkedHashSet<>();
    for (int i = 0; i < ordered.size(); i++) {
      if (removed.get(i).get() > 0) {
        existed.add(ordered.get(i));
      }
    }
    return existed;
  }

  @Override
  public boolean delete(String key) {
    return connector.<Long>execute(j -> j.unlink(key)) > 0;
  }

  @Override
  public long deleteMatching(String pattern) {
    return KeySweep.unlink(connector, pattern, scanned -> { });
  }

  @Override
  public long ttlMillis(String key) {
    return connector.<Long>execute(j -> j.pttl(key));
  }
}
