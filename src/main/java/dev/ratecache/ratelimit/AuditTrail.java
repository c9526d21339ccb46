package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.Hashing;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.Time;
import dev.ratecache.redis.RedisConnector;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.params.XAddParams;
import redis.clients.jedis.resps.StreamEntry;

/**
 * A bounded record of what an operator should be able to look back on: the first rejection of a
 * client per profile and window, every lockout started, and every operator action (overrides,
 * resets, clears). Each record goes to the log ({@code dev.ratecache.audit}, INFO) and to a Redis
 * stream, {@code ratecache:audit}, capped at about {@code max} entries ({@code XADD MAXLEN ~}).
 * Clients are written as a hash of their key (the one {@link RateLimiter#explain} shows), never
 * as an address, a user or a key; values are the library's own, safe to log. Never one line per
 * 429: rejections are recorded once per client, profile and window on each instance.
 *
 * <p>Records are written to Redis in the background (one thread, started on the first record,
 * a queue of 1,000): a request never waits for the trail, and a record that finds the queue
 * full or Redis down is dropped and counted ({@link #dropped()}). Thread-safe.
 */
public final class AuditTrail implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger("dev.ratecache.audit");
  /** The stream. */
  public static final String KEY = KeySpace.LIBRARY + "audit";

  private final RedisConnector connector;
  private final Clock clock;
  private final long max;
  /** Clients whose rejection was recorded in this window, per profile. */
  private final Cache<String, Boolean> rejected;
  private final LongAdder dropped = new LongAdder();
  private volatile ThreadPoolExecutor writer;

  AuditTrail(RedisConnector connector, Clock clock, long max, long maxClients,
      Duration longestWindow) {
    this.connector = connector;
    this.clock = clock;
    this.max = max;
    this.rejected = Caffeine.newBuilder().maximumSize(maxClients)
        .expireAfterWrite(longestWindow).ticker(Time.ticker(clock)).build();
  }

  /** The first rejection of {@code client} under {@code profile} in this window, once. */
  void rejection(RateLimitProfile profile, String client, RateLimitDecision.Reason reason) {
    if (rejected.asMap().putIfAbsent(profile.name() + ":" + client, Boolean.TRUE) == null) {
      record("rejected", profile.name(), client, "limit " + profile.limits().get(0) + ", "
          + reason.name().toLowerCase(java.util.Locale.ROOT));
    }
  }

  /** A lockout started. */
  void lockout(RateLimitProfile profile, String client, int level, long seconds) {
    record("lockout", profile.name(), client, "level " + level + ", " + seconds + " s");
  }

  /**
   * An operator's action, recorded as given (the admin endpoint, the Actuator endpoint and the
   * CLI call it; so may an application's own tools).
   *
   * @param action what was done ({@code override}, {@code reset}, {@code clear}...)
   * @param profile the profile concerned, or {@code *}
   * @param client the client's key as {@link RateLimiter#explain} shows it (recorded as its
   *     hash, as rejections are), or what the operator named when it is no client; or null
   * @param detail what else to record; must be safe to log (no secrets)
   */
  public void operator(String action, String profile, String client, String detail) {
    record("operator:" + action, profile, client, detail);
  }

  private void record(String type, String profile, String client, String detail) {
    Map<String, String> entry = new LinkedHashMap<>();
    entry.put("at", clock.instant().toString());
    entry.put("type", type);
    entry.put("profile", profile == null ? "*" : profile);
    if (client != null) {
      entry.put("client", Hashing.sha256Short(client));
    }
    if (detail != null) {
      entry.put("detail", detail.length() > 200 ? detail.substring(0, 200) : detail);
    }
    log.info("{}", entry);
    if (connector.settings().enabled()) {
      try {
        writer().execute(() -> write(entry));
      } catch (java.util.concurrent.RejectedExecutionException full) {
        dropped.increment();
      }
    }
  }

  private void write(Map<String, String> entry) {
    try {
      connector.run(KEY, jedis -> jedis.xadd(KEY,
          XAddParams.xAddParams().maxLen(max).approximateTrimming(), entry));
    } catch (RuntimeException unavailable) {
      dropped.increment();
    }
  }

  /**
   * The latest records, newest first, from Redis.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis cannot be read
   */
  public List<Map<String, String>> recent(int count) {
    int n = Math.max(1, Math.min(count, 1_000));
    List<StreamEntry> entries = connector.execute(KEY, jedis -> jedis.xrevrange(KEY, "+", "-",
        n));
    List<Map<String, String>> out = new ArrayList<>();
    for (StreamEntry e : entries) {
      Map<String, String> m = new LinkedHashMap<>();
      m.put("id", e.getID().toString());
      m.putAll(e.getFields());
      out.add(m);
    }
    return out;
  }

  /** Records that could not be written to Redis (queue full, Redis down). */
  public long dropped() {
    return dropped.sum();
  }

  /**
   * Waits, at most 10 seconds, until the records queued so far are written (before reading the
   * trail back, or at shutdown).
   */
  public void flush() throws InterruptedException {
    ThreadPoolExecutor w = writer;
    if (w == null) {
      return;
    }
    java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
    try {
      w.execute(done::countDown);
    } catch (java.util.concurrent.RejectedExecutionException full) {
      return;
    }
    done.await(10, TimeUnit.SECONDS);
  }

  private ThreadPoolExecutor writer() {
    ThreadPoolExecutor w = writer;
    if (w == null) {
      synchronized (this) {
        w = writer;
        if (w == null) {
          w = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
              new ArrayBlockingQueue<>(1_000), r -> {
                Thread t = new Thread(r, "ratecache-audit");
                t.setDaemon(true);
                return t;
              });
          writer = w;
        }
      }
    }
    return w;
  }

  /** Writes what is queued (waiting at most 5 seconds), then stops the writer. */
  @Override
  public void close() {
    ThreadPoolExecutor w = writer;
    if (w != null) {
      w.shutdown();
      try {
        w.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
