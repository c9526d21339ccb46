package dev.ratecache.cache;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * After a successful (2xx) response, invalidates keys or patterns rendered from the request's path
 * and query parameters, such as {@code query:user:email:{email}} or {@code query:user:*}, and
 * tags ({@link #tags()}). Request values are escaped in keys and patterns, so a value containing
 * {@code *} cannot widen a pattern. Takes effect when {@link CachedQueryFeature} is registered.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface InvalidatesCache {
  /** Keys or glob patterns, with {@code {name}} variables from path or query parameters. */
  String[] value() default {};

  /**
   * Tags to invalidate ({@link CachedQuery#tags()}), such as {@code user:{id}}, with values
   * rendered as they are: every response (or {@code QueryCache} entry) stored with one is a miss
   * from then on, on every instance.
   */
  String[] tags() default {};
}
