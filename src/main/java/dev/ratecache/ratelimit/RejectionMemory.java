package dev.ratecache.ratelimit;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.ratecache.internal.GlobPattern;
import dev.ratecache.internal.InvalidationGuard;
import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.Time;
import dev.ratecache.ratelimit.RateLimitDecision.Backend;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisEvents;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The limiter's memory of clients over their limit, so that their next requests cost no Redis
 * round trip until their retry time, kept true by invalidation events: an operator's clear (on any
 * instance) forgets the rejections and the bucket store's remembered states it concerns, and a
 * resubscription, which may have missed such a clear, forgets everything learnt from Redis as
 * far as skipping Redis goes. It keeps those rejections (and the store its states) as doubtful,
 * though, for one use: while
 * Redis cannot decide (an outage, a failover), a client known to be over its limit stays rejected
 * until its retry time instead of getting a fresh local bucket. An unheard clear then costs that
 * client at most its retry time on the fallback, never an over-admission; a clear heard, or Redis
 * deciding the client's bucket again, removes the doubt.
 *
 * <p>A rejection read from Redis is remembered only if no reset happened while it was decided
 * ({@link InvalidationGuard}). Bounded by the local bucket limit; entries expire at their retry
 * time on the limiter's clock. Thread-safe.
 */
final class RejectionMemory implements RedisEvents.Listener {
  /**
   * A client over its limit: no token before {@code retryAt}; full again at {@code resetAt};
   * {@code blocked} if it is a lockout (which only an operator's reset ends early).
   */
  record KnownRejection(long retryAt, long resetAt, Backend backend, boolean blocked) {
    KnownRejection(long retryAt, long resetAt, Backend backend) {
      this(retryAt, resetAt, backend, false);
    }
  }

  private final Cache<String, KnownRejection> known;
  /** Rejections from Redis that a resubscription made doubtful; consulted only on the fallback. */
  private final Cache<String, KnownRejection> doubtful;
  private final BucketStore redisStore;
  private final InvalidationGuard guard = new InvalidationGuard();

  /** @param redisStore the store whose remembered states are forgotten with rejections, or null */
  RejectionMemory(long maxSize, Clock clock, BucketStore redisStore) {
    this.redisStore = redisStore;
    this.known = untilRetry(maxSize, clock);
    this.doubtful = untilRetry(maxSize, clock);
  }

  private static Cache<String, KnownRejection> untilRetry(long maxSize, Clock clock) {
    return Caffeine.newBuilder()
        .maximumSize(maxSize)
        .ticker(Time.ticker(clock))
        .executor(Runnable::run) // maintenance on the caller's thread: no pool to hand work to
        .expireAfter(Expiry.<String, KnownRejection>creating(
            (key, r) -> Duration.ofNanos(Math.max(0, r.retryAt() - Time.epochNanos(clock)))))
        .build();
  }

  /**
   * For a decision Redis cannot make: the rejection remembered for {@code key}, else the one a
   * resubscription made doubtful, or {@code null}.
   */
  KnownRejection getForFallback(String key) {
    KnownRejection k = known.getIfPresent(key);
    return k != null ? k : doubtful.getIfPresent(key);
  }

  /** Redis decided {@code key} again: whatever was doubtful about it is settled. */
  void settled(String key) {
    if (doubtful.estimatedSize() > 0) {
      doubtful.invalidate(key);
    }
  }

  /** The rejection remembered for {@code key}, or {@code null}. */
  KnownRejection get(String key) {
    return known.getIfPresent(key);
  }

  /** Take before the bucket is read: see {@link #remember}. */
  long mark() {
    return guard.mark();
  }

  /**
   * Remembers a rejection, unless it came from Redis and a reset happened since {@code mark}: then
   * whatever was remembered of the key before is dropped too, since Redis's decision superseded it
   * (keeping it showed an older verdict, such as the fallback's, after Redis had decided anew;
   * {@code RejectionMemoryLincheckTest} found that interleaving). The next request asks Redis.
   */
  void remember(String key, KnownRejection rejection, long mark) {
    if (rejection.backend() != Backend.REDIS) {
      known.put(key, rejection);
    } else if (!guard.storeIfUnchanged(mark, () -> known.put(key, rejection))) {
      known.invalidate(key);
    }
  }

  @Override
  public void onInvalidation(Invalidation event) {
    if (event instanceof Invalidation.Pattern p) {
      String pattern = p.pattern();
      if (!GlobPattern.mayMatchPrefix(pattern, KeySpace.RATE_LIMIT)) {
        return; // a cache pattern such as query:user:*: no bucket of ours is concerned
      }
      guard.invalidate(() -> {
        redisStore.forget(redisKey -> GlobPattern.matches(pattern, redisKey));
        // A bucket's lock (key:lock) cleared ends the rejection remembered for the bucket.
        known.asMap().keySet().removeIf(k -> GlobPattern.matches(pattern, KeySpace.RATE_LIMIT + k)
            || GlobPattern.matches(pattern, KeySpace.RATE_LIMIT + k + Lockouts.SUFFIX));
        doubtful.asMap().keySet().removeIf(
            k -> GlobPattern.matches(pattern, KeySpace.RATE_LIMIT + k));
      });
    } else if (event instanceof Invalidation.Key k && k.key().startsWith(KeySpace.RATE_LIMIT)) {
      String key = bucketOf(k.key().substring(KeySpace.RATE_LIMIT.length()));
      guard.invalidate(() -> {
        redisStore.forget(key);
        known.invalidate(key);
        doubtful.invalidate(key);
      });
    } else if (event instanceof Invalidation.Keys ks) {
      List<String> keys = new ArrayList<>();
      for (String k : ks.keys()) {
        if (k.startsWith(KeySpace.RATE_LIMIT)) {
          keys.add(bucketOf(k.substring(KeySpace.RATE_LIMIT.length())));
        }
      }
      if (!keys.isEmpty()) {
        guard.invalidate(() -> {
          keys.forEach(redisStore::forget);
          known.invalidateAll(keys);
          doubtful.invalidateAll(keys);
        });
      }
    }
    // Generation events concern cache namespaces only.
  }

  /**
   * Forgets every rejection decided on Redis (clients' limits changed: an operator's override),
   * so the next decision for each asks its bucket; the fallback's are kept.
   */
  void forgetDecidedOnRedis() {
    guard.invalidate(() -> known.asMap().values().removeIf(r -> r.backend() == Backend.REDIS));
  }

  /** The bucket a rate-limit key belongs to: itself, or the bucket of a lock key. */
  private static String bucketOf(String key) {
    return key.endsWith(Lockouts.SUFFIX)
        ? key.substring(0, key.length() - Lockouts.SUFFIX.length()) : key;
  }

  @Override
  public void onMissedEvents() {
    // A clear may have gone unheard: ask Redis again instead of trusting what we hold.
    guard.invalidate(() -> {
      redisStore.doubtAll();
      known.asMap().forEach((key, r) -> {
        if (r.backend() == Backend.REDIS) {
          doubtful.put(key, r);
        }
      });
      known.asMap().values().removeIf(r -> r.backend() == Backend.REDIS);
    });
  }
}
