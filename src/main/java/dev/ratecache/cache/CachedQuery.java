package dev.ratecache.cache;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Caches the JSON response of a JAX-RS {@code GET} resource method in Redis (through
 * {@link QueryCache}) under a key rendered from path and query parameters. Takes effect when
 * {@link CachedQueryFeature} is registered.
 *
 * <p>On a hit the method is not invoked; responses carry {@code X-Cache: HIT} or {@code MISS} and
 * a strong {@code ETag}, and {@code If-None-Match} gets {@code 304}. Only {@code 200} JSON
 * responses are stored, never one that sets a cookie or says {@code Cache-Control: no-store}, and
 * none larger than the feature's size limit (1 MiB by default). When the request has a principal,
 * the key gets a {@code :user:<principal>} suffix unless {@link #shared()}, so one user never
 * receives another's response.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface CachedQuery {
  /**
   * The key template, such as {@code query:user:email:{email}}; each {@code {name}} must be a
   * {@code @PathParam} or {@code @QueryParam} of the method (checked at deploy time).
   */
  String value();

  /** An explicit TTL in seconds; overrides {@link #category()}. */
  long ttlSeconds() default -1;

  /** The TTL category ({@link CacheTtl}); by default the key's own category. */
  String category() default "";

  /** True if the response is the same for every user, so no per-user suffix is added. */
  boolean shared() default false;

  /**
   * Stale-while-revalidate in seconds (RFC 5861): for this long past the TTL, the stored response
   * is served at once ({@code X-Cache: STALE}, with {@code Age}) while one request per fleet runs
   * the method and stores its answer. {@code -1} (the default) takes the cache's ({@code
   * CACHE_STALE_WHILE_REVALIDATE_MS}); {@code 0} is off. A stored {@code Cache-Control:
   * stale-while-revalidate=N} the resource set decides for its own entry.
   */
  long staleWhileRevalidateSeconds() default -1;

  /**
   * Stale-if-error in seconds (RFC 5861): for this long past the TTL, when the method answers 5xx
   * the stored response is served instead ({@code X-Cache: STALE}, with {@code Age}), counted as
   * {@code ratecache.cache.stale{reason=error}}. {@code -1} (the default) takes the cache's
   * ({@code CACHE_STALE_IF_ERROR_MS}); {@code 0} is off. A stored {@code Cache-Control:
   * stale-if-error=N} decides for its own entry. An exception no {@code ExceptionMapper} maps
   * reaches the container as it is.
   */
  long staleIfErrorSeconds() default -1;

  /**
   * Negative caching, in seconds ({@code 0}, the default, is off): a {@code 404} from the method
   * is stored this long (as an absence, no body) and answered {@code 404} with {@code X-Cache:
   * HIT} without running it, and an empty result ({@code []}, {@code {}} or {@code null}) is
   * stored this long instead of the TTL. What a route stores so counts against its budget ({@code
   * CACHE_ROUTE_BUDGET_BYTES}, key and value), so a scanner's random ids cannot fill Redis.
   */
  long notFoundTtlSeconds() default 0;

  /**
   * Tags (surrogate keys) of the stored response, at most 8, with {@code {name}} variables from
   * path or query parameters rendered as they are: {@code tags = {"user:{id}", "org:{org}"}}.
   * {@code QueryCache.invalidateTag("user:42")} or {@link InvalidatesCache#tags()} makes every
   * response stored with the tag a miss, on every instance, in one Redis write (see {@code
   * QueryCache.tagged}). A tagged response lives at most the tag retention ({@code
   * CACHE_TAG_RETENTION_MS}).
   */
  String[] tags() default {};

  /**
   * Request headers the response varies on, at most 4 ({@code vary = {"Accept-Language",
   * "Accept"}}): each combination of their values is stored as its own variant of the key
   * ({@code <key>:vary:<hash>}), sent with {@code Vary} naming them, and invalidated with the key.
   * A response whose own {@code Vary} names any other header is not stored, as without this. A
   * value over 256 characters is served, not stored. {@code Authorization} and {@code Cookie}
   * are refused: {@code shared = false} keeps one entry per user.
   */
  String[] vary() default {};

  /**
   * The most variants ({@link #vary()}) one key keeps in Redis at a time, 1 to 1000 (16 by
   * default): past it a new combination is served, not stored, until one expires or the key is
   * invalidated, so clients inventing header values cannot multiply the entries.
   */
  int maxVariants() default 16;
}
