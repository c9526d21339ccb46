package dev.ratecache.spring;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisSettings;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;

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

  /**
   * A duration property (Spring's forms: {@code 30s}, {@code 500ms}, or milliseconds), zero or
   * more, else {@code otherwise}.
   *
   * @throws ConfigurationException naming the property if it is malformed or negative
   */
  static java.time.Duration duration(Environment env, String property,
      java.time.Duration otherwise) {
    java.time.Duration d;
    try {
      d = Binder.get(env).bind(property, java.time.Duration.class).orElse(otherwise);
    } catch (RuntimeException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ConfigurationException(property, "must be a duration such as 30s, got '"
          + env.getProperty(property) + "' (" + cause.getMessage() + ")", e);
    }
    if (d.isNegative()) {
      throw new ConfigurationException(property, "must not be negative, got " + d);
    }
    return d;
  }

  /** The properties the starter reads directly; the groups below hold the rest. */
  static final Set<String> EXACT = Set.of("ratecache.enabled",
      "ratecache.filter.enabled", "ratecache.filter.order", "ratecache.interceptor.enabled",
      "ratecache.health.fallback-status", "ratecache.observations.enabled",
      "ratecache.endpoint.publish-interval");
  /** Groups whose members the library checks itself (init-params, CACHE_* settings). */
  private static final Set<String> GROUPS = Set.of("ratecache.ratelimit.", "ratecache.cache.");

  /**
   * Fails the start on a property under {@code ratecache.} that nothing reads (a typo such as
   * {@code ratecache.ratelimt.profile.chat.limit} would otherwise start silently with defaults),
   * naming it and what is read. Checks the property sources that list their names (files,
   * arguments, system properties), not environment variables.
   */
  static void checkNames(Environment env) {
    if (!(env instanceof ConfigurableEnvironment configurable)) {
      return;
    }
    Set<String> redisNames = redisSettingNames();
    for (PropertySource<?> source : configurable.getPropertySources()) {
      if (!(source instanceof EnumerablePropertySource<?> names)) {
        continue;
      }
      for (String name : names.getPropertyNames()) {
        if (!name.startsWith("ratecache.") || EXACT.contains(name)
            || GROUPS.stream().anyMatch(name::startsWith)) {
          continue;
        }
        if (name.startsWith(SpringCacheSettings.PREFIX)) {
          if (SpringCacheSettings.known(name)) {
            continue;
          }
          throw new ConfigurationException(name, "unknown property (from " + source.getName()
              + "); the Spring cache properties are " + new TreeSet<>(SpringCacheSettings.NAMES)
              + " (ttl.<cache>)");
        }
        if (name.startsWith("ratecache.redis.")) {
          String setting = "REDIS_" + name.substring("ratecache.redis.".length())
              .toUpperCase(Locale.ROOT).replace('-', '_');
          if (redisNames.contains(setting)) {
            continue;
          }
          throw new ConfigurationException(name, "unknown Redis property (from " + source.getName()
              + "); the Redis properties are " + kebab(redisNames));
        }
        throw new ConfigurationException(name, "unknown property (from " + source.getName()
            + "); ratecache reads " + new TreeSet<>(EXACT) + ", ratecache.redis.*,"
            + " ratecache.ratelimit.*, ratecache.cache.* and ratecache.spring-cache.*");
      }
    }
  }

  private static Set<String> redisSettingNames() {
    Set<String> names = new TreeSet<>();
    for (Field f : RedisSettings.Name.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        try {
          names.add((String) f.get(null));
        } catch (IllegalAccessException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return names;
  }

  private static Set<String> kebab(Set<String> redisNames) {
    Set<String> out = new TreeSet<>();
    redisNames.forEach(n -> out.add("ratecache.redis." + n.substring("REDIS_".length())
        .toLowerCase(Locale.ROOT).replace('_', '-')));
    return out;
  }
}
