package dev.ratecache.cache;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.SettingValues;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Time-to-live per cache category; an immutable value. Defaults: user queries 300 s, chat 180 s,
 * messages 120 s, documents 60 s, document statistics 30 s, auth 900 s, anything else 60 s. Each
 * can be overridden in code or by {@code CACHE_TTL_<CATEGORY>} (seconds) in the environment.
 */
public final class CacheTtl {
  public static final String USER = "user";
  public static final String CHAT = "chat";
  public static final String MESSAGES = "messages";
  public static final String DOCUMENTS = "documents";
  public static final String DOCUMENT_STATS = "document_stats";
  public static final String AUTH = "auth";
  public static final String OTHER = "other";

  private final Map<String, Duration> ttls;

  private CacheTtl(Map<String, Duration> ttls) {
    this.ttls = Map.copyOf(ttls);
  }

  /** The defaults. */
  public static CacheTtl defaults() {
    return builder().build();
  }

  /** A builder starting from the defaults. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The defaults overridden by {@code CACHE_TTL_USER}, {@code CACHE_TTL_CHAT}, … (whole seconds).
   *
   * @throws ConfigurationException naming the variable if a value is malformed
   */
  public static CacheTtl fromLookup(Function<String, String> lookup) {
    Builder b = builder();
    for (String category : b.ttls.keySet().toArray(String[]::new)) {
      String name = "CACHE_TTL_" + category.toUpperCase(Locale.ROOT);
      String v = lookup.apply(name);
      if (v != null && !v.isBlank()) {
        b.ttl(category, SettingValues.seconds(name, v), name);
      }
    }
    return b.build();
  }

  /** The TTL of {@code category}, or of {@code other} if the category is unknown. */
  public Duration of(String category) {
    Duration d = ttls.get(category);
    return d != null ? d : ttls.get(OTHER);
  }

  /** The TTL for a key, by its {@link CacheKeys#category(String) category}. */
  public Duration forKey(String key) {
    return of(CacheKeys.category(key));
  }

  /** Whether {@code category} is known. */
  public boolean has(String category) {
    return ttls.containsKey(category);
  }

  /** Every category and its TTL. */
  public Map<String, Duration> asMap() {
    return ttls;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CacheTtl t && ttls.equals(t.ttls);
  }

  @Override
  public int hashCode() {
    return Objects.hash(ttls);
  }

  @Override
  public String toString() {
    return "CacheTtl" + ttls;
  }

  /** Builds a {@link CacheTtl}. Not thread-safe. */
  public static final class Builder {
    private final Map<String, Duration> ttls = new LinkedHashMap<>();

    private Builder() {
      ttls.put(USER, Duration.ofSeconds(300));
      ttls.put(CHAT, Duration.ofSeconds(180));
      ttls.put(MESSAGES, Duration.ofSeconds(120));
      ttls.put(DOCUMENTS, Duration.ofSeconds(60));
      ttls.put(DOCUMENT_STATS, Duration.ofSeconds(30));
      ttls.put(AUTH, Duration.ofSeconds(900));
      ttls.put(OTHER, Duration.ofSeconds(60));
    }

    /** Sets (or adds) a category's TTL; at least one millisecond. */
    public Builder ttl(String category, Duration ttl) {
      return ttl(category, ttl, "ttl(" + category + ")");
    }

    private Builder ttl(String category, Duration ttl, String setting) {
      if (category == null || !category.matches("[a-z][a-z0-9_]{0,31}")) {
        throw new ConfigurationException(setting, "category must be lower-case letters, digits"
            + " and '_', got '" + category + "'");
      }
      if (ttl == null || ttl.toMillis() < 1) {
        throw new ConfigurationException(setting, "must be at least 1 ms, got " + ttl);
      }
      ttls.put(category, ttl);
      return this;
    }

    public CacheTtl build() {
      return new CacheTtl(ttls);
    }
  }
}
