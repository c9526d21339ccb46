package dev.ratecache.redis;

import java.util.List;
import java.util.Objects;

/**
 * What changed on some instance, so that every instance holding a copy (a near-cache entry, a
 * remembered bucket state or rejection) drops it. Published and heard through {@link
 * RedisEvents}; on the wire, a kind and an argument (see {@link EventCodec}), unchanged since
 * events were strings, so instances of both versions understand each other.
 */
public sealed interface Invalidation {
  /** One key whose value changed or went away. */
  record Key(String key) implements Invalidation {
    public Key {
      Objects.requireNonNull(key, "key");
    }
  }

  /** Several keys that changed (published in batches of up to 1,000). */
  record Keys(List<String> keys) implements Invalidation {
    public Keys {
      keys = List.copyOf(keys);
    }
  }

  /** Every key matching the glob {@code pattern} was removed. */
  record Pattern(String pattern) implements Invalidation {
    public Pattern {
      Objects.requireNonNull(pattern, "pattern");
    }
  }

  /**
   * The cache namespace {@code namespace} moved to {@code generation}: every entry of it written
   * before is invalid.
   */
  /**
   * Every entry carrying a cache tag is invalid ({@code QueryCache.invalidateTag}); {@code tag}
   * is the tag's stored name.
   *
   * @param tag the tag's stored name
   */
  record Tag(String tag) implements Invalidation {
    public Tag {
      Objects.requireNonNull(tag, "tag");
    }
  }

  record Generation(String namespace, long generation) implements Invalidation {
    public Generation {
      Objects.requireNonNull(namespace, "namespace");
    }
  }
}
