package dev.ratecache.cache;

import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisEvents;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.jetbrains.lincheck.datastructures.Operation;
import dev.ratecache.support.ModelChecking;
import org.junit.jupiter.api.Test;

/**
 * The near cache, model-checked by Lincheck as {@link QueryCache} drives it: readers fetch the
 * source (standing for Redis) under a mark and an epoch and offer the copy; this instance's
 * writes change the source and call {@link NearCache#changed}; other instances' writes change it
 * and arrive as events (a key or a pattern); the subscription may be lost and re-established
 * (the epoch advances). Every interleaving must be linearizable to a cache in front of a
 * versioned source: {@code get()} returns the source's version at some point within the call,
 * or nothing; never a version that a completed write replaced, and never a copy taken under an
 * earlier subscription.
 */
public class NearCacheLincheckTest {
  private final AtomicInteger source = new AtomicInteger();
  private final AtomicLong epoch = new AtomicLong();
  private volatile RedisEvents.Listener listener;
  private final NearCache near = new NearCache(new NearCache.Events() {
    @Override
    public AutoCloseable subscribe(RedisEvents.Listener l) {
      listener = l;
      return () -> {};
    }

    @Override
    public boolean isLive() {
      return true;
    }

    @Override
    public long epoch() {
      return epoch.get();
    }
  }, Duration.ofMinutes(1), 1 << 20, Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));

  public NearCacheLincheckTest() {
    near.get("k"); // subscribes, as the first read does
  }

  /** A read through Redis that keeps a copy, as {@code QueryCache.get} does on a near miss. */
  @Operation
  public void fetch() {
    long mark = near.mark();
    long e = near.epoch();
    int version = source.get();
    near.offer("k", Integer.toString(version), "t u", mark, e); // tagged t and u
  }

  /** This instance writes and invalidates the key. */
  @Operation
  public void localWrite() {
    source.incrementAndGet();
    near.changed("k");
  }

  /** Another instance writes the key; its event arrives. */
  @Operation
  public void remoteWrite() {
    source.incrementAndGet();
    listener.onInvalidation(new Invalidation.Key("k"));
  }

  /** Another instance invalidates a pattern the key matches. */
  @Operation
  public void remotePatternWrite() {
    source.incrementAndGet();
    listener.onInvalidation(new Invalidation.Pattern("k*"));
  }

  /** This instance invalidates a tag the key's copy carries. */
  @Operation
  public void localTagWrite() {
    source.incrementAndGet();
    near.changedTag("u");
  }

  /** Another instance invalidates a tag the key's copy carries; its event arrives. */
  @Operation
  public void remoteTagWrite() {
    source.incrementAndGet();
    listener.onInvalidation(new Invalidation.Tag("t"));
  }

  /** The subscription was lost and is back: events may have been missed meanwhile. */
  @Operation
  public void resubscribe() {
    epoch.incrementAndGet();
  }

  /** The near copy: -1 for none, else the version it holds. */
  @Operation
  public int get() {
    String v = near.get("k");
    return v == null ? -1 : Integer.parseInt(v);
  }

  /** The sequential model: a copy of a versioned source, dropped by every change. */
  public static final class Model {
    private int source;
    private int copy = -1;

    public void fetch() {
      copy = source;
    }

    public void localWrite() {
      source++;
      copy = -1;
    }

    public void remoteWrite() {
      localWrite();
    }

    public void remotePatternWrite() {
      localWrite();
    }

    public void localTagWrite() {
      localWrite();
    }

    public void remoteTagWrite() {
      localWrite();
    }

    public void resubscribe() {
      copy = -1;
    }

    public int get() {
      return copy;
    }
  }

  @Test
  void everyInterleavingIsLinearizable() {
    var options = ModelChecking.options(10, 1_000).sequentialSpecification(Model.class);
    for (String write : new String[] {"localWrite", "remoteWrite", "remotePatternWrite",
        "localTagWrite", "remoteTagWrite", "resubscribe"}) {
      // A fetch racing the write that makes what it read stale, then a read after both.
      ModelChecking.scenario(options, NearCacheLincheckTest.class, new String[] {"fetch"},
          new String[][] {{"fetch"}, {write}}, new String[] {"get"});
    }
    options.check(NearCacheLincheckTest.class);
  }
}
