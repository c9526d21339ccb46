package dev.ratecache.cache;

import dev.ratecache.redis.RedisConnector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Cached JSON in Redis: {@code SET … PX} with the entry's TTL; batches pipelined in one round trip
 * per node (grouped by slot owner on a Cluster); pattern invalidation by {@code SCAN MATCH COUNT}
 * and {@code UNLINK} in batches on every master (never {@code KEYS}, so Redis keeps serving other
 * clients during a large invalidation). Thread-safe.
 */
final class RedisCacheStore implements CacheStore {
  /** Keys per SCAN step and per UNLINK batch. */
  static final int BATCH = 1000;
  private static final CommandObjects COMMANDS = new CommandObjects();

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

  @Override
  public boolean delete(String key) {
    return connector.<Long>execute(j -> j.unlink(key)) > 0;
  }

  @Override
  public long deleteMatching(String pattern) {
    return connector.executeOnMasters(conn -> scanAndUnlink(conn, pattern)).values().stream()
        .mapToLong(Long::longValue).sum();
  }

  /** SCAN one node for {@code pattern}, unlinking each batch found; returns how many went. */
  static long scanAndUnlink(Connection conn, String pattern) {
    ScanParams params = new ScanParams().match(pattern).count(BATCH);
    String cursor = ScanParams.SCAN_POINTER_START;
    long removed = 0;
    do {
      ScanResult<String> page = conn.executeCommand(COMMANDS.scan(cursor, params));
      List<String> keys = page.getResult();
      if (!keys.isEmpty()) {
        // One UNLINK per key, pipelined: keys on one cluster node may still be in different
        // slots, and a multi-key UNLINK across slots is refused.
        Pipeline pipeline = new Pipeline(conn);
        List<Response<Long>> replies = keys.stream().map(pipeline::unlink).toList();
        pipeline.sync();
        for (Response<Long> r : replies) {
          removed += r.get();
        }
      }
      cursor = page.getCursor();
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    return removed;
  }

  @Override
  public long ttlMillis(String key) {
    return connector.<Long>execute(j -> j.pttl(key));
  }
}
