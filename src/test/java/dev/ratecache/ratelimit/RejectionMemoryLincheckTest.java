package dev.ratecache.ratelimit;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.ratelimit.RateLimitDecision.Backend;
import dev.ratecache.ratelimit.RejectionMemory.KnownRejection;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.support.MayForget;
import dev.ratecache.support.ModelChecking;
import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.HashMap;
import java.util.Map;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * The limiter's memory of rejected clients, for one client (so that every operation concerns
 * the same entry), model-checked by Lincheck as the limiter and the event
 * subscription drive it: rejections decided on Redis (the bucket, standing for Redis, read under a
 * mark) or locally; an operator's clear of one client or of all (an event); a
 * resubscription (events may have been missed); Redis deciding a client again. A rejection may be
 * forgotten (the next request then asks Redis), but what {@code get} and {@code getForFallback}
 * return must match the model: never a rejection an operator's clear that has returned removed,
 * and a Redis rejection made doubtful by a resubscription only on the fallback.
 */
public class RejectionMemoryLincheckTest {
  private static final long FAR = Long.MAX_VALUE / 2;
  private final RejectionMemory memory = new RejectionMemory(1_000,
      Clock.fixed(Instant.ofEpochSecond(1), ZoneOffset.UTC), new BucketStore() {
        @Override
        public Probe tryConsume(String key, BucketConfiguration config) {
          throw new UnsupportedOperationException();
        }

        @Override
        public Probe peek(String key, BucketConfiguration config) {
          throw new UnsupportedOperationException();
        }
      });

  /** The client's bucket in Redis (the source the memory copies): true once it is used up. */
  private final AtomicBoolean exhausted = new AtomicBoolean();

  /** Another instance used up the client's bucket. */
  @Operation
  public void exhaust() {
    exhausted.set(true);
  }

  /**
   * A decision on Redis: the bucket is read under a mark, and a rejection is remembered unless a
   * clear came while it was read.
   */
  @Operation
  public void decideOnRedis() {
    long mark = memory.mark();
    if (exhausted.get()) {
      memory.remember("c", new KnownRejection(FAR, FAR, Backend.REDIS), mark);
    }
  }

  /** The fallback rejected the client. */
  @Operation
  public void rejectedLocally() {
    long mark = memory.mark();
    memory.remember("c", new KnownRejection(FAR, FAR, Backend.LOCAL), mark);
  }

  /** An operator reset the client's bucket on some instance: Redis first, then the event. */
  @Operation
  public void clear() {
    exhausted.set(false);
    memory.onInvalidation(new Invalidation.Key(KeySpace.RATE_LIMIT + "c"));
  }

  /** An operator reset every bucket. */
  @Operation
  public void clearAll() {
    exhausted.set(false);
    memory.onInvalidation(new Invalidation.Pattern(KeySpace.RATE_LIMIT + "*"));
  }

  /** The subscription came back: clears may have gone unheard. */
  @Operation
  public void missedEvents() {
    memory.onMissedEvents();
  }

  /** Redis decided the client again. */
  @Operation
  public void settled() {
    memory.settled("c");
  }

  @Operation
  public MayForget get() {
    KnownRejection r = memory.get("c");
    return MayForget.observed(r == null ? null : r.backend());
  }

  @Operation
  public MayForget getForFallback() {
    KnownRejection r = memory.getForFallback("c");
    return MayForget.observed(r == null ? null : r.backend());
  }

  /**
   * The sequential model for the one client: what is known of it, and what a resubscription made
   * doubtful.
   */
  public static final class Model {
    private boolean exhausted;
    private Backend known;
    private Backend doubtful;

    public void exhaust() {
      exhausted = true;
    }

    public void decideOnRedis() {
      if (exhausted) {
        known = Backend.REDIS;
      }
    }

    public void rejectedLocally() {
      known = Backend.LOCAL;
    }

    public void clear() {
      exhausted = false;
      known = null;
      doubtful = null;
    }

    public void clearAll() {
      clear();
    }

    public void missedEvents() {
      if (known == Backend.REDIS) {
        doubtful = known;
        known = null;
      }
    }

    public void settled() {
      doubtful = null;
    }

    public MayForget get() {
      return MayForget.expected(known);
    }

    public MayForget getForFallback() {
      return MayForget.expected(known != null ? known : doubtful);
    }
  }

  @Test
  void everyInterleavingIsLinearizable() {
    var options = ModelChecking.options(10, 1_000).sequentialSpecification(Model.class);
    for (String before : new String[] {"rejectedLocally", "decideOnRedis"}) {
      for (String reset : new String[] {"clear", "clearAll", "missedEvents"}) {
        // A rejection read from Redis racing a reset, over what was remembered before.
        ModelChecking.scenario(options, RejectionMemoryLincheckTest.class,
            new String[] {"exhaust", before}, new String[][] {{"decideOnRedis"}, {reset}},
            new String[] {"get", "getForFallback"});
      }
    }
    options.check(RejectionMemoryLincheckTest.class);
  }
}
