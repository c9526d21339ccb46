package dev.ratecache.spring;

import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * Reads the library's settings from Spring's {@link Environment}, under the library's own names:
 * {@code REDIS_CLUSTER_NODES} is {@code ratecache.redis.cluster-nodes} (or the environment
 * variable {@code REDIS_CLUSTER_NODES}, as without Spring), {@code CACHE_TTL_USER} is {@code
 * ratecache.cache.ttl-user}, and the rate limiter's init-params are read as they are named under
 * {@code ratecache.ratelimit.} ({@code ratecache.ratelimit.profile.chat.limit=20/1m}).
 */
final class SpringSettings {
  private SpringSettings() {}

  /**
   * A lookup of settings named {@code <namePrefix>X_Y} (as environment variables) that reads
   * {@code <propertyPrefix>x-y} first, then the plain name.
   */
  static Function<String, String> lookup(Environment env, String namePrefix,
      String propertyPrefix) {
    return name -> {
      if (name.startsWith(namePrefix)) {
        String key = propertyPrefix
            + name.substring(namePrefix.length()).toLowerCase(Locale.ROOT).replace('_', '-');
        String value = env.getProperty(key);
        if (value != null) {
          return value;
        }
      }
      return env.getProperty(name);
    };
  }

  /** Every property under {@code ratecache.ratelimit.}, named as the filter's init-params. */
  static Map<String, String> rateLimitParams(Environment env) {
    return Binder.get(env)
        .bind("ratecache.ratelimit", Bindable.mapOf(String.class, String.class))
        .orElse(Map.of());
  }
}
