package dev.ratecache.spring;

import dev.ratecache.ConfigurationException;
import dev.ratecache.cache.QueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/**
 * The {@code ratecache.spring-cache.*} properties, read into a {@link RatecacheCacheManager}:
 *
 * <ul>
 *   <li>{@code enabled} (false): make the manager; Spring's {@code @EnableCaching} is still the
 *       application's.
 *   <li>{@code default-ttl} (the query cache's {@code other} TTL) and {@code ttl.<cache>}: how long
 *       entries live.
 *   <li>{@code cache-names}: only these caches exist (by default any name makes one on first use).
 *   <li>{@code allow-null-values} (true): a null result is cached too.
 *   <li>{@code allowed-packages}: packages whose classes may be cached, besides the application's
 *       own (its {@code @SpringBootApplication} package) and JDK value types.
 * </ul>
 *
 * A malformed value, a TTL for a cache outside {@code cache-names}, the query cache switched off,
 * or {@code spring.cache.type} set as well fails the start, naming the property.
 */
final class SpringCacheSettings {
  private static final Logger log = LoggerFactory.getLogger(SpringCacheSettings.class);
  static final String PREFIX = "ratecache.spring-cache.";
  /** Every property read here (a map's and a list's members by their prefix). */
  static final Set<String> NAMES = Set.of(PREFIX + "enabled", PREFIX + "default-ttl",
      PREFIX + "ttl", PREFIX + "cache-names", PREFIX + "allow-null-values",
      PREFIX + "allowed-packages");

  private SpringCacheSettings() {}

  /** Whether a property under {@code ratecache.spring-cache.} is one read here. */
  static boolean known(String property) {
    String p = property.replaceAll("\\[\\d+]$", "");
    return NAMES.contains(p) || p.startsWith(PREFIX + "ttl.") || p.startsWith(PREFIX + "ttl[");
  }

  static RatecacheCacheManager manager(QueryCache cache, Environment env,
      ConfigurableListableBeanFactory beans) {
    if (cache == null) {
      throw new ConfigurationException(PREFIX + "enabled",
          "needs the query cache, which ratecache.cache.enabled=false switches off");
    }
    String type = env.getProperty("spring.cache.type");
    if (type != null && !type.isBlank()) {
      throw new ConfigurationException(PREFIX + "enabled", "is true, and spring.cache.type="
          + type + " asks for another cache; set one of them");
    }
    Binder binder = Binder.get(env);
    RatecacheCacheManager.Builder b = RatecacheCacheManager.builder(cache)
        .classLoader(beans.getBeanClassLoader());
    run(PREFIX + "default-ttl", () -> binder.bind(PREFIX + "default-ttl", Duration.class)
        .ifBound(b::defaultTtl));
    Map<String, Duration> ttls = bind(PREFIX + "ttl", () -> binder.bind(PREFIX + "ttl",
        Bindable.mapOf(String.class, Duration.class)).orElse(Map.of()));
    ttls.forEach((name, ttl) -> run(PREFIX + "ttl." + name, () -> b.ttl(name, ttl)));
    run(PREFIX + "allow-null-values", () -> binder.bind(PREFIX + "allow-null-values",
        Boolean.class).ifBound(b::allowNullValues));
    run(PREFIX + "cache-names", () -> binder.bind(PREFIX + "cache-names",
        Bindable.listOf(String.class)).ifBound(b::cacheNames));
    List<String> packages = new ArrayList<>();
    if (AutoConfigurationPackages.has(beans)) {
      packages.addAll(AutoConfigurationPackages.get(beans));
    }
    packages.addAll(bind(PREFIX + "allowed-packages", () -> binder.bind(
        PREFIX + "allowed-packages", Bindable.listOf(String.class)).orElse(List.of())));
    b.allowedPackages(packages);
    RatecacheCacheManager manager = bind(PREFIX + "cache-names", b::build);
    log.info("Spring's caches are ratecache's (Redis with the memory fallback): default TTL {},"
        + " classes of {} may be cached", manager.defaultTtl(), manager.allowedPackages());
    return manager;
  }

  private interface Step<T> {
    T run();
  }

  private static void run(String property, Runnable step) {
    bind(property, () -> {
      step.run();
      return null;
    });
  }

  private static <T> T bind(String property, Step<T> step) {
    try {
      return step.run();
    } catch (BindException e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new ConfigurationException(property, cause.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException(property, e.getMessage(), e);
    }
  }
}
