package dev.ratecache.internal;

import java.util.List;

/**
 * Every Redis key prefix and channel the library owns, in one place: the rate limiter, the
 * caches, the operations and the CLI all name keys from here, and nothing else is ever removed.
 */
public final class KeySpace {
  private KeySpace() {}

  /** Cached query results and responses: {@code query:<category>:…}. */
  public static final String QUERY = "query:";
  /** Authentication data cached by applications under the documented scheme. */
  public static final String AUTH = "auth:";
  /** Rate-limit buckets: {@code rate_limit:<profile>:<client>}. */
  public static final String RATE_LIMIT = "rate_limit:";
  /** The library's own bookkeeping. */
  public static final String LIBRARY = "ratecache:";

  /** Per-instance statistics, {@code ratecache:instances:<id>}. */
  public static final String INSTANCES = LIBRARY + "instances:";
  /** Per-route counters of bytes newly cached in a TTL window: {@code ratecache:budget:<id>}. */
  public static final String BUDGETS = LIBRARY + "budget:";
  /**
   * One instance's lease on loading a cache key for the fleet, {@code ratecache:lease:<key>}:
   * each lives at most the load wait.
   */
  public static final String LEASES = LIBRARY + "lease:";
  /**
   * The version of an invalidated cache tag, {@code ratecache:tag:<tag>}: set by each
   * invalidation of the tag, living the tag retention ({@code CACHE_TAG_RETENTION_MS}).
   */
  public static final String TAGS = LIBRARY + "tag:";
  /** The hash of invalidation generations (O(1) pattern invalidation). */
  public static final String GENERATIONS = LIBRARY + "generations";
  /** The key a write probe sets and deletes to learn whether Redis accepts writes. */
  public static final String PROBE = LIBRARY + "probe";
  /** The pub/sub channel of invalidation events between instances. */
  public static final String EVENTS_CHANNEL = LIBRARY + "events";

  /** Every namespace, in the order the operations report them. */
  public static final List<String> ALL = List.of(QUERY, AUTH, RATE_LIMIT, LIBRARY);
}
