package dev.ratecache.ratelimit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Rate-limits a JAX-RS resource method (or every method of a class) under a named profile. Takes
 * effect when {@link RateLimitFeature} is registered. A request is charged once per profile even
 * when {@link RateLimitFilter} guards the same path.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
public @interface RateLimited {
  /** The profile name, such as {@code "chat"}; an unknown name fails the deployment. */
  String value();

  /**
   * The tokens a request to this route costs from the profile's bucket (a bulk export: 10), or
   * 0 for the profile's own {@code cost} (default 1). A request already charged for the profile
   * at a lower cost (by the filter's prefix) is charged the difference.
   */
  long cost() default 0;
}
