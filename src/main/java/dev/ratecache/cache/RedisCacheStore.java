package dev.ratecache.cache;

import dev.ratecache.redis.RedisConnector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.Response;

/**
 * Cached JSON in Redis: {@code SET … PX} with the entry's TTL, stamped with its namespaces'
 * {@link Generations} so that a pattern invalidation is one {@code HINCRBY}; batches pipelined in
 * one round trip per node (grouped by slot owner on a Cluster). {@link #deleteMatching} still
 * removes keys physically, by {@code SCAN MATCH COUNT} and {@code UNLINK} in batches on every
 * master, for operators' clears (never on a request). Thread-safe.
 */
final class RedisCacheStore implements CacheStore {
  private final RedisConnector connector;
  private final Generations generations;

  RedisCacheStore(RedisConnector connector) {
    this.connector = connector;
    this.generations = new Generations(connector);
  }

  /** The namespace generations stamped into and checked against every entry. */
  Generations generations() {
    return generations;
  }

  @Override
  public String get(String key) {
    return generations.unwrap(key, connector.execute(j -> j.get(key)));
  }

  @Override
  public void put(String key, String value, Duration ttl) {
    String stored = generations.wrap(key, value);
    // PSETEX rather than SET … PX: SetParams.px changed its binary signature between Jedis 6
    // and 7, and an application on Spring Boot's managed Jedis 6 must work too.
    connector.run(j -> j.psetex(key, ttl.toMillis(), stored));
  }

  @Override
  public Map<String, String> getAll(Collection<String> keys) {
    List<String> ordered = new ArrayList<>(keys);
    List<Response<String>> responses =
        connector.pipelined(p -> ordered.stream().map(p::get).toList());
    Map<String, String> found = new LinkedHashMap<>();
    for (int i = 0; i < ordered.size(); i++) {
      String v = generations.unwrap(ordered.get(i), responses.get(i).get());
      if (v != null) {
        found.put(ordered.get(i), v);
      }
    }
    return found;
  }

  @Override
  public void putAll(Map<String, String> entries, Duration ttl) {
    long ms = ttl.toMillis();
    Map<String, String> stored = new LinkedHashMap<>();
    entries.forEach((k, v) -> stored.put(k, generations.wrap(k, v)));
    connector.pipelined(p -> {
      stored.forEach((k, v) -> p.psetex(k, ms, v));
      return null;
    });
  }

  /**
   * Stores one user's variant of a shared key and records it in the key's variant index (a set
   * that outlives its newest member by a minute), in one round trip per node.
   */
  void putVariant(String index, String key, String value, Duration ttl) {
    long ms = ttl.toMillis();
    String stored = generations.wrap(key, value);
    connector.pipelined(p -> {
      p.psetex(key, ms, stored);
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
    return connector.unlinkMatching(pattern, scanned -> { });
  }

  @Override
  public long ttlMillis(String key) {
    return connector.<Long>execute(j -> j.pttl(key));
  }
}
