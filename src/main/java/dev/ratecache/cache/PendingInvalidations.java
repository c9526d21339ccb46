package dev.ratecache.cache;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Invalidations this instance could not write to Redis (Redis down, or the cluster master of the
 * key failing), kept until they can be: otherwise the entry Redis still holds would be served
 * again, on every instance, as soon as its master serves (a replica promoted in its place holds
 * it too). Three kinds: a key, every user variant of a shared key, and a tag. {@link CacheStores} writes
 * them when the connector's health turns UP, when a failing master's keys use Redis again, and,
 * for a key, before this instance next reads it from Redis.
 *
 * <p>Each entry carries a token: a writer removes an entry only if it still holds the token it
 * wrote, so an invalidation kept again while an earlier one of the same key was being written is
 * never lost. Bounded: at most {@value #MAX} entries of each kind; past that {@link #keep}
 * refuses, and the caller invalidates the key's namespace instead (more than asked, never less).
 * Thread-safe.
 */
final class PendingInvalidations {
  static final int MAX = 10_000;

  /** What is kept: a key, the user variants of a shared key, or a tag (see {@link Tags}). */
  enum Kind { KEY, VARIANTS, TAG }

  /** One kept invalidation, as {@link #snapshot} lists it. */
  record Entry(Kind kind, String key, Object token) {}

  private final ConcurrentHashMap<String, Object> keys = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Object> variants = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Object> tags = new ConcurrentHashMap<>();

  /** The entries of one kind (fields, not a map keyed by the enum's identity hash). */
  private ConcurrentHashMap<String, Object> map(Kind kind) {
    return kind == Kind.KEY ? keys : kind == Kind.VARIANTS ? variants : tags;
  }

  /**
   * Keeps the invalidation of {@code key} for later.
   *
   * @return false if {@value #MAX} of this kind are kept already (nothing kept)
   */
  boolean keep(Kind kind, String key) {
    ConcurrentHashMap<String, Object> map = map(kind);
    if (map.size() >= MAX && !map.containsKey(key)) {
      return false;
    }
    map.put(key, new Object());
    return true;
  }

  /** The token of a kept invalidation of {@code key}, or {@code null}: cheap when none is kept. */
  Object token(Kind kind, String key) {
    ConcurrentHashMap<String, Object> map = map(kind);
    return map.isEmpty() ? null : map.get(key);
  }

  /** The invalidation kept with {@code token} was written: forget it (unless kept again since). */
  void written(Kind kind, String key, Object token) {
    if (token != null) {
      map(kind).remove(key, token);
    }
  }

  boolean isEmpty() {
    return keys.isEmpty() && variants.isEmpty() && tags.isEmpty();
  }

  /** How many are kept. */
  int size() {
    return keys.size() + variants.size() + tags.size();
  }

  /** Every kept invalidation, keys first. */
  List<Entry> snapshot() {
    List<Entry> out = new java.util.ArrayList<>(size());
    for (Kind kind : Kind.values()) {
      map(kind).forEach((k, token) -> out.add(new Entry(kind, k, token)));
    }
    return out;
  }
}
