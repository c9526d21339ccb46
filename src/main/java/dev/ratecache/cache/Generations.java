package dev.ratecache.cache;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import dev.ratecache.redis.RedisUnavailableException;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pattern invalidation in one Redis command, whatever the size of the keyspace: each namespace
 * (the literal start of an invalidation pattern, such as {@code query:user:}) has a generation
 * in the hash {@value #HASH}, and a pattern invalidation increments its namespace's generation
 * instead of scanning for keys. An entry written into Redis under a namespace that has been
 * invalidated carries a stamp: the hash's epoch and the sum of the generations of the namespaces
 * its key starts with, as they were before its value was loaded ({@code {"@ratecache.gen":"E.S",
 * "value":…}}); other entries are stored as their plain JSON. A read compares the stamp with the
 * current one, so an entry loaded before an increment reads as a miss, on every instance, and
 * expires by its TTL.
 *
 * <p>Exact under concurrency: an increment is one script ({@link #INCREMENT}) that adds exactly
 * one to the namespace and to the hash's {@code @version}, and creates the hash's {@code @epoch}
 * (a random token) if the hash is new. Every read fetches {@code @epoch} and {@code @version}
 * with the entry, in the same round trip, and uses this instance's copy of the hash only if both
 * match (else it reads the hash again), so a read that begins after an increment returned sees
 * it, whatever events were lost. A removed hash (an operator's clear of {@code ratecache:*})
 * comes back with a new epoch: every stamped entry reads as a miss, and no instance's memory of
 * the old generations survives it (plain entries are valid again: remove the entries with a
 * clear of their own pattern, not by removing this hash). No Redis error is taken for an outage
 * here: only {@link RedisUnavailableException} defers an increment.
 *
 * <p>Bounded: at most {@value #MAX_NAMESPACES} namespaces; past that, a new one is folded into
 * its parent ({@code query:rag_documents:user:42:} into {@code query:rag_documents:user:}, and so
 * on to {@code ""}), which invalidates more than asked, never less. An increment that cannot
 * reach Redis is kept (bounded the same way) and made when Redis is back. Thread-safe.
 */
final class Generations {
  private static final Logger log = LoggerFactory.getLogger(Generations.class);

  /** The hash of namespace generations. */
  static final String HASH = KeySpace.GENERATIONS;
  static final String EPOCH = "@epoch";
  static final String VERSION = "@version";
  static final int MAX_NAMESPACES = 256;
  static final String MARKER = "{\"@ratecache.gen\":\"";
  private static final String VALUE = "\",\"value\":";

  /**
   * One increment, atomically: the epoch made if the hash is new, the namespace and the hash's
   * version each plus one. KEYS[1] the hash; ARGV[1] the namespace, ARGV[2] a new epoch.
   */
  static final String INCREMENT = """
      if not redis.call('HGET', KEYS[1], '@epoch') then
        redis.call('HSET', KEYS[1], '@epoch', ARGV[2])
      end
      redis.call('HINCRBY', KEYS[1], '@version', 1)
      return redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
      """;

  /** The hash as one instance last read it ({@code epoch} null when there is no hash). */
  record Snapshot(String epoch, long version, Map<String, Long> namespaces) {
    static final Snapshot EMPTY = new Snapshot(null, 0, Map.of());

    /**
     * The stamp of an entry at {@code key}: the epoch and the sum of its namespaces'
     * generations, or {@code ""} (stored plain) when no namespace of it was ever invalidated.
     */
    String stamp(String key) {
      long sum = 0;
      for (Map.Entry<String, Long> e : namespaces.entrySet()) {
        if (key.startsWith(e.getKey())) {
          sum += e.getValue();
        }
      }
      return sum == 0 ? "" : epoch + "." + sum;
    }
  }

  private final RedisConnector connector;
  private volatile Snapshot copy;
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  /** Increments in Redis that no replica acknowledged: made again once a failing master serves. */
  private final Set<String> unacknowledged = ConcurrentHashMap.newKeySet();
  /** Increments kept for later or not acknowledged, since start. */
  private final java.util.concurrent.atomic.LongAdder degraded =
      new java.util.concurrent.atomic.LongAdder();
  private final AutoCloseable healthRegistration;
  private final AutoCloseable shardRegistration;

  Generations(RedisConnector connector) {
    this.connector = connector;
    this.healthRegistration = connector.health().onTransition(t -> {
      if (t.to() == RedisHealth.State.UP) {
        flushPending(true);
        redoUnacknowledged();
      }
    });
    // The hash's cluster master may fail alone (the connector stays UP): flush once it serves.
    this.shardRegistration = connector.onShardRecovered(master -> {
      flushPending(true);
      redoUnacknowledged();
    });
  }

  /** The namespace a pattern invalidates: its literal start, before any glob character. */
  static String namespaceOf(String pattern) {
    int end = 0;
    while (end < pattern.length() && "*?[\\".indexOf(pattern.charAt(end)) < 0) {
      end++;
    }
    return pattern.substring(0, end);
  }

  /** {@code namespace} cut back to the previous {@code :} (exclusive of a trailing one). */
  static String parentOf(String namespace) {
    String trimmed = namespace.endsWith(":")
        ? namespace.substring(0, namespace.length() - 1) : namespace;
    int colon = trimmed.lastIndexOf(':');
    return colon < 0 ? "" : trimmed.substring(0, colon + 1);
  }

  /**
   * Invalidates every entry whose key starts with the namespace of {@code pattern}, for every
   * instance: when this returns, every read that begins afterwards misses them. If Redis is
   * unavailable the increment is made when it is back; any other Redis error is thrown.
   */
  void invalidate(String pattern) {
    Snapshot known = copy;
    String ns = bounded(namespaceOf(pattern), known == null ? Map.of() : known.namespaces());
    try {
      increment(ns);
    } catch (RedisUnavailableException unavailable) {
      degraded.increment();
      if (pending.size() >= MAX_NAMESPACES) {
        pending.add(""); // everything, once Redis is back: more than asked, never less
      } else {
        pending.add(ns);
      }
    }
  }

  /** {@code json} as stored with {@code stamp} (as it is for the empty stamp). */
  static String wrap(String json, String stamp) {
    return stamp.isEmpty() ? json : MARKER + stamp + VALUE + json + "}";
  }

  /** The stored value's JSON if it carries {@code stamp}, else {@code null}. */
  static String unwrap(String stored, String stamp) {
    if (stored == null) {
      return null;
    }
    if (stamp.isEmpty() || !stored.startsWith(MARKER)) {
      return stamp.isEmpty() && !stored.startsWith(MARKER)
          && !stored.startsWith(RedisCacheStore.TOMBSTONE) ? stored : null;
    }
    int end = MARKER.length() + stamp.length();
    if (!stored.startsWith(stamp, MARKER.length()) || !stored.startsWith(VALUE, end)
        || !stored.endsWith("}")) {
      return null;
    }
    return stored.substring(end + VALUE.length(), stored.length() - 1);
  }

  /**
   * The start of a stored value up to and including its stamp ({@code {"@ratecache.gen":"E.S",
   * "value":}), or {@code ""} for a value without one: what a conditional write expects to find
   * still there.
   */
  static String stampPrefix(String stored) {
    if (!stored.startsWith(MARKER)) {
      return "";
    }
    int end = stored.indexOf(VALUE, MARKER.length());
    return end < 0 ? "" : stored.substring(0, end + VALUE.length());
  }

  /**
   * The generations as of a read that saw {@code epoch} and {@code version} in the hash (both
   * {@code null} if it had none): this instance's copy if it matches, else the hash read again
   * (made first if absent).
   */
  Snapshot current(String epoch, String version) {
    if (!pending.isEmpty()) {
      // The hash misses this instance's own increments: make them before trusting it.
      flushPending(false);
      if (!pending.isEmpty()) {
        throw new RedisUnavailableException("namespace invalidations made while Redis could not"
            + " be reached are not in Redis yet; reading from the fallback", null);
      }
      return refresh();
    }
    if (epoch == null) {
      copy = Snapshot.EMPTY;
      return Snapshot.EMPTY; // no hash: nothing was ever invalidated, or it was removed
    }
    Snapshot c = copy;
    if (c != null && epoch.equals(c.epoch())
        && String.valueOf(c.version()).equals(version == null ? "0" : version)) {
      return c;
    }
    return refresh();
  }

  /** This instance's copy, or the hash read if there is none yet (for unconditional writes). */
  Snapshot known() {
    Snapshot c = copy;
    return c != null ? c : refresh();
  }

  /** Namespaces known now (a copy), for tests and reports. */
  Map<String, Long> namespaces() {
    return known().namespaces();
  }

  private Snapshot refresh() {
    Map<String, String> all = connector.execute(HASH, j -> j.hgetAll(HASH));
    if (!all.containsKey(EPOCH)) {
      copy = Snapshot.EMPTY;
      return Snapshot.EMPTY;
    }
    Map<String, Long> namespaces = new HashMap<>();
    long version = 0;
    for (Map.Entry<String, String> e : all.entrySet()) {
      try {
        if (e.getKey().equals(VERSION)) {
          version = Long.parseLong(e.getValue());
        } else if (!e.getKey().equals(EPOCH)) {
          namespaces.put(e.getKey(), Long.parseLong(e.getValue()));
        }
      } catch (NumberFormatException notOurs) {
        // a field written by something else: not a generation
      }
    }
    Snapshot s = new Snapshot(all.get(EPOCH), version, Map.copyOf(namespaces));
    copy = s;
    return s;
  }

  private static String newEpoch() {
    return Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
  }

  /** A namespace that fits the bound: itself if known or if there is room, else a parent. */
  private static String bounded(String ns, Map<String, Long> known) {
    String n = ns;
    while (!known.containsKey(n) && known.size() >= MAX_NAMESPACES && !n.isEmpty()) {
      n = parentOf(n);
    }
    return n;
  }

  private void increment(String ns) {
    RedisConnector.Replicated<Object> done = connector.executeReplicated(HASH,
        j -> j.eval(INCREMENT, List.of(HASH), List.of(ns, newEpoch())));
    Object gen = done.result();
    if (done.acknowledged()) {
      unacknowledged.remove(ns);
    } else {
      degraded.increment();
      if (unacknowledged.size() < MAX_NAMESPACES) {
        unacknowledged.add(ns);
      }
    }
    copy = null; // read again on next use; every read checks the version anyway
    // Older instances in a rolling upgrade keep their copies current from this event.
    connector.events().publish(new Invalidation.Generation(ns, (Long) gen));
  }

  /**
   * Makes the increments kept while Redis could not be reached.
   *
   * @param background on the connector's scheduler (a failure is logged), not a reader's thread
   */
  private synchronized void flushPending(boolean background) {
    if (pending.isEmpty()) {
      return;
    }
    for (String ns : new LinkedHashSet<>(pending)) {
      try {
        increment(ns);
        pending.remove(ns);
      } catch (RuntimeException e) {
        if (background) {
          log.warn("A namespace invalidation made during the outage still waits for Redis: {}",
              e.toString());
        }
        return;
      }
    }
  }

  /**
   * After a failing master's keys use Redis again: the hash's master may be a promoted replica
   * that never had the increments no replica acknowledged; make them again (one more generation
   * each: more than asked, never less).
   */
  private synchronized void redoUnacknowledged() {
    for (String ns : new LinkedHashSet<>(unacknowledged)) {
      try {
        increment(ns);
      } catch (RuntimeException e) {
        return; // the next recovery tries again
      }
    }
  }

  /**
   * Increments that could not be made at once, or that no replica acknowledged, since start (for
   * tests).
   */
  long degradedIncrements() {
    return degraded.sum();
  }

  /** Increments kept until Redis can be reached (for tests and reports). */
  int pendingIncrements() {
    return pending.size();
  }

  void close() {
    try {
      healthRegistration.close();
      shardRegistration.close();
    } catch (Exception e) {
      log.debug("Closing a registration failed", e);
    }
  }
}
