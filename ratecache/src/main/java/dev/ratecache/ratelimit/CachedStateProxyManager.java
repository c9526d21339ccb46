package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.InvalidationGuard;
import dev.ratecache.redis.AutoPipeline;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AbstractCompareAndSwapBasedProxyManager;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.AsyncCompareAndSwapOperation;
import io.github.bucket4j.distributed.proxy.generic.compare_and_swap.CompareAndSwapOperation;
import io.github.bucket4j.distributed.remote.RemoteBucketState;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import redis.clients.jedis.BuilderFactory;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;

/**
 * Bucket4j's compare-and-swap protocol in one Redis round trip per decision instead of two.
 *
 * <p>Bucket4j's Jedis proxy manager reads a bucket ({@code GET}), computes the decision in the
 * JVM, then writes it back with a compare-and-swap script ({@code EVAL}). This one remembers the
 * state it last wrote for each bucket (a bounded cache) and starts from that, so the {@code GET}
 * is skipped whenever this instance was the last writer. The swap still compares against what
 * Redis holds, so the limit stays exact: if another instance (or an expiry, or an operator's
 * clear) changed the bucket, the swap fails, its script returns what Redis holds, and Bucket4j
 * recomputes from that (still no {@code GET}). A decision that changes nothing — a rejection —
 * is computed from the remembered state alone; remembered state can only be staler towards
 * <em>fewer</em> tokens after a reset, which is why a clear must {@link #forget} and why states are
 * remembered for at most {@code rememberFor}.
 *
 * <p>A bucket this instance does not remember is assumed new: it is created with one plain
 * {@code SET key state PX ttl NX GET} (Redis 7.0+), which also answers what the bucket held if
 * another instance had created it, so that Bucket4j recomputes from that; no script runs for the
 * cold keys of a public API's long tail. (Before Redis 7.0 the form is refused once and the swap
 * script takes its place.)
 *
 * <p>Its commands go through the connector's {@link AutoPipeline}, so the swaps of concurrent
 * requests share round trips (each swap is still its own script, so exactness is unchanged).
 */
final class CachedStateProxyManager extends AbstractCompareAndSwapBasedProxyManager<String> {
  /**
   * ARGV: expected state (ignored when ARGV[4] is 1), new state, TTL in ms, 1 if the bucket must
   * not exist yet. Returns 1 on success, or {0, current state} ({0} when absent) on a mismatch.
   */
  static final String SCRIPT = """
      local current = redis.call('get', KEYS[1])
      local matches
      if ARGV[4] == '1' then matches = (current == false) else matches = (current == ARGV[1]) end
      if matches then
        redis.call('set', KEYS[1], ARGV[2], 'px', ARGV[3])
        return 1
      end
      if current == false then return {0} end
      return {0, current}
      """;

  private static final byte[] SCRIPT_BYTES = SCRIPT.getBytes(StandardCharsets.UTF_8);
  private static final byte[] SCRIPT_SHA = sha1Hex(SCRIPT_BYTES);
  private static final byte[] ONE = {'1'};
  private static final byte[] PX = {'P', 'X'};
  private static final byte[] NX = {'N', 'X'};
  private static final byte[] GET = {'G', 'E', 'T'};
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(CachedStateProxyManager.class);
  private static final byte[] ZERO = {'0'};
  private static final byte[] EMPTY = new byte[0];

  private final AutoPipeline pipeline;
  private final String keyPrefix;
  private final ExpirationAfterWriteStrategy expiration;
  private final Cache<String, byte[]> states;
  /**
   * A state read from Redis by an operation that began before a {@link #forget} may predate the
   * reset, so it is not kept (the guard NearCache and the rejection memory use too).
   */
  private final InvalidationGuard guard = new InvalidationGuard();
  /** False once the server refused {@code SET ... NX GET} (Redis before 7.0). */
  private volatile boolean setIfAbsentWorks = true;

  CachedStateProxyManager(AutoPipeline pipeline, String keyPrefix, ClientSideConfig config,
      ExpirationAfterWriteStrategy expiration, long maxStates, Duration rememberFor,
      com.github.benmanes.caffeine.cache.Ticker ticker) {
    super(config.withExpirationAfterWriteStrategy(expiration));
    this.pipeline = pipeline;
    this.keyPrefix = keyPrefix;
    this.expiration = expiration;
    this.states = Caffeine.newBuilder()
        .maximumSize(maxStates)
        .expireAfterWrite(rememberFor)
        .ticker(ticker)
        .build();
  }

  /** Set while a status read runs on this thread: buckets not remembered are read from Redis. */
  private static final ThreadLocal<Boolean> READING = ThreadLocal.withInitial(() -> false);

  /** Runs {@code read} (a status read, which swaps nothing) reading unremembered buckets. */
  static <T> T readingFromRedis(java.util.function.Supplier<T> read) {
    READING.set(true);
    try {
      return read.get();
    } finally {
      READING.set(false);
    }
  }

  /** Drops remembered states whose Redis key matches (after an operator reset them). */
  void forget(Predicate<String> redisKey) {
    guard.invalidate(() -> states.asMap().keySet().removeIf(k -> redisKey.test(keyPrefix + k)));
  }

  /** Drops the remembered state of one bucket, so the next read goes to Redis. */
  void forget(String key) {
    guard.invalidate(() -> states.invalidate(key));
  }

  /** Keeps {@code state} for {@code key} unless a forget began since {@code mark} was read. */
  private void remember(String key, byte[] state, long mark) {
    guard.storeIfUnchanged(mark, () -> states.put(key, state), () -> states.invalidate(key));
  }

  @Override
  protected CompareAndSwapOperation beginCompareAndSwapOperation(String key) {
    byte[] redisKey = (keyPrefix + key).getBytes(StandardCharsets.UTF_8);
    long mark = guard.mark();
    byte[] remembered = states.getIfPresent(key);
    return new CompareAndSwapOperation() {
      /**
       * What to start from: the remembered state, or what a failed swap found; for a bucket this
       * instance does not remember, "absent" (a new bucket). No GET is ever sent: if the bucket
       * does exist after all, the swap that expects it absent fails and its script returns the
       * state, from which Bucket4j computes again. A new key costs one script, an existing one
       * this instance does not remember two.
       */
      private Optional<byte[]> next = Optional.ofNullable(remembered);
      private boolean read = remembered != null;

      @Override
      public Optional<byte[]> getStateData(Optional<Long> timeoutNanos) {
        if (!read && READING.get()) {
          // A status read must report what Redis holds, so it asks (no swap follows).
          next = Optional.ofNullable(
              pipeline.execute(redisKey, pipeline.commands().get(redisKey)));
        }
        read = true;
        return next;
      }

      @Override
      public boolean compareAndSwap(byte[] original, byte[] replacement, RemoteBucketState state,
          Optional<Long> timeoutNanos) {
        long ttl = Math.max(1, expiration.calculateTimeToLiveMillis(state, currentTimeNanos()));
        if (original == null && setIfAbsentWorks) {
          // A bucket this instance does not know: SET NX GET creates it, or answers what another
          // instance wrote, in one plain command and one round trip, without a script.
          Optional<byte[]> found = setIfAbsent(redisKey, replacement, ttl);
          if (found != null) {
            if (found.isEmpty()) {
              remember(key, replacement, mark);
              return true;
            }
            remember(key, found.get(), mark);
            next = found;
            return false;
          }
        }
        List<byte[]> args = List.of(original == null ? EMPTY : original, replacement,
            Long.toString(ttl).getBytes(StandardCharsets.US_ASCII), original == null ? ONE : ZERO);
        Object reply = run(redisKey, args);
        if (reply instanceof Long ok && ok == 1L) {
          remember(key, replacement, mark);
          return true;
        }
        List<?> mismatch = (List<?>) reply;
        byte[] current = mismatch.size() > 1 ? (byte[]) mismatch.get(1) : null;
        if (current == null) {
          states.invalidate(key);
        } else {
          remember(key, current, mark);
        }
        next = Optional.ofNullable(current);
        return false;
      }
    };
  }

  /**
   * {@code SET key value PX ttl NX GET}: empty if the bucket was created, what it held if it
   * existed, or {@code null} if the server refuses the form (before Redis 7.0), after which the
   * swap script does the job from then on.
   */
  private Optional<byte[]> setIfAbsent(byte[] redisKey, byte[] value, long ttlMillis) {
    try {
      byte[] old = pipeline.execute(redisKey, new CommandObject<>(
          new CommandArguments(Protocol.Command.SET).key(redisKey).add(value).add(PX)
              .add(ttlMillis).add(NX).add(GET), BuilderFactory.BINARY));
      return Optional.ofNullable(old);
    } catch (JedisDataException refused) {
      if (!String.valueOf(refused.getMessage()).startsWith("ERR")) {
        throw refused;
      }
      setIfAbsentWorks = false;
      log.info("Redis refuses SET ... NX GET ({}); new buckets are created by a script", refused
          .getMessage());
      return null;
    }
  }

  /** {@code EVALSHA}, loading the script with {@code EVAL} where the node does not have it. */
  private Object run(byte[] redisKey, List<byte[]> args) {
    try {
      return pipeline.execute(redisKey,
          pipeline.commands().evalsha(SCRIPT_SHA, List.of(redisKey), args));
    } catch (JedisNoScriptException e) {
      return pipeline.execute(redisKey,
          pipeline.commands().eval(SCRIPT_BYTES, List.of(redisKey), args));
    }
  }

  @Override
  protected AsyncCompareAndSwapOperation beginAsyncCompareAndSwapOperation(String key) {
    throw new UnsupportedOperationException("asynchronous mode is not supported");
  }

  @Override
  protected CompletableFuture<Void> removeAsync(String key) {
    throw new UnsupportedOperationException("asynchronous mode is not supported");
  }

  @Override
  public void removeProxy(String key) {
    states.invalidate(key);
    byte[] redisKey = (keyPrefix + key).getBytes(StandardCharsets.UTF_8);
    pipeline.execute(redisKey, pipeline.commands().del(redisKey));
  }

  @Override
  public boolean isExpireAfterWriteSupported() {
    return true;
  }

  @Override
  public boolean isAsyncModeSupported() {
    return false;
  }

  private static byte[] sha1Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(bytes))
          .getBytes(StandardCharsets.US_ASCII);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is part of every JDK", e);
    }
  }
}
