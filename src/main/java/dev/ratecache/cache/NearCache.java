package dev.ratecache.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.ratecache.internal.GlobPattern;
import dev.ratecache.internal.InvalidationGuard;
import dev.ratecache.internal.OnFirstUse;
import dev.ratecache.internal.Time;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisEvents;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Copies of hot Redis entries in this instance's memory, served without a round trip for at most
 * a short TTL, and dropped as soon as any instance says the key changed ({@link RedisEvents}).
 *
 * <p>Copies are served only while the event subscription is live and has not been re-established
 * since the copy was taken, so a lost message cannot keep a stale copy beyond the subscription's
 * loss being noticed; the TTL bounds what is left (a message that Redis accepted but never
 * delivered, or a write by a program that does not publish). A read that raced with an
 * invalidation is not kept: every invalidation this instance sees advances a counter, and a copy
 * is stored only if the counter did not move while its value was being fetched.
 *
 * <p>Bounded in bytes (keys and values as UTF-16). Thread-safe.
 */
final class NearCache implements AutoCloseable {
  /** A copy, the subscription epoch it was taken in, and its tags' names ({@code ""}). */
  private record Entry(String json, long epoch, String tags) {}

  /**
   * What the near cache needs of the event subscription ({@link RedisEvents} in production; the
   * model-checked test drives its own).
   */
  interface Events {
    AutoCloseable subscribe(RedisEvents.Listener listener);

    boolean isLive();

    long epoch();

    static Events of(RedisEvents events) {
      return new Events() {
        @Override
        public AutoCloseable subscribe(RedisEvents.Listener listener) {
          return events.subscribe(listener);
        }

        @Override
        public boolean isLive() {
          return events.isLive();
        }

        @Override
        public long epoch() {
          return events.epoch();
        }
      };
    }
  }

  private final Events events;
  private final Cache<String, Entry> entries;
  private final InvalidationGuard guard = new InvalidationGuard();
  private final LongAdder hits = new LongAdder();
  private final OnFirstUse subscription;

  NearCache(RedisEvents events, Duration ttl, long maxBytes, Clock clock) {
    this(Events.of(events), ttl, maxBytes, clock);
  }

  NearCache(Events events, Duration ttl, long maxBytes, Clock clock) {
    this.events = events;
    this.entries = Caffeine.newBuilder()
        .maximumWeight(maxBytes)
        .<String, Entry>weigher((k, e) -> 2 * (k.length() + e.json().length()) + 64)
        .expireAfterWrite(ttl.toNanos(), TimeUnit.NANOSECONDS)
        .ticker(Time.ticker(clock))
        .executor(Runnable::run)
        .build();
    // Subscribed on the first read (building a cache starts no thread); until the subscription
    // is live, get() serves nothing and offer() keeps nothing.
    this.subscription = new OnFirstUse(() -> events.subscribe(this::onEvent));
  }

  /** A position to hand back to {@link #offer}: taken before fetching from Redis. */
  long mark() {
    return guard.mark();
  }

  /** The subscription epoch, also taken before fetching. */
  long epoch() {
    return events.epoch();
  }

  /** The copy of {@code key}, or {@code null}. */
  String get(String key) {
    subscription.ensureOpen();
    if (!events.isLive()) {
      return null;
    }
    Entry e = entries.getIfPresent(key);
    if (e == null || e.epoch() != events.epoch()) {
      return null;
    }
    hits.increment();
    return e.json();
  }

  /** Keeps a value just fetched, unless anything was invalidated since {@code mark}. */
  void offer(String key, String json, long mark, long epoch) {
    offer(key, json, "", mark, epoch);
  }

  /** {@link #offer(String, String, long, long)} of a copy carrying {@code tags} (names). */
  void offer(String key, String json, String tags, long mark, long epoch) {
    if (events.isLive() && events.epoch() == epoch) {
      guard.storeIfUnchanged(mark, () -> entries.put(key, new Entry(json, epoch, tags)));
    }
  }

  /** This instance invalidated the tag named {@code name}: drop the copies carrying it. */
  void changedTag(String name) {
    forgetTagged(name);
  }

  /**
   * This instance changed {@code key} in Redis: drop the local copy (the cache tells the others,
   * whether or not its own near cache is on).
   */
  void changed(String key) {
    forget(key);
  }

  /**
   * This instance removed keys matching {@code pattern}: drop the local copies (the sweep itself
   * told the others).
   */
  void changedMatching(String pattern) {
    forgetMatching(pattern);
  }

  /** Copies served since start. */
  long hits() {
    return hits.sum();
  }

  /** Copies held now. */
  long size() {
    return entries.estimatedSize();
  }

  private void onEvent(Invalidation event) {
    if (event instanceof Invalidation.Key k) {
      forget(k.key());
    } else if (event instanceof Invalidation.Keys ks) {
      guard.invalidate(() -> entries.invalidateAll(ks.keys()));
    } else if (event instanceof Invalidation.Pattern p) {
      forgetMatching(p.pattern());
    } else if (event instanceof Invalidation.Tag t) {
      forgetTagged(t.tag());
    } else if (event instanceof Invalidation.Generation g) {
      // Every entry of the namespace written before the new generation is invalid.
      guard.invalidate(() -> entries.asMap().keySet().removeIf(k -> k.startsWith(g.namespace())));
    }
  }

  private void forget(String key) {
    guard.invalidate(() -> entries.invalidate(key));
  }

  private void forgetTagged(String name) {
    guard.invalidate(() -> entries.asMap().values().removeIf(e -> !e.tags().isEmpty()
        && (" " + e.tags() + " ").contains(" " + name + " ")));
  }

  private void forgetMatching(String pattern) {
    guard.invalidate(() -> entries.asMap().keySet().removeIf(k -> GlobPattern.matches(pattern, k)));
  }

  @Override
  public void close() throws Exception {
    subscription.close();
    entries.invalidateAll();
  }
}
