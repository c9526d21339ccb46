package dev.ratecache.redis;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.Connection;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * Counts or removes every key matching a glob pattern on every master, with {@code SCAN MATCH
 * COUNT} and pipelined {@code UNLINK} in batches, never {@code KEYS}: Redis keeps serving other
 * clients between batches, and {@code UNLINK} frees memory in the background.
 */
final class KeySweep {
  /** Keys asked for per {@code SCAN} step (and so the largest {@code UNLINK} batch). */
  static final int BATCH = 1000;
  private static final CommandObjects COMMANDS = dev.ratecache.internal.JedisVersions.commandObjects();

  private KeySweep() {}

  /**
   * Removes every key matching {@code pattern}, then tells every instance listening on {@link
   * RedisEvents} (so that they drop local copies and remembered rejections of those keys).
   *
   * @param progress told the running total of keys scanned after each batch (may be a no-op)
   * @return how many keys were removed
   * @throws RedisUnavailableException if Redis is down or fails during the sweep
   */
  static long unlink(RedisConnector connector, String pattern, LongConsumer progress) {
    AtomicLong scanned = new AtomicLong();
    long removed = connector.executeOnMasters(conn -> sweep(conn, pattern, true, scanned,
        progress)).values().stream().mapToLong(Long::longValue).sum();
    connector.events().publish(new Invalidation.Pattern(pattern));
    return removed;
  }

  /** Counts the keys matching {@code pattern} without removing them. */
  static long count(RedisConnector connector, String pattern, LongConsumer progress) {
    AtomicLong scanned = new AtomicLong();
    return connector.executeOnMasters(conn -> sweep(conn, pattern, false, scanned, progress))
        .values().stream().mapToLong(Long::longValue).sum();
  }

  private static long sweep(Connection conn, String pattern, boolean remove, AtomicLong scanned,
      LongConsumer progress) {
    ScanParams params = new ScanParams().match(pattern).count(BATCH);
    String cursor = ScanParams.SCAN_POINTER_START;
    long matched = 0;
    do {
      ScanResult<String> page = conn.executeCommand(COMMANDS.scan(cursor, params));
      List<String> keys = page.getResult();
      if (remove && !keys.isEmpty()) {
        // One UNLINK per key, pipelined: keys on one cluster node may lie in different slots,
        // and a multi-key UNLINK across slots is refused.
        Pipeline pipeline = new Pipeline(conn);
        List<Response<Long>> replies = keys.stream().map(pipeline::unlink).toList();
        pipeline.sync();
        for (Response<Long> r : replies) {
          matched += r.get();
        }
      } else {
        matched += keys.size();
      }
      cursor = page.getCursor();
      progress.accept(scanned.addAndGet(Math.max(keys.size(), 1)));
    } while (!ScanParams.SCAN_POINTER_START.equals(cursor));
    return matched;
  }
}
