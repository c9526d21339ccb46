package dev.ratecache.examples;

import dev.ratecache.cache.CachedQuery;
import dev.ratecache.cache.InvalidatesCache;
import dev.ratecache.examples.Model.Chat;
import dev.ratecache.examples.Model.ChatRequest;
import dev.ratecache.examples.Model.Document;
import dev.ratecache.examples.Model.DocumentStats;
import dev.ratecache.examples.Model.Login;
import dev.ratecache.examples.Model.Message;
import dev.ratecache.examples.Model.Rename;
import dev.ratecache.examples.Model.User;
import dev.ratecache.ops.HealthCheck;
import dev.ratecache.ops.HealthReport;
import dev.ratecache.ratelimit.RateLimited;
import dev.ratecache.redis.RedisConnector;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The demo's JAX-RS resources: a small chat-and-documents API. */
public final class Resources {
  private Resources() {}

  static final int MAX_MESSAGE = 4000;

  /** Users: cached reads under {@code query:user:*}, invalidated by renames. */
  @Path("/api/users")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Users {
    private final Database db;

    @Inject
    public Users(Database db) {
      this.db = db;
    }

    @GET
    @Path("{email}")
    @CachedQuery(value = "query:user:email:{email}", shared = true)
    public User get(@PathParam("email") String email) {
      return db.userByEmail(email).orElseThrow(() -> Problems.notFound("No user " + email));
    }

    @PUT
    @Path("{email}")
    @Consumes(MediaType.APPLICATION_JSON)
    @InvalidatesCache("query:user:*")
    public User rename(@PathParam("email") String email, Rename body) {
      if (body == null || body.name() == null || body.name().isBlank()) {
        throw Problems.badRequest("Body must be {\"name\": \"…\"} with a non-empty name");
      }
      if (body.name().length() > 255) {
        throw Problems.badRequest("name must be at most 255 characters");
      }
      if (!db.rename(email, body.name().trim())) {
        throw Problems.notFound("No user " + email);
      }
      return db.userByEmail(email).orElseThrow();
    }

    @GET
    @Path("{userId}/chats")
    @CachedQuery(value = "query:chat:user:{userId}", shared = true)
    public List<Chat> chats(@PathParam("userId") int userId) {
      return db.chatsOf(userId);
    }
  }

  /** Chats and messages: {@code query:chat:*} and {@code query:messages:*}. */
  @Path("/api/chats")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Chats {
    private final Database db;

    @Inject
    public Chats(Database db) {
      this.db = db;
    }

    @GET
    @Path("{id}")
    // A missing chat's 404 is cached 30 s (a scanner's random ids reach the database once per
    // id and 30 s); past its TTL a chat is served stale for 60 s while one request refreshes it,
    // and for 10 minutes if the database fails meanwhile. Tagged chat:{id}, as its messages are:
    // a new message invalidates both with one write.
    @CachedQuery(value = "query:chat:id:{id}", shared = true, notFoundTtlSeconds = 30,
        staleWhileRevalidateSeconds = 60, staleIfErrorSeconds = 600, tags = "chat:{id}")
    public Chat chat(@PathParam("id") int id) {
      return db.chat(id).orElseThrow(() -> Problems.notFound("No chat " + id));
    }

    @GET
    @Path("{chatId}/messages")
    @CachedQuery(value = "query:messages:chat:{chatId}", shared = true, tags = "chat:{chatId}")
    public List<Message> messages(@PathParam("chatId") int chatId) {
      return db.messages(chatId);
    }

    @POST
    @Path("{chatId}/messages")
    @Consumes(MediaType.APPLICATION_JSON)
    @InvalidatesCache(tags = "chat:{chatId}") // the chat and its messages, on every instance
    public Response post(@PathParam("chatId") int chatId, ChatRequest body,
        @Context SecurityContext security) {
      String text = requireMessage(body);
      if (db.chat(chatId).isEmpty()) {
        throw Problems.notFound("No chat " + chatId);
      }
      Message m = db.addMessage(chatId, author(security), text);
      return Response.status(201).entity(m).build();
    }
  }

  /** Documents: {@code query:rag_document*} and {@code query:document_stats:*}. */
  @Path("/api/documents")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Documents {
    private final Database db;

    @Inject
    public Documents(Database db) {
      this.db = db;
    }

    @GET
    @CachedQuery(value = "query:rag_documents:user:{userId}:limit:{limit}", shared = true)
    public List<Document> list(@QueryParam("userId") Integer userId,
        @QueryParam("limit") @DefaultValue("10") int limit) {
      if (userId == null) {
        throw Problems.badRequest("userId is required");
      }
      if (limit < 1 || limit > 100) {
        throw Problems.badRequest("limit must be between 1 and 100");
      }
      return db.documents(userId, limit);
    }

    @GET
    @Path("stats")
    @CachedQuery(value = "query:document_stats:user:{userId}", shared = true)
    public DocumentStats stats(@QueryParam("userId") Integer userId) {
      if (userId == null) {
        throw Problems.badRequest("userId is required");
      }
      return db.documentStats(userId);
    }
  }

  /** The rate-limited actions: chat, login, upload and search. */
  @Path("/api")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Actions {
    private final Database db;

    @Inject
    public Actions(Database db) {
      this.db = db;
    }

    @POST
    @Path("chat")
    @Consumes(MediaType.APPLICATION_JSON)
    @RateLimited("chat")
    public Map<String, String> chat(ChatRequest body, @Context SecurityContext security) {
      String text = requireMessage(body);
      return Map.of("from", author(security), "reply", "You said: " + text);
    }

    @POST
    @Path("auth/login")
    @Consumes(MediaType.APPLICATION_JSON)
    @RateLimited("auth")
    public Map<String, String> login(Login body) {
      if (body == null || body.email() == null || body.email().isBlank()) {
        throw Problems.badRequest("Body must be {\"email\": \"…\"}");
      }
      User u = db.userByEmail(body.email().trim()).orElseThrow(() -> new jakarta.ws.rs
          .WebApplicationException(Problems.response(401, "Unauthorized", "Unknown user")));
      // Demo-only: the token is the user's name, sent back as "Authorization: Bearer <name>".
      String name = u.email().substring(0, u.email().indexOf('@'));
      return Map.of("token", name, "use", "Authorization: Bearer " + name);
    }

    @POST
    @Path("upload")
    @Consumes(MediaType.WILDCARD)
    @RateLimited("upload")
    public Map<String, Object> upload(byte[] content) {
      return Map.of("receivedBytes", content == null ? 0 : content.length);
    }

    @GET
    @Path("search")
    @RateLimited("search")
    public Map<String, Object> search(@QueryParam("q") String q) {
      if (q == null || q.isBlank()) {
        throw Problems.badRequest("q is required");
      }
      if (q.length() > 100) {
        throw Problems.badRequest("q must be at most 100 characters");
      }
      Map<String, Object> result = new LinkedHashMap<>();
      result.put("q", q);
      result.put("hits", db.search(q.trim()));
      return result;
    }
  }

  /** {@code GET /health}: UP on Redis, DEGRADED on the memory fallback. */
  @Path("/health")
  @Produces(MediaType.APPLICATION_JSON)
  public static final class Health {
    private final RedisConnector connector;

    @Inject
    public Health(RedisConnector connector) {
      this.connector = connector;
    }

    @GET
    public Map<String, Object> get() {
      HealthReport r = HealthCheck.check(connector);
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("status", r.status());
      body.put("backend", r.backend());
      body.put("since", r.since().toString());
      body.put("redis", r.endpoint());
      body.put("pingMillis", r.pingMillis());
      body.put("lastError", r.lastError());
      return body;
    }
  }

  static String requireMessage(ChatRequest body) {
    if (body == null || body.message() == null || body.message().isBlank()) {
      throw Problems.badRequest("Body must be {\"message\": \"…\"} with a non-empty message");
    }
    if (body.message().length() > MAX_MESSAGE) {
      throw Problems.badRequest("message must be at most " + MAX_MESSAGE + " characters");
    }
    return body.message();
  }

  static String author(SecurityContext security) {
    return security.getUserPrincipal() == null ? "anonymous"
        : security.getUserPrincipal().getName();
  }
}
