package dev.ratecache.spring;

import dev.ratecache.cache.CacheTtl;
import dev.ratecache.cache.QueryCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cache.Cache;
import org.springframework.cache.CacheManager;

/**
 * A Spring {@link CacheManager} whose caches are {@link RatecacheCache}s over one {@link
 * QueryCache}: {@code @Cacheable} and friends get Redis shared by every instance, the memory
 * fallback while Redis is down, the near cache, single flight and O(1) clearing. The starter makes
 * one when {@code ratecache.spring-cache.enabled=true}; without Boot:
 *
 * <pre>{@code
 * CacheManager caches = RatecacheCacheManager.builder(queryCache)
 *     .ttl("users", Duration.ofMinutes(10)).allowedPackages(List.of("com.acme")).build();
 * }</pre>
 *
 * <p>Caches are made on first use under any name (at most {@value #MAX_CACHES}), or only those
 * named with {@link Builder#cacheNames}. Thread-safe.
 */
public final class RatecacheCacheManager implements CacheManager {
  private static final Logger log = LoggerFactory.getLogger(RatecacheCacheManager.class);
  /** The most caches made on first use: their names come from code, not from requests. */
  public static final int MAX_CACHES = 1000;

  private final QueryCache cache;
  private final Map<String, Duration> ttls;
  private final Duration defaultTtl;
  private final boolean allowNullValues;
  private final boolean fixed;
  private final SpringCacheTypes types;
  private final Map<String, RatecacheCache> caches = new ConcurrentHashMap<>();

  private RatecacheCacheManager(Builder b) {
    this.cache = b.cache;
    this.ttls = Map.copyOf(b.ttls);
    this.defaultTtl = b.defaultTtl != null ? b.defaultTtl : cache.ttls().of(CacheTtl.OTHER);
    this.allowNullValues = b.allowNullValues;
    this.types = new SpringCacheTypes(b.packages, b.classLoader != null ? b.classLoader
        : Thread.currentThread().getContextClassLoader() != null
            ? Thread.currentThread().getContextClassLoader()
            : RatecacheCacheManager.class.getClassLoader());
    this.fixed = b.cacheNames != null;
    if (fixed) {
      for (String name : b.cacheNames) {
        caches.put(name, make(name));
      }
      for (String name : ttls.keySet()) {
        if (!caches.containsKey(name)) {
          throw new IllegalArgumentException("a TTL is given for cache '" + name
              + "', which is not among the cache names " + b.cacheNames);
        }
      }
    }
  }

  /** A builder over {@code cache}. */
  public static Builder builder(QueryCache cache) {
    return new Builder(cache);
  }

  private RatecacheCache make(String name) {
    return new RatecacheCache(name, cache, ttls.getOrDefault(name, defaultTtl), allowNullValues,
        types);
  }

  /**
   * The cache of this name, made on first use; null if the names are fixed and this is not one
   * of them, or if {@value #MAX_CACHES} caches exist already (logged).
   */
  @Override
  public Cache getCache(String name) {
    RatecacheCache c = caches.get(name);
    if (c != null || fixed) {
      return c;
    }
    if (caches.size() >= MAX_CACHES) {
      log.warn("Not making cache '{}': {} caches exist (name them with"
          + " ratecache.spring-cache.cache-names to fix the set)", name, MAX_CACHES);
      return null;
    }
    return caches.computeIfAbsent(name, this::make);
  }

  @Override
  public Collection<String> getCacheNames() {
    return Collections.unmodifiableSet(new LinkedHashSet<>(caches.keySet()));
  }

  /** The TTL an entry of this cache is stored for. */
  public Duration ttlOf(String name) {
    return ttls.getOrDefault(name, defaultTtl);
  }

  /** The TTL of caches given none of their own. */
  public Duration defaultTtl() {
    return defaultTtl;
  }

  /** The packages whose classes may be cached (besides JDK value and collection types). */
  public List<String> allowedPackages() {
    return types.packages();
  }

  /** Settings of a {@link RatecacheCacheManager}. */
  public static final class Builder {
    private final QueryCache cache;
    private final Map<String, Duration> ttls = new LinkedHashMap<>();
    private Duration defaultTtl;
    private boolean allowNullValues = true;
    private List<String> cacheNames;
    private final List<String> packages = new ArrayList<>();
    private ClassLoader classLoader;

    private Builder(QueryCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
    }

    /** The TTL of one cache's entries. */
    public Builder ttl(String cacheName, Duration ttl) {
      ttls.put(Objects.requireNonNull(cacheName, "cacheName"), positive(cacheName, ttl));
      return this;
    }

    /** The TTL of caches given none (default: the query cache's {@code other} category). */
    public Builder defaultTtl(Duration ttl) {
      this.defaultTtl = positive("default", ttl);
      return this;
    }

    /** Whether a null result is cached (default true, as Spring's own caches). */
    public Builder allowNullValues(boolean allow) {
      this.allowNullValues = allow;
      return this;
    }

    /** Only these caches exist; others are not made. */
    public Builder cacheNames(Collection<String> names) {
      this.cacheNames = List.copyOf(names);
      return this;
    }

    /**
     * Packages whose classes (and their subpackages') may be cached and read back; JDK strings,
     * numbers, {@code java.time} values, lists, sets and maps of them always may.
     */
    public Builder allowedPackages(Collection<String> names) {
      packages.addAll(names);
      return this;
    }

    /** The class loader cached classes are loaded with (default: the thread's). */
    public Builder classLoader(ClassLoader loader) {
      this.classLoader = loader;
      return this;
    }

    /**
     * The manager.
     *
     * @throws IllegalArgumentException if a TTL names a cache outside fixed {@link #cacheNames}
     */
    public RatecacheCacheManager build() {
      return new RatecacheCacheManager(this);
    }

    private static Duration positive(String name, Duration ttl) {
      if (ttl == null || ttl.isNegative() || ttl.isZero()) {
        throw new IllegalArgumentException("the TTL of cache '" + name
            + "' must be positive, got " + ttl);
      }
      return ttl;
    }
  }

  @Override
  public String toString() {
    return "RatecacheCacheManager" + getCacheNames();
  }
}
