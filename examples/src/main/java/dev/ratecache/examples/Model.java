package dev.ratecache.examples;

import java.time.Instant;

/** The demo's rows and request bodies, as records (they round-trip through the cache as JSON). */
public final class Model {
  private Model() {}

  public record User(int id, String email, String name) {}

  public record Chat(int id, int userId, String title) {}

  public record Message(int id, int chatId, String author, String body, Instant createdAt) {}

  public record Document(int id, int userId, String title, int sizeBytes) {}

  public record DocumentStats(int userId, int documents, long totalBytes) {}

  /** {@code PUT /api/users/{email}}. */
  public record Rename(String name) {}

  /** {@code POST /api/chat} and {@code POST /api/chats/{id}/messages}. */
  public record ChatRequest(String message) {}

  /** {@code POST /api/auth/login}. */
  public record Login(String email) {}
}
