package dev.ratecache.examples;

import dev.ratecache.examples.Model.Chat;
import dev.ratecache.examples.Model.Document;
import dev.ratecache.examples.Model.DocumentStats;
import dev.ratecache.examples.Model.Message;
import dev.ratecache.examples.Model.User;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's SQL database over plain JDBC: H2 in memory by default (seeded with alice and bob,
 * their chats, messages and documents), or any JDBC URL. Every query first waits
 * {@code latencyMillis}, so the effect of caching is visible. Thread-safe.
 */
public final class Database {
  private final String url;
  private final long latencyMillis;
  private final AtomicLong queries = new AtomicLong();

  private Database(String url, long latencyMillis) {
    this.url = url;
    this.latencyMillis = latencyMillis;
  }

  /** Opens the database, creating and seeding the schema if it is empty. */
  public static Database open(String url, long latencyMillis) throws SQLException {
    Database db = new Database(url, latencyMillis);
    try (Connection c = db.connection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS users (id INT PRIMARY KEY,"
          + " email VARCHAR(255) NOT NULL UNIQUE, name VARCHAR(255) NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS chats (id INT PRIMARY KEY, user_id INT NOT NULL,"
          + " title VARCHAR(255) NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS messages (id INT AUTO_INCREMENT PRIMARY KEY,"
          + " chat_id INT NOT NULL, author VARCHAR(255) NOT NULL, body VARCHAR(4000) NOT NULL,"
          + " created_at TIMESTAMP NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS documents (id INT PRIMARY KEY, user_id INT NOT NULL,"
          + " title VARCHAR(255) NOT NULL, size_bytes INT NOT NULL)");
      try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM users")) {
        rs.next();
        if (rs.getInt(1) == 0) {
          seed(s);
        }
      }
    }
    return db;
  }

  private static void seed(Statement s) throws SQLException {
    s.execute("INSERT INTO users VALUES (1, 'alice@example.com', 'Alice'),"
        + " (2, 'bob@example.com', 'Bob')");
    s.execute("INSERT INTO chats VALUES (1, 1, 'Trip planning'), (2, 1, 'Reading list'),"
        + " (3, 2, 'Recipes')");
    s.execute("INSERT INTO messages (chat_id, author, body, created_at) VALUES"
        + " (1, 'alice', 'Where should we go in May?', TIMESTAMP '2026-11-20 09:00:00'),"
        + " (1, 'assistant', 'Lisbon is lovely in May.', TIMESTAMP '2026-11-20 09:00:05'),"
        + " (2, 'alice', 'Recommend a book on distributed systems.', TIMESTAMP '2026-11-21 18:30:00'),"
        + " (3, 'bob', 'How long do I rest bread dough?', TIMESTAMP '2026-11-22 07:45:00')");
    s.execute("INSERT INTO documents VALUES (1, 1, 'Itinerary.pdf', 120000),"
        + " (2, 1, 'Packing list.txt', 2400), (3, 1, 'Visa form.pdf', 88000),"
        + " (4, 2, 'Sourdough notes.md', 5100)");
  }

  public Optional<User> userByEmail(String email) {
    return query("SELECT id, email, name FROM users WHERE email = ?", rs ->
        new User(rs.getInt(1), rs.getString(2), rs.getString(3)), email).stream().findFirst();
  }

  public List<User> users() {
    return query("SELECT id, email, name FROM users ORDER BY id", rs ->
        new User(rs.getInt(1), rs.getString(2), rs.getString(3)));
  }

  /** Renames a user; false if there is none with that email. */
  public boolean rename(String email, String name) {
    return update("UPDATE users SET name = ? WHERE email = ?", name, email) == 1;
  }

  public Optional<Chat> chat(int id) {
    return query("SELECT id, user_id, title FROM chats WHERE id = ?", rs ->
        new Chat(rs.getInt(1), rs.getInt(2), rs.getString(3)), id).stream().findFirst();
  }

  public List<Chat> chatsOf(int userId) {
    return query("SELECT id, user_id, title FROM chats WHERE user_id = ? ORDER BY id", rs ->
        new Chat(rs.getInt(1), rs.getInt(2), rs.getString(3)), userId);
  }

  public List<Message> messages(int chatId) {
    return query("SELECT id, chat_id, author, body, created_at FROM messages WHERE chat_id = ?"
        + " ORDER BY id", Database::message, chatId);
  }

  public Message addMessage(int chatId, String author, String body) {
    Instant now = Instant.now();
    update("INSERT INTO messages (chat_id, author, body, created_at) VALUES (?, ?, ?, ?)",
        chatId, author, body, Timestamp.from(now));
    List<Message> all = messages(chatId);
    return all.get(all.size() - 1);
  }

  public List<Document> documents(int userId, int limit) {
    return query("SELECT id, user_id, title, size_bytes FROM documents WHERE user_id = ?"
        + " ORDER BY id LIMIT ?", rs -> new Document(rs.getInt(1), rs.getInt(2),
        rs.getString(3), rs.getInt(4)), userId, limit);
  }

  public DocumentStats documentStats(int userId) {
    return query("SELECT COUNT(*), COALESCE(SUM(size_bytes), 0) FROM documents WHERE user_id = ?",
        rs -> new DocumentStats(userId, rs.getInt(1), rs.getLong(2)), userId).get(0);
  }

  /** Users and documents whose name or title contains {@code text}, case-insensitively. */
  public List<String> search(String text) {
    String like = "%" + text.toLowerCase(java.util.Locale.ROOT).replace("!", "!!").replace("%", "!%")
        .replace("_", "!_") + "%";
    List<String> hits = new ArrayList<>(query("SELECT email FROM users WHERE LOWER(name) LIKE ?"
        + " ESCAPE '!' ORDER BY id", rs -> "user:" + rs.getString(1), like));
    hits.addAll(query("SELECT title FROM documents WHERE LOWER(title) LIKE ? ESCAPE '!'"
        + " ORDER BY id", rs -> "document:" + rs.getString(1), like));
    return hits;
  }

  /** Queries run since start (to show what caching saves). */
  public long queryCount() {
    return queries.get();
  }

  private static Message message(ResultSet rs) throws SQLException {
    return new Message(rs.getInt(1), rs.getInt(2), rs.getString(3), rs.getString(4),
        rs.getTimestamp(5).toInstant());
  }

  /** Maps one row. */
  @FunctionalInterface
  private interface Row<T> {
    T map(ResultSet rs) throws SQLException;
  }

  private <T> List<T> query(String sql, Row<T> row, Object... args) {
    delay();
    try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      try (ResultSet rs = ps.executeQuery()) {
        List<T> out = new ArrayList<>();
        while (rs.next()) {
          out.add(row.map(rs));
        }
        return out;
      }
    } catch (SQLException e) {
      throw new IllegalStateException("Query failed: " + e.getMessage(), e);
    }
  }

  private int update(String sql, Object... args) {
    delay();
    try (Connection c = connection(); PreparedStatement ps = c.prepareStatement(sql)) {
      bind(ps, args);
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException("Update failed: " + e.getMessage(), e);
    }
  }

  private static void bind(PreparedStatement ps, Object... args) throws SQLException {
    for (int i = 0; i < args.length; i++) {
      ps.setObject(i + 1, args[i]);
    }
  }

  private void delay() {
    queries.incrementAndGet();
    if (latencyMillis > 0) {
      try {
        Thread.sleep(latencyMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private Connection connection() throws SQLException {
    return DriverManager.getConnection(url);
  }
}
