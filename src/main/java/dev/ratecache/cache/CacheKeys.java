package dev.ratecache.cache;

import dev.ratecache.internal.Hashing;
import dev.ratecache.internal.KeySpace;
import java.nio.charset.StandardCharsets;

/**
 * Keys the library understands: escaping of values ({@link #escape}), the TTL category of a key
 * ({@link #category}), rate-limit keys and the namespaces the library owns. The documented key
 * scheme for users, chats, messages, documents and sessions is {@link DefaultKeyScheme}.
 *
 * <p>Every value is passed through {@link #escape(String)}, so a value from a request can never act
 * as a glob character in an invalidation pattern, inject a {@code :} separator, or make two
 * different values share a key.
 */
public final class CacheKeys {
  /** Matches every cached session and auth user. */
  public static final String AUTH_PATTERN = KeySpace.AUTH + "*";
  /** Matches every rate-limit bucket. */
  public static final String RATE_LIMIT_PATTERN = KeySpace.RATE_LIMIT + "*";
  /**
   * Every namespace of cached data and buckets, for clearing without touching anything else
   * (made from {@code KeySpace}, the one list of the library's prefixes).
   */
  public static final java.util.List<String> ALL_PATTERNS = java.util.List.of(
      KeySpace.QUERY + "*", AUTH_PATTERN, RATE_LIMIT_PATTERN);

  /** Values longer than this are replaced by a hash. */
  static final int MAX_VALUE_LENGTH = 128;

  private CacheKeys() {}

  /**
   * The Redis key of a client's bucket in a profile, exactly as the limiter writes it: {@code
   * rate_limit:{profile}:{client}}, where {@code client} is a key the limiter resolved (as {@code
   * RateLimitDecision.clientKey()} shows it, such as {@code ip:203.0.113.7}). Not escaped: the
   * limiter's client keys are already safe, and hash anything that is not.
   */
  public static String rateLimit(String profile, String clientKey) {
    return KeySpace.RATE_LIMIT + profile + ":" + clientKey;
  }

  /**
   * The TTL category a key belongs to: {@code user}, {@code chat}, {@code messages},
   * {@code documents}, {@code document_stats}, {@code auth}, {@code rate_limit} or {@code other}.
   */
  public static String category(String key) {
    if (key.startsWith("query:user:")) {
      return CacheTtl.USER;
    }
    if (key.startsWith("query:chat:")) {
      return CacheTtl.CHAT;
    }
    if (key.startsWith("query:messages:")) {
      return CacheTtl.MESSAGES;
    }
    if (key.startsWith("query:rag_document")) {
      return CacheTtl.DOCUMENTS;
    }
    if (key.startsWith("query:document_stats:")) {
      return CacheTtl.DOCUMENT_STATS;
    }
    if (key.startsWith(KeySpace.AUTH)) {
      return CacheTtl.AUTH;
    }
    if (key.startsWith(KeySpace.RATE_LIMIT)) {
      return "rate_limit";
    }
    return CacheTtl.OTHER;
  }

  /**
   * Makes a value safe inside a key: bytes outside {@code [A-Za-z0-9._@+-]} become {@code %XX}
   * (so {@code * ? [ ] \ :} and {@code %} itself are always encoded and the mapping is
   * one-to-one), and values longer than 128 characters become {@code ~} and a hash.
   */
  public static String escape(String value) {
    if (value == null) {
      return "%00null";
    }
    if (value.length() > MAX_VALUE_LENGTH) {
      return "~" + hash(value);
    }
    StringBuilder b = new StringBuilder(value.length());
    for (byte raw : value.getBytes(StandardCharsets.UTF_8)) {
      int c = raw & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
          || c == '.' || c == '_' || c == '@' || c == '+' || c == '-') {
        b.append((char) c);
      } else {
        b.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
    }
    return b.toString();
  }

  static String hash(String value) {
    return hash(value.getBytes(StandardCharsets.UTF_8));
  }

  /** SHA-256 of {@code bytes}, base64url without padding. */
  static String hash(byte[] bytes) {
    return Hashing.sha256(bytes);
  }
}
