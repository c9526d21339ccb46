package dev.ratecache.spring;

import dev.ratecache.cache.CacheKeys;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.TypeToken;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.cache.interceptor.SimpleKey;
import org.springframework.cache.support.AbstractValueAdaptingCache;

/**
 * One Spring {@link org.springframework.cache.Cache} over a {@link QueryCache}: what {@code
 * @Cacheable}, {@code @CachePut} and {@code @CacheEvict} store goes to Redis as JSON (written by the
 * query cache's codec, the application's own mapper under the starter), with the query cache's
 * memory fallback, near cache, single flight ({@code sync = true}) and invalidation that holds
 * under concurrent loads. Made by {@link RatecacheCacheManager}.
 *
 * <p>An entry is {@code query:spring:<cache>:<key>}, its value {@code {"t":"<type>","v":<json>}}:
 * the value's run-time type is stored beside it (see {@code SpringCacheTypes}), so it reads back as
 * what was cached, and only classes of allowed packages are ever loaded from a stored entry. A value
 * that cannot be stored so (a class outside them, a collection mixing classes) is not cached: the
 * method's result is returned, a warning names the class and the setting, and the key is evicted so
 * an older value cannot be served in its place. An entry that cannot be read (a class renamed) is a
 * miss. {@link #clear()} is O(1): one new generation of the cache's namespace, for every instance.
 *
 * <p>Keys are their text: strings, numbers, enums, UUIDs and {@code java.time} values as they print,
 * several method arguments ({@link SimpleKey}) each escaped, so {@code ("a,b")} and {@code ("a","b")}
 * never share an entry; any other key class must have a {@code toString} of its own. Thread-safe.
 */
public final class RatecacheCache extends AbstractValueAdaptingCache {
  private static final Logger log = LoggerFactory.getLogger(RatecacheCache.class);
  /** The prefix of every entry of Spring's caches. */
  public static final String KEY_PREFIX = "query:spring:";
  private static final String NULL_TYPE = "null";
  private static final Field SIMPLE_KEY_PARAMS = simpleKeyParams();

  private final String name;
  private final String prefix;
  private final QueryCache cache;
  private final Duration ttl;
  private final SpringCacheTypes types;
  private final AtomicLong lastWarning = new AtomicLong(Long.MIN_VALUE / 2);

  RatecacheCache(String name, QueryCache cache, Duration ttl, boolean allowNullValues,
      SpringCacheTypes types) {
    super(allowNullValues);
    this.name = Objects.requireNonNull(name, "name");
    this.prefix = KEY_PREFIX + CacheKeys.escape(name) + ":";
    this.cache = Objects.requireNonNull(cache, "cache");
    this.ttl = Objects.requireNonNull(ttl, "ttl");
    this.types = types;
  }

  @Override
  public String getName() {
    return name;
  }

  /** The query cache underneath. */
  @Override
  public QueryCache getNativeCache() {
    return cache;
  }

  /** How long this cache's entries live. */
  public Duration ttl() {
    return ttl;
  }

  /** The Redis key of a cache key: {@code query:spring:<cache>:<key>}. */
  public String redisKey(Object key) {
    return prefix + keyText(key);
  }

  @Override
  protected Object lookup(Object key) {
    Optional<String> json = cache.getJson(redisKey(key));
    return json.isPresent() ? read(key, json.get()) : null;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(Object key, Callable<T> valueLoader) {
    String redisKey = redisKey(key);
    Object[] loaded = new Object[1];
    boolean[] ran = new boolean[1];
    QueryCache.Loader<String> load = () -> {
      T value;
      try {
        value = valueLoader.call();
      } catch (Exception e) {
        throw new ValueRetrievalException(key, valueLoader, e);
      }
      loaded[0] = value;
      ran[0] = true;
      return write(key, toStoreValue(value)); // the loader runs on this thread
    };
    String json = cache.getOrLoadJson(redisKey, ttl, load);
    if (ran[0]) {
      return (T) loaded[0];
    }
    Object stored = json == null ? null : read(key, json);
    if (stored == null) { // there, but unreadable: load it again
      try {
        T value = valueLoader.call();
        put(key, value);
        return value;
      } catch (Exception e) {
        throw new ValueRetrievalException(key, valueLoader, e);
      }
    }
    return (T) fromStoreValue(stored);
  }

  @Override
  public CompletableFuture<?> retrieve(Object key) {
    Object stored = lookup(key);
    if (stored == null) {
      return null;
    }
    return CompletableFuture.completedFuture(isAllowNullValues() ? toValueWrapper(stored)
        : fromStoreValue(stored));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> CompletableFuture<T> retrieve(Object key,
      Supplier<CompletableFuture<T>> valueLoader) {
    Object stored = lookup(key);
    if (stored != null) {
      return CompletableFuture.completedFuture((T) fromStoreValue(stored));
    }
    return valueLoader.get().thenApply(value -> {
      put(key, value);
      return value;
    });
  }

  @Override
  public void put(Object key, Object value) {
    String redisKey = redisKey(key);
    String json = write(key, toStoreValue(value));
    if (json == null) {
      cache.invalidate(redisKey); // not stored: an older value must not stand in for it
    } else {
      cache.putJson(redisKey, json, ttl);
    }
  }

  @Override
  public void evict(Object key) {
    cache.invalidate(redisKey(key));
  }

  @Override
  public boolean evictIfPresent(Object key) {
    return cache.invalidate(redisKey(key));
  }

  /** Every entry of this cache, for every instance, in O(1). */
  @Override
  public void clear() {
    cache.invalidateMatching(prefix + "*");
  }

  /** {@link #clear()}; whether entries were there is not known. */
  @Override
  public boolean invalidate() {
    clear();
    return false;
  }

  // ------------------------------------------------------------------ the stored form

  /** The stored text of a store value, or null (with a warning) if it cannot be stored. */
  private String write(Object key, Object storeValue) {
    Object value = fromStoreValue(storeValue);
    if (value == null) {
      return "{\"t\":\"" + NULL_TYPE + "\",\"v\":null}";
    }
    String type;
    try {
      type = types.describe(value);
    } catch (IllegalArgumentException e) {
      warn("Cache '" + name + "' does not store the value for key " + key + ": " + e.getMessage()
          + (e instanceof SpringCacheTypes.NotAllowed ? "; allow its package with"
              + " ratecache.spring-cache.allowed-packages (now " + types.packages() + ")" : ""),
          null);
      return null;
    }
    String json;
    try {
      json = cache.codec().encode(value);
    } catch (IllegalArgumentException e) {
      warn("Cache '" + name + "' cannot write the value for key " + key + " as JSON", e);
      return null;
    }
    return "{\"t\":\"" + type + "\",\"v\":" + json + "}";
  }

  /** The store value of stored text, or null (a miss, with a warning) if it cannot be read. */
  private Object read(Object key, String stored) {
    String head = "{\"t\":\"";
    int end = stored.indexOf('"', head.length());
    String mid = "\",\"v\":";
    if (!stored.startsWith(head) || end < 0 || !stored.startsWith(mid, end)
        || !stored.endsWith("}")) {
      warn("Cache '" + name + "' found an entry for key " + key + " it did not write; a miss",
          null);
      return null;
    }
    String type = stored.substring(head.length(), end);
    String json = stored.substring(end + mid.length(), stored.length() - 1);
    if (type.equals(NULL_TYPE)) {
      return isAllowNullValues() ? toStoreValue(null) : null;
    }
    try {
      Object value = cache.codec().decode(json, TypeToken.ofType(types.parse(type)));
      return value == null ? null : toStoreValue(value);
    } catch (IllegalArgumentException e) {
      warn("Cache '" + name + "' cannot read the entry for key " + key + " as " + type
          + "; a miss", e);
      return null;
    }
  }

  /** At most one warning per cache every 30 seconds: a bad entry read in a loop is one line. */
  private void warn(String message, Throwable cause) {
    long now = System.nanoTime();
    long last = lastWarning.get();
    if (now - last >= 30_000_000_000L && lastWarning.compareAndSet(last, now)) {
      log.warn(message + (cause == null ? "" : ": " + cause.getMessage()));
    }
  }

  // ------------------------------------------------------------------ keys

  /**
   * The text of a key, escaped: one text per key, and glob and separator characters in it never
   * act as such.
   *
   * @throws IllegalArgumentException if the key's class has no {@code toString} of its own
   */
  static String keyText(Object key) {
    if (key instanceof SimpleKey simple) {
      Object[] params = params(simple);
      if (params == null) {
        return CacheKeys.escape(simple.toString());
      }
      StringBuilder b = new StringBuilder("(");
      for (int i = 0; i < params.length; i++) {
        b.append(i == 0 ? "" : ",").append(CacheKeys.escape(text(params[i])));
      }
      return b.append(')').toString();
    }
    return CacheKeys.escape(text(key));
  }

  private static String text(Object key) {
    if (key == null) {
      return null;
    }
    if (key instanceof Object[] array) {
      return Arrays.deepToString(array);
    }
    if (key.getClass().isArray()) {
      return Arrays.deepToString(new Object[] {key});
    }
    if (key instanceof CharSequence || key instanceof Number || key instanceof Boolean
        || key instanceof Character || key instanceof Enum<?>) {
      return key.toString();
    }
    try {
      if (key.getClass().getMethod("toString").getDeclaringClass() == Object.class) {
        throw new IllegalArgumentException("A cache key of " + key.getClass().getName()
            + " has no toString of its own, so it cannot be a Redis key; give it one, or give"
            + " the annotation a key expression");
      }
    } catch (NoSuchMethodException impossible) {
      throw new IllegalStateException(impossible);
    }
    return key.toString();
  }

  private static Object[] params(SimpleKey key) {
    if (SIMPLE_KEY_PARAMS == null) {
      return null;
    }
    try {
      return (Object[]) SIMPLE_KEY_PARAMS.get(key);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  private static Field simpleKeyParams() {
    try {
      Field f = SimpleKey.class.getDeclaredField("params");
      f.setAccessible(true);
      return f;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null; // then the key's own text, which joins the arguments with commas
    }
  }
}
