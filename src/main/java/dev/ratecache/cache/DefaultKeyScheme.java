package dev.ratecache.cache;

import dev.ratecache.internal.KeySpace;

/**
 * The documented default key scheme (the one the library was first written for: users, chats,
 * messages, RAG documents and their statistics, sessions), as methods to call instead of
 * hand-written strings. Its keys fall into the default {@link CacheTtl} categories ({@code user},
 * {@code chat}, {@code messages}, {@code documents}, {@code document_stats}, {@code auth}); an
 * application with other data names its own keys under {@code query:<category>:} with {@link
 * CacheKeys#escape} and its own categories.
 *
 * <p>Every value is passed through {@link CacheKeys#escape(String)}, so a value from a request
 * can never act as a glob character in an invalidation pattern, inject a {@code :} separator, or
 * make two different values share a key.
 */
public final class DefaultKeyScheme {
  /** Matches every cached user query. */
  public static final String USER_PATTERN = KeySpace.QUERY + "user:*";
  /** Matches every cached chat query. */
  public static final String CHAT_PATTERN = KeySpace.QUERY + "chat:*";
  /** Matches every cached message query. */
  public static final String MESSAGES_PATTERN = KeySpace.QUERY + "messages:*";
  /** Matches every cached document list and document ({@code query:rag_document*}). */
  public static final String DOCUMENTS_PATTERN = KeySpace.QUERY + "rag_document*";
  /** Matches every cached document statistic. */
  public static final String DOCUMENT_STATS_PATTERN = KeySpace.QUERY + "document_stats:*";

  private DefaultKeyScheme() {}

  /** {@code query:user:email:{email}}. */
  public static String userByEmail(String email) {
    return KeySpace.QUERY + "user:email:" + CacheKeys.escape(email);
  }

  /** {@code query:chat:id:{id}}. */
  public static String chatById(String id) {
    return KeySpace.QUERY + "chat:id:" + CacheKeys.escape(id);
  }

  /** {@code query:chat:user:{userId}}. */
  public static String chatsByUser(String userId) {
    return KeySpace.QUERY + "chat:user:" + CacheKeys.escape(userId);
  }

  /** {@code query:messages:chat:{chatId}}. */
  public static String messagesByChat(String chatId) {
    return KeySpace.QUERY + "messages:chat:" + CacheKeys.escape(chatId);
  }

  /** {@code query:rag_documents:user:{userId}:limit:{limit}}. */
  public static String documentsByUser(String userId, int limit) {
    return KeySpace.QUERY + "rag_documents:user:" + CacheKeys.escape(userId) + ":limit:" + limit;
  }

  /** {@code query:rag_document:{id}:{userId}}. */
  public static String document(String id, String userId) {
    return KeySpace.QUERY + "rag_document:" + CacheKeys.escape(id) + ":" + CacheKeys.escape(userId);
  }

  /** {@code query:document_stats:user:{userId}}. */
  public static String documentStats(String userId) {
    return KeySpace.QUERY + "document_stats:user:" + CacheKeys.escape(userId);
  }

  /** {@code auth:session:{sessionId}}. */
  public static String authSession(String sessionId) {
    return KeySpace.AUTH + "session:" + CacheKeys.escape(sessionId);
  }

  /** {@code auth:user:{userId}}. */
  public static String authUser(String userId) {
    return KeySpace.AUTH + "user:" + CacheKeys.escape(userId);
  }
}
