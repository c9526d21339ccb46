package dev.ratecache.ratelimit;

import dev.ratecache.redis.AutoPipeline;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import redis.clients.jedis.CommandArguments;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisNoScriptException;
import redis.clients.jedis.params.SetParams;

/**
 * The Redis side of {@link OneRoundTripBuckets}: one compare-and-swap of a bucket's serialized
 * state per call, through the connector's {@link AutoPipeline}. A bucket expected absent is
 * created with a plain {@code SET key state PX ttl NX GET} (Redis 7.0+; before that the server
 * refuses the form once, logged, and the script does it from then on); any other swap is {@code
 * bucket-swap.lua} by {@code EVALSHA} (sent whole once where a node lacks it), which can also
 * decide a mismatch in Redis. Thread-safe.
 */
final class BucketSwaps {
  private static final byte[] PX = {'P', 'X'};
  /** The swap script ({@code bucket-swap.lua}: compare-and-swap, and deciding on a mismatch). */
  static final String SCRIPT = loadScript();

  private static final byte[] ONE = {'1'};
  private static final byte[] ZERO = {'0'};
  private static final byte[] EMPTY = new byte[0];
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(BucketSwaps.class);

  private final AutoPipeline pipeline;
  private final byte[] scriptBytes;
  private final byte[] scriptSha;
  /** False once the server refused {@code SET ... NX GET} (Redis before 7.0). */
  private volatile boolean setIfAbsentWorks = true;

  BucketSwaps(AutoPipeline pipeline) {
    this(pipeline, SCRIPT);
  }

  /** With another script than {@link #SCRIPT}: tests prove the caller's checks with one. */
  BucketSwaps(AutoPipeline pipeline, String script) {
    this.pipeline = pipeline;
    this.scriptBytes = script.getBytes(StandardCharsets.UTF_8);
    this.scriptSha = sha1Hex(scriptBytes);
  }

  /** What the bucket holds ({@code null}: absent), for a status read. */
  byte[] read(byte[] redisKey) {
    return pipeline.execute(redisKey, pipeline.commands().get(redisKey));
  }

  /**
   * What a swap found: {@code swapped}; or, on a mismatch, what Redis held ({@code current},
   * {@code null} if absent) and, if the script decided there, what it wrote ({@code null}: every
   * request rejected, nothing written) with its TTL.
   */
  record Reply(boolean swapped, byte[] current, boolean decided, byte[] written,
      long ttl) {
    static final Reply SWAPPED = new Reply(true, null, false, null, 0);

    static Reply mismatch(byte[] current) {
      return new Reply(false, current, false, null, 0);
    }
  }

  /**
   * Writes {@code replacement} if Redis holds {@code original} ({@code null}: absent); with
   * {@code decideArg}, a mismatch is decided by the script from what Redis holds.
   */
  /**
   * {@code NX PX ttl}. PX is written here rather than with {@code SetParams.px(long)}, whose
   * return type differs between Jedis versions (linking to it failed on Jedis 6.0 with
   * NoSuchMethodError); {@code nx()} and {@code addParams} link alike on Jedis 6 to 8.
   */
  private static SetParams nxPx(long ttlMillis) {
    return new SetParams() {
      @Override
      public void addParams(CommandArguments args) {
        super.addParams(args);
        args.add(PX).add(Long.toString(ttlMillis).getBytes(StandardCharsets.US_ASCII));
      }
    }.nx();
  }

  Reply swap(byte[] redisKey, byte[] original, byte[] replacement, long ttlMillis,
      byte[] decideArg) {
    if (original == null && setIfAbsentWorks && decideArg == null) {
      // A bucket this instance does not know: SET NX GET creates it, or answers what another
      // instance wrote, in one plain command, without a script.
      try {
        // Built by the pipeline's own command objects: a cluster's, when a redirect sends it
        // through the cluster client (a plain CommandArguments there failed with a
        // ClassCastException, and every new bucket on a moved slot was decided locally).
        byte[] old = pipeline.execute(redisKey,
            pipeline.commands().setGet(redisKey, replacement, nxPx(ttlMillis)));
        return old == null ? Reply.SWAPPED : Reply.mismatch(old);
      } catch (JedisDataException refused) {
        if (!String.valueOf(refused.getMessage()).startsWith("ERR")) {
          throw refused;
        }
        setIfAbsentWorks = false;
        log.info("Redis refuses SET ... NX GET ({}); new buckets are created by a script",
            refused.getMessage());
      }
    }
    List<byte[]> args = new ArrayList<>(5);
    args.add(original == null ? EMPTY : original);
    args.add(replacement);
    args.add(Long.toString(ttlMillis).getBytes(StandardCharsets.US_ASCII));
    args.add(original == null ? ONE : ZERO);
    if (decideArg != null) {
      args.add(decideArg);
    }
    Object reply;
    try {
      reply = pipeline.execute(redisKey,
          pipeline.commands().evalsha(scriptSha, List.of(redisKey), args));
    } catch (JedisNoScriptException e) {
      reply = pipeline.execute(redisKey,
          pipeline.commands().eval(scriptBytes, List.of(redisKey), args));
    }
    if (reply instanceof Long ok && ok == 1L) {
      return Reply.SWAPPED;
    }
    List<?> r = (List<?>) reply;
    long kind = (Long) r.get(0);
    byte[] current = r.size() > 1 ? (byte[]) r.get(1) : null;
    if (kind == 2L) {
      return new Reply(false, current, true, (byte[]) r.get(2), (Long) r.get(4));
    }
    if (kind == 3L) {
      return new Reply(false, current, true, null, 0);
    }
    return Reply.mismatch(current);
  }

  private static String loadScript() {
    try (var in = OneRoundTripBuckets.class.getResourceAsStream("bucket-swap.lua")) {
      if (in == null) {
        throw new IllegalStateException("bucket-swap.lua is missing from the ratecache jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
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
