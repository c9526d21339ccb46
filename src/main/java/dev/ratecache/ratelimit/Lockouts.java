package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.Time;
import dev.ratecache.redis.RedisConnector;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Where escalating lockouts are kept: in Redis next to the client's bucket ({@code
 * rate_limit:<profile>:<client>:lock}, {@code <until ms>|<level>}, expiring once the block and
 * the quiet time after it are over), shared by every instance; or, while Redis cannot be used,
 * in this instance's memory (bounded like the local buckets). Escalation is one script, so two
 * instances refusing the same client at once lock it once. Thread-safe.
 */
final class Lockouts {
  /** Suffix of a lock key after its bucket's key. */
  static final String SUFFIX = ":lock";

  /**
   * KEYS[1] the lock; ARGV: now ms, first block ms, longest block ms, quiet ms. A lock still
   * running is left as it is; otherwise the next level (the first again after the quiet time)
   * starts now. Returns {until ms, level, 1 if it started now}.
   */
  private static final String ESCALATE = String.join("\n",
      "local now = tonumber(ARGV[1])",
      "local level = -1",
      "local v = redis.call('get', KEYS[1])",
      "if v then",
      "  local u, l = string.match(v, '^(%d+)|(%d+)$')",
      "  u = tonumber(u); l = tonumber(l)",
      "  if u and u > now then return {u, l, 0} end",
      "  if u and now - u <= tonumber(ARGV[4]) then level = l end",
      "end",
      "level = level + 1",
      "local block, cap = tonumber(ARGV[2]), tonumber(ARGV[3])",
      "for i = 1, level do if block >= cap then break end; block = block * 2 end",
      "if block > cap then block = cap end",
      "redis.call('set', KEYS[1], (now + block) .. '|' .. level, 'px', block + tonumber(ARGV[4]))",
      "return {now + block, level, 1}");
  private static final byte[] ESCALATE_BYTES = ESCALATE.getBytes(StandardCharsets.UTF_8);

  /**
   * A lock: blocked until {@code until} (epoch ms), the {@code level}th in a row; {@code started}
   * by the call that returned it (not one already running).
   */
  record Lock(long until, int level, boolean started) {}

  private final RedisConnector connector;
  private final Clock clock;
  private final Cache<String, Lock> local;

  Lockouts(RedisConnector connector, Clock clock, long maxEntries, Duration longestKept) {
    this.connector = connector;
    this.clock = clock;
    this.local = Caffeine.newBuilder().maximumSize(maxEntries)
        .expireAfterWrite(longestKept).ticker(Time.ticker(clock)).build();
  }

  /**
   * The lock on {@code key}'s client, from Redis, or null if none is running.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot be read
   */
  Lock onRedis(String key) {
    byte[] redisKey = redisKey(key);
    var pipeline = connector.autoPipeline();
    byte[] v = pipeline.execute(redisKey, pipeline.commands().get(redisKey));
    Lock lock = v == null ? null : parse(new String(v, StandardCharsets.US_ASCII));
    return lock != null && lock.until() > clock.millis() ? lock : null;
  }

  /**
   * Locks {@code key}'s client in Redis (once, however many instances ask at once).
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot be written
   */
  Lock escalateOnRedis(String key, Lockout lockout) {
    byte[] redisKey = redisKey(key);
    var pipeline = connector.autoPipeline();
    List<byte[]> args = List.of(bytes(clock.millis()), bytes(lockout.first().toMillis()),
        bytes(lockout.max().toMillis()), bytes(lockout.reset().toMillis()));
    Object reply = pipeline.execute(redisKey,
        pipeline.commands().eval(ESCALATE_BYTES, List.of(redisKey), args));
    List<?> r = (List<?>) reply;
    return new Lock((Long) r.get(0), ((Long) r.get(1)).intValue(), (Long) r.get(2) == 1L);
  }

  /** The lock on {@code key}'s client in this instance's memory, or null. */
  Lock local(String key) {
    Lock lock = local.getIfPresent(key);
    return lock != null && lock.until() > clock.millis() ? lock : null;
  }

  /** Locks {@code key}'s client in this instance's memory, by the same rule. */
  Lock escalateLocally(String key, Lockout lockout) {
    return local.asMap().compute(key, (k, held) -> {
      long now = clock.millis();
      if (held != null && held.until() > now) {
        return held.started() ? new Lock(held.until(), held.level(), false) : held;
      }
      int level = held != null && now - held.until() <= lockout.reset().toMillis()
          ? held.level() + 1 : 0;
      return new Lock(now + lockout.blockMillis(level), level, true);
    });
  }

  /** Forgets this instance's lock of one client (an operator reset it). */
  void forgetLocal(String key) {
    local.invalidate(key);
  }

  static byte[] redisKey(String key) {
    return (KeySpace.RATE_LIMIT + key + SUFFIX).getBytes(StandardCharsets.UTF_8);
  }

  private static Lock parse(String v) {
    int bar = v.indexOf('|');
    try {
      return bar < 0 ? null : new Lock(Long.parseLong(v.substring(0, bar)),
          Integer.parseInt(v.substring(bar + 1)), false);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static byte[] bytes(long n) {
    return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
  }
}
