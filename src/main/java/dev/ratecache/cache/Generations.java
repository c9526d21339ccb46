package dev.ratecache.cache;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.OnFirstUse;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisEvents;
import dev.ratecache.redis.RedisHealth;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pattern invalidation in one Redis command, whatever the size of the keyspace: each namespace
 * (the literal start of an invalidation pattern, such as {@code query:user:}) has a generation
 * in the hash {@value #HASH}, and a pattern invalidation increments its namespace's generation
 * ({@code HINCRBY}) instead of scanning for keys. An entry written into Redis carries the sum of
 * the generations of the namespaces its key starts with (when that sum is not zero); a read
 * compares it with the current sum, so every entry written before the increment reads as a miss
 * at once, on every instance, and expires by its TTL. No request ever scans the keyspace.
 *
 * <p>Each instance keeps a copy of the hash, read once and kept current by {@link
 * Invalidation.Generation} events; it is trusted only while the event subscription is live and
 * has not been re-established since the copy was read, and otherwise read again (one {@code
 * HGETALL}) before use. The invalidating instance updates its copy before it returns, so its own
 * next read already misses; other instances miss once the event reaches them.
 *
 * <p>Bounded: at most {@value #MAX_NAMESPACES} namespaces; past that, a new one is folded into
 * its parent ({@code query:rag_documents:user:42:} into {@code query:rag_documents:user:}, and so
 * on to {@code ""}), which invalidates more than asked, never less. An increment that cannot
 * reach Redis is kept (bounded the same way) and made when Redis is back, so an invalidation
 * during an outage is not lost. Thread-safe.
 */
final class Generations {
  private static final Logger log = LoggerFactory.getLogger(Generations.class);

  /** The hash of namespace generations. */
  static final String HASH = KeySpace.GENERATIONS;
  static final int MAX_NAMESPACES = 256;
  private static final String MARKER = "{\"@ratecache.gen\":";

  private final RedisConnector connector;
  private final RedisEvents events;
  private final Map<String, Long> copy = new ConcurrentHashMap<>();
  private final Set<String> pending = ConcurrentHashMap.newKeySet();
  private volatile long copyEpoch = -1;
  private final OnFirstUse subscription;
  private final AutoCloseable healthRegistration;

  Generations(RedisConnector connector) {
    this.connector = connector;
    this.events = connector.events();
    // Subscribed on first use (building a cache starts no thread); until the subscription is
    // live, the copy is not trusted and every read asks Redis.
    this.subscription = new OnFirstUse(() -> events.subscribe(event -> {
      if (event instanceof Invalidation.Generation g) {
        copy.merge(g.namespace(), g.generation(), Math::max);
      }
    }));
    this.healthRegistration = connector.health().onTransition(t -> {
      if (t.to() == RedisHealth.State.UP) {
        flushPending();
      }
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
   * instance. Never throws: if Redis cannot be reached the increment is made when it is back.
   */
  void invalidate(String pattern) {
    String ns = bounded(namespaceOf(pattern), current());
    if (!increment(ns)) {
      if (pending.size() >= MAX_NAMESPACES) {
        pending.add(""); // everything, once Redis is back: more than asked, never less
      } else {
        pending.add(ns);
      }
    }
  }

  /** The value to store at {@code key}: stamped with its namespaces' generations if any. */
  String wrap(String key, String json) {
    long stamp = stamp(key, current());
    return stamp == 0 ? json : MARKER + stamp + ",\"value\":" + json + "}";
  }

  /** The stored value's JSON, or {@code null} if it was written before an invalidation. */
  String unwrap(String key, String stored) {
    if (stored == null) {
      return null;
    }
    long stamp = stamp(key, current());
    if (!stored.startsWith(MARKER)) {
      return stamp == 0 ? stored : null;
    }
    int comma = stored.indexOf(',', MARKER.length());
    int valueStart = comma + ",\"value\":".length();
    if (comma < 0 || !stored.startsWith(",\"value\":", comma) || !stored.endsWith("}")) {
      return stamp == 0 ? stored : null; // not one of ours after all
    }
    long written;
    try {
      written = Long.parseLong(stored.substring(MARKER.length(), comma));
    } catch (NumberFormatException e) {
      return stamp == 0 ? stored : null;
    }
    return written == stamp ? stored.substring(valueStart, stored.length() - 1) : null;
  }

  /** Namespaces known now (a copy), for tests and reports. */
  Map<String, Long> namespaces() {
    return Map.copyOf(current());
  }

  private static long stamp(String key, Map<String, Long> generations) {
    if (generations.isEmpty()) {
      return 0;
    }
    long sum = 0;
    for (Map.Entry<String, Long> e : generations.entrySet()) {
      if (key.startsWith(e.getKey())) {
        sum += e.getValue();
      }
    }
    return sum;
  }

  /** A namespace that fits the bound: itself if known or if there is room, else a parent. */
  private static String bounded(String ns, Map<String, Long> known) {
    String n = ns;
    while (!known.containsKey(n) && known.size() >= MAX_NAMESPACES && !n.isEmpty()) {
      n = parentOf(n);
    }
    return n;
  }

  /**
   * The generations, read again from Redis unless the copy is current: the subscription is live
   * and has not been re-established since the copy was read.
   */
  private Map<String, Long> current() {
    subscription.ensureOpen();
    long epoch = events.epoch();
    if (events.isLive() && copyEpoch == epoch) {
      return copy;
    }
    try {
      Map<String, String> all = connector.execute(j -> j.hgetAll(HASH));
      all.forEach((ns, gen) -> {
        try {
          copy.merge(ns, Long.parseLong(gen), Math::max);
        } catch (NumberFormatException ignored) {
          // not ours
        }
      });
      if (events.isLive()) {
        copyEpoch = epoch;
      }
    } catch (RuntimeException unavailable) {
      // Redis is down or failing: entries are not read from it either; the copy will do.
    }
    return copy;
  }

  private boolean increment(String ns) {
    try {
      long gen = connector.execute(j -> j.hincrBy(HASH, ns, 1));
      long known = copy.getOrDefault(ns, 0L);
      if (gen <= known) {
        // The hash was removed (a clear of ratecache:*) and began again: step past what
        // instances already know, so that the new generation is new everywhere.
        long step = known - gen + 1;
        gen = connector.execute(j -> j.hincrBy(HASH, ns, step));
      }
      copy.merge(ns, gen, Math::max);
      events.publish(new Invalidation.Generation(ns, gen));
      return true;
    } catch (RuntimeException unavailable) {
      return false;
    }
  }

  private void flushPending() {
    for (String ns : new LinkedHashSet<>(pending)) {
      if (increment(ns)) {
        pending.remove(ns);
      } else {
        return;
      }
    }
    if (!pending.isEmpty()) {
      log.debug("{} namespace invalidations still wait for Redis", pending.size());
    }
  }

  void close() {
    for (AutoCloseable c : new AutoCloseable[] {subscription, healthRegistration}) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("Closing a registration failed", e);
      }
    }
  }
}
