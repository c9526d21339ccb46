package dev.ratecache.cache;

import dev.ratecache.internal.Hashing;
import dev.ratecache.internal.KeySpace;
import java.nio.charset.StandardCharsets;

/**
 * The key namespaces of the library, as methods to call instead of hand-written strings.
 *
 * <p>Every value is passed through {@link #escape(String)}, so a value from a request can never act
 * as a glob character in an invalidation pattern, inject a {@code :} separator, or make two
 * different values share a key.
 */
public final class CacheKeys {
  /** Matches every cached user query. */
  public static final String USER_PATTERN = "query:user:*";
  /** Matches every cached chat query. */
  public static final String CHAT_PATTERN = "query:chat:*";
  /** Matches every cached message query. */
  public static final String MESSAGES_PATTERN = "query:messages:*";
  /** Matches every cached document list and document ({@code query:rag_document*}). */
  public static final String DOCUMENTS_PATTERN = "query:rag_document*";
  /** Matches every cached document statistic. */
  public static final String DOCUMENT_STATS_PATTERN = "query:document_stats:*";
  /** Matches every cached session and auth user. */
  public static final String AUTH_PATTERN = "auth:*";
  /** Matches every rate-limit bucket. */
  public static final String RATE_LIMIT_PATTERN = "rate_limit:*";
  /** Every namespace the library owns, for clearing without touching anything else. */
  public static final java.util.List<String> ALL_PATTERNS = java.util.List.of("query:*",
      AUTH_PATTERN, RATE_LIMIT_PATTERN);

  /** Values longer than this are replaced by a hash. */
  static final int MAX_VALUE_LENGTH = 128;

  private CacheKeys() {}

  /** {@code rate_limit:{key}}. */
  public static String rateLimit(String key) {
    return KeySpace.RATE_LIMIT + escape(key);
  }

  /** {@code query:user:email:{email}}. */
  public static String userByEmail(String email) {
    return "query:user:email:" + escape(email);
  }

  /** {@code query:chat:id:{id}}. */
  public static String chatById(String id) {
    return "query:chat:id:" + escape(id);
  }

  /** {@code query:chat:user:{userId}}. */
  public static String chatsByUser(String userId) {
    return "query:chat:user:" + escape(userId);
  }

  /** {@code query:messages:chat:{chatId}}. */
  public static String messagesByChat(String chatId) {
    return "query:messages:chat:" + escape(chatId);
  }

  /** {@code query:rag_documents:user:{userId}:limit:{limit}}. */
  public static String documentsByUser(String userId, int limit) {
    return "query:rag_documents:user:" + escape(userId) + ":limit:" + limit;
  }

  /** {@code query:rag_document:{id}:{userId}}. */
  public static String document(String id, String userId) {
    return "query:rag_document:" + escape(id) + ":" + escape(userId);
  }

  /** {@code query:document_stats:user:{userId}}. */
  public static String documentStats(String userId) {
    return "query:document_stats:user:" + escape(userId);
  }

  /** {@code auth:session:{sessionId}}. */
  public static String authSession(String sessionId) {
    return "auth:session:" + escape(sessionId);
  }

  /** {@code auth:user:{userId}}. */
  public static String authUser(String userId) {
    return "auth:user:" + escape(userId);
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
