package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.BearerAuthFilter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.NewCookie;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** @CachedQuery and @InvalidatesCache through real Jetty + Jersey against a real redis-server. */
class CachedQueryFeatureIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
  static final Map<String, String> NAMES = new ConcurrentHashMap<>();

  static int calls(String name) {
    return CALLS.computeIfAbsent(name, k -> new AtomicInteger()).get();
  }

  static void called(String name) {
    CALLS.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
  }

  /** The resources under test. */
  @Path("/api")
  @Produces(MediaType.APPLICATION_JSON)
  public static class Api {
    @GET
    @Path("users/{email}")
    @CachedQuery(value = "query:user:email:{email}", shared = true)
    public Map<String, String> user(@PathParam("email") String email) {
      called("user");
      return Map.of("email", email, "name", NAMES.getOrDefault(email, "?"));
    }

    @PUT
    @Path("users/{email}")
    @InvalidatesCache("query:user:*")
    public Map<String, String> rename(@PathParam("email") String email, Map<String, String> body) {
      NAMES.put(email, body.get("name"));
      return Map.of("email", email, "name", body.get("name"));
    }

    @DELETE
    @Path("users/{email}")
    @InvalidatesCache("query:user:email:{email}")
    public Response forget(@PathParam("email") String email) {
      return Response.noContent().build();
    }

    @GET
    @Path("docs")
    @CachedQuery("query:rag_documents:user:{userId}:limit:{limit}")
    public Map<String, Object> docs(@QueryParam("userId") String userId,
        @QueryParam("limit") int limit) {
      called("docs");
      return Map.of("userId", userId, "limit", limit);
    }

    @GET
    @Path("me")
    @CachedQuery("query:user:me")
    public Map<String, String> me(@Context SecurityContext security) {
      called("me");
      return Map.of("name", security.getUserPrincipal() == null ? "anonymous"
          : security.getUserPrincipal().getName());
    }

    @GET
    @Path("chats/{id}")
    @CachedQuery("query:chat:id:{id}")
    public Map<String, String> chat(@PathParam("id") String id, @Context SecurityContext security) {
      called("chat");
      return Map.of("id", id, "viewer", security.getUserPrincipal() == null ? "anonymous"
          : security.getUserPrincipal().getName());
    }

    @GET
    @Path("private/{id}")
    @CachedQuery(value = "query:chat:private:{id}", shared = true)
    public Response privateToItsUser(@PathParam("id") String id,
        @Context SecurityContext security) {
      called("private");
      jakarta.ws.rs.core.CacheControl cc = new jakarta.ws.rs.core.CacheControl();
      cc.setPrivate(true);
      return Response.ok(Map.of("owner", name(security))).cacheControl(cc).build();
    }

    @GET
    @Path("vary/{id}")
    @CachedQuery(value = "query:chat:vary:{id}", shared = true)
    public Response byLanguage(@PathParam("id") String id,
        @jakarta.ws.rs.HeaderParam("Accept-Language") String language) {
      called("vary");
      return Response.ok(Map.of("greeting", "fr".equals(language) ? "bonjour" : "hello"))
          .header("Vary", "Accept-Language").build();
    }

    @GET
    @Path("mine/{id}")
    @CachedQuery("query:chat:mine:{id}")
    public Response mine(@PathParam("id") String id, @Context SecurityContext security) {
      called("mine");
      return Response.ok(Map.of("owner", name(security)))
          .header("Cache-Control", "private, max-age=60").build();
    }

    @GET
    @Path("typed/{id}")
    @CachedQuery(value = "query:chat:typed:{id}", shared = true)
    @Produces("application/vnd.ratecache+json")
    public Response typed(@PathParam("id") String id) {
      called("typed");
      return Response.ok(Map.of("id", id)).header("Cache-Control", "public, max-age=30")
          .header("Content-Language", "fr").build();
    }

    private static String name(SecurityContext security) {
      return security.getUserPrincipal() == null ? "anonymous"
          : security.getUserPrincipal().getName();
    }

    @GET
    @Path("numbered/{id}")
    @CachedQuery(value = "query:chat:id:{id}", shared = true)
    public Map<String, Object> numbered(@PathParam("id") long id,
        @QueryParam("page") @jakarta.ws.rs.DefaultValue("1") int page) {
      called("numbered");
      return Map.of("id", id, "page", page);
    }

    @POST
    @Path("numbered/{id}")
    @InvalidatesCache("query:chat:id:{id}")
    public Map<String, Object> touchNumbered(@PathParam("id") long id) {
      return Map.of("id", id);
    }

    @POST
    @Path("chats/{id}")
    @InvalidatesCache("query:chat:id:{id}")
    public Map<String, String> renameChat(@PathParam("id") String id) {
      return Map.of("id", id);
    }

    @GET
    @Path("cookie")
    @CachedQuery("query:chat:cookie")
    public Response cookie() {
      called("cookie");
      return Response.ok(Map.of("a", 1)).cookie(new NewCookie.Builder("s").value("1").build())
          .build();
    }

    @GET
    @Path("nostore")
    @CachedQuery("query:chat:nostore")
    public Response noStore() {
      called("nostore");
      return Response.ok(Map.of("a", 1)).header("Cache-Control", "no-store").build();
    }

    @GET
    @Path("missing")
    @CachedQuery("query:chat:missing")
    public Response missing() {
      called("missing");
      return Response.status(404).entity(Map.of("error", "nope")).build();
    }

    @GET
    @Path("big")
    @CachedQuery("query:chat:big")
    public Map<String, String> big() {
      called("big");
      return Map.of("blob", "x".repeat(1_100_000));
    }
  }

  /** Names a template variable the method does not have. */
  @Path("/broken")
  public static class Broken {
    @GET
    @CachedQuery("query:user:email:{email}")
    public String get(@QueryParam("mail") String mail) {
      return "";
    }
  }

  @Path("/badtag")
  public static class BadTag {
    @GET
    @Path("{id}")
    @CachedQuery(value = "query:chat:id:{id}", tags = "chat:{nope}")
    public String get(@PathParam("id") String id) {
      return "";
    }
  }

  @Path("/patterntag")
  public static class PatternTag {
    @GET
    @Path("{id}")
    @CachedQuery(value = "query:chat:id:{id}", tags = "chat:*")
    public String get(@PathParam("id") String id) {
      return "";
    }
  }

  @Path("/notag")
  public static class NothingToInvalidate {
    @jakarta.ws.rs.POST
    @InvalidatesCache
    public String post() {
      return "";
    }
  }

  /** A slow query: the first call of each key blocks until the test releases it. */
  @Path("/slow")
  @Produces(MediaType.APPLICATION_JSON)
  public static class Slow {
    static final Map<String, java.util.concurrent.CountDownLatch> GATES =
        new ConcurrentHashMap<>();

    @GET
    @Path("{id}")
    @CachedQuery(value = "query:chat:slow:{id}", shared = true)
    public Map<String, String> get(@PathParam("id") String id) throws InterruptedException {
      int call = CALLS.computeIfAbsent("slow:" + id, k -> new AtomicInteger()).incrementAndGet();
      if (call == 1) {
        GATES.computeIfAbsent(id, k -> new java.util.concurrent.CountDownLatch(1)).await();
      }
      return Map.of("id", id, "call", String.valueOf(call));
    }
  }

  /** A key in no documented namespace, with no TTL given. */
  @Path("/reports")
  public static class NoCategory {
    @GET
    @CachedQuery("reports:{id}")
    public String get(@QueryParam("id") String id) {
      return "";
    }
  }

  /** A category that does not exist. */
  @Path("/reports")
  public static class UnknownCategory {
    @GET
    @CachedQuery(value = "reports:{id}", category = "reportz")
    public String get(@QueryParam("id") String id) {
      return "";
    }
  }

  /** A TTL that is not one. */
  @Path("/reports")
  public static class ZeroTtl {
    @GET
    @CachedQuery(value = "reports:{id}", ttlSeconds = 0)
    public String get(@QueryParam("id") String id) {
      return "";
    }
  }

  /** Explicitly the default category: fine. */
  @Path("/reports")
  public static class OtherCategory {
    @GET
    @CachedQuery(value = "reports:{id}", category = "other")
    public String get(@QueryParam("id") String id) {
      return "";
    }
  }

  private RedisConnector connector;
  private QueryCache cache;
  private JettyApp app;

  @BeforeEach
  void start() throws Exception {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    CALLS.clear();
    NAMES.clear();
    NAMES.put("alice@example.com", "Alice");
    connector = RedisConnector.create(TestRedis.settings(redis).build());
    cache = QueryCache.builder().connector(connector).build();
    app = JettyApp.start(context(Api.class));
  }

  private ServletContextHandler context(Class<?> resource) {
    ResourceConfig config = new ResourceConfig(resource)
        .register(JacksonFeature.class)
        .register(new CachedQueryFeature(cache));
    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder(new BearerAuthFilter()), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    ServletHolder jersey = new ServletHolder(new ServletContainer(config));
    jersey.setInitOrder(1);
    context.addServlet(jersey, "/*");
    return context;
  }

  @AfterEach
  void stop() throws Exception {
    app.close();
    cache.close();
    connector.close();
  }

  @Test
  void missThenHitWithTheResourceInvokedOnceAndTheValueInRedis() throws Exception {
    long sent = System.nanoTime();
    HttpResponse<String> miss = app.send("GET", "/api/users/alice@example.com");
    assertThat(miss.statusCode()).isEqualTo(200);
    assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
    String etag = miss.headers().firstValue("ETag").orElseThrow();
    assertThat(etag).matches("\"[A-Za-z0-9_-]{22}\"");

    HttpResponse<String> hit = app.send("GET", "/api/users/alice@example.com");
    assertThat(hit.statusCode()).isEqualTo(200);
    assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(hit.headers().firstValue("ETag")).hasValue(etag);
    assertThat(hit.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/json");
    assertThat(hit.body()).isEqualTo(miss.body());
    assertThat(calls("user")).isEqualTo(1);

    String key = "query:user:email:alice@example.com";
    assertThat(redis.<String>withClient(j -> j.get(key))).isEqualTo(miss.body());
    // What is left of 300 s: less by no more than the time since the request, however slow.
    long ttl = redis.<Long>withClient(j -> j.pttl(key));
    assertThat(ttl).isBetween(300_000L - millisSince(sent), 300_000L);
    assertThat(cache.stats().categories().get("user").hits()).isEqualTo(1);
    assertThat(cache.stats().categories().get("user").misses()).isEqualTo(1);
  }

  @Test
  void ifNoneMatchGets304WithoutInvokingTheResource() throws Exception {
    String etag = app.send("GET", "/api/users/alice@example.com").headers().firstValue("ETag")
        .orElseThrow();
    HttpResponse<String> notModified =
        app.send("GET", "/api/users/alice@example.com", "If-None-Match", etag);
    assertThat(notModified.statusCode()).isEqualTo(304);
    assertThat(notModified.headers().firstValue("ETag")).hasValue(etag);
    assertThat(notModified.body()).isEmpty();
    HttpResponse<String> changed =
        app.send("GET", "/api/users/alice@example.com", "If-None-Match", "\"other\"");
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(calls("user")).isEqualTo(1);
  }

  @Test
  void malformedValidatorsAreIgnoredOnMissAndHitWithoutAnErrorOrALogLine() throws Exception {
    String[][] validators = {
        {"If-None-Match", "abc"}, {"If-None-Match", "\"unterminated"}, {"If-None-Match", "W/"},
        {"If-None-Match", "\"a\", b"}, {"If-Match", "\"x"}, {"If-Match", "abc, \"d"},
        {"If-None-Match", ""}, {"If-None-Match", "\"\u00e9\""}, {"If-Match", "W/abc"},
    };
    app.send("GET", "/api/users/warm@example.com"); // the lazy Redis client says hello once
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    java.io.PrintStream stderr = System.err;
    System.setErr(new java.io.PrintStream(log, true, StandardCharsets.UTF_8)); // slf4j-simple
    try {
      int i = 0;
      for (String[] v : validators) {
        for (int repeat = 0; repeat < 2; repeat++) { // a MISS (new key), then a HIT
          HttpResponse<String> r = app.send("GET", "/api/users/u" + i + "@example.com", v);
          assertThat(r.statusCode()).as("%s: %s (%s)", v[0], v[1], repeat == 0 ? "miss" : "hit")
              .isEqualTo(200);
          assertThat(r.headers().firstValue("X-Cache")).hasValue(repeat == 0 ? "MISS" : "HIT");
        }
        i++;
      }
    } finally {
      System.setErr(stderr);
    }
    assertThat(log.toString(StandardCharsets.UTF_8)).as("logged while serving them").isEmpty();
    assertThat(calls("user")).isEqualTo(validators.length + 1);
  }

  @Test
  void keysAreBuiltFromTheValuesTheMethodReceives() throws Exception {
    assertThat(app.send("GET", "/api/numbered/01").headers().firstValue("X-Cache"))
        .hasValue("MISS");
    for (String spelling : new String[] {"1", "001", "+1", "%2B1"}) {
      assertThat(app.send("GET", "/api/numbered/" + spelling).headers().firstValue("X-Cache"))
          .as("/api/numbered/%s is the entry of id 1", spelling).hasValue("HIT");
    }
    assertThat(calls("numbered")).isEqualTo(1);
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("query:*")))
        .containsExactly("query:chat:id:1");
    assertThat(app.send("POST", "/api/numbered/0001").statusCode()).isEqualTo(200);
    assertThat(app.send("GET", "/api/numbered/1").headers().firstValue("X-Cache"))
        .as("a write through another spelling invalidated it").hasValue("MISS");
    assertThat(app.send("GET", "/api/numbered/abc").statusCode()).isEqualTo(404);
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("query:*")))
        .as("no key for a value the method cannot take").containsExactly("query:chat:id:1");
  }

  @Test
  void queryParametersFormTheDocumentedKeyAndTtl() throws Exception {
    long sent = System.nanoTime();
    app.send("GET", "/api/docs?userId=7&limit=10");
    app.send("GET", "/api/docs?userId=7&limit=10");
    app.send("GET", "/api/docs?userId=7&limit=20");
    assertThat(calls("docs")).isEqualTo(2);
    long ttl = redis.<Long>withClient(j -> j.pttl("query:rag_documents:user:7:limit:10"));
    assertThat(ttl).isBetween(60_000L - millisSince(sent), 60_000L);
  }

  @Test
  void aSuccessfulUpdateInvalidatesByPatternAndTheNextReadSeesIt() throws Exception {
    app.send("GET", "/api/users/alice@example.com");
    redis.withClient(j -> j.set("query:chat:id:1", "keep"));
    long scans = redis.commandCalls("scan");
    HttpResponse<String> put = app.sendBody("PUT", "/api/users/alice@example.com",
        "{\"name\":\"Alicia\"}", "Content-Type", "application/json");
    assertThat(put.statusCode()).isEqualTo(200);
    assertThat(redis.commandCalls("scan")).as("no keyspace scan on the request").isEqualTo(scans);
    assertThat(redis.<String>withClient(j -> j.get("query:chat:id:1"))).isEqualTo("keep");
    HttpResponse<String> after = app.send("GET", "/api/users/alice@example.com");
    assertThat(after.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(after.body()).contains("Alicia");
    assertThat(calls("user")).isEqualTo(2);
  }

  @Test
  void aBurstOfPatternInvalidationsOverABigKeyspaceCostsRedisNothingBig() throws Exception {
    redis.withClient(j -> j.sendCommand(() -> "DEBUG".getBytes(StandardCharsets.US_ASCII),
        "POPULATE", "300000", "unrelated"));
    List<String> emails = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      emails.add("user" + i + "@example.com");
      app.send("GET", "/api/users/" + emails.get(i));
    }
    List<dev.ratecache.redis.RedisHealth.Transition> transitions =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    connector.health().onTransition(transitions::add);
    long outages = connector.health().snapshot().outages();
    long scans = redis.commandCalls("scan");
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(50);
    try {
      List<java.util.concurrent.Future<HttpResponse<String>>> puts = new java.util.ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String email = emails.get(i % emails.size());
        puts.add(pool.submit(() -> app.sendBody("PUT", "/api/users/" + email,
            "{\"name\":\"N\"}", "Content-Type", "application/json")));
      }
      for (var put : puts) {
        assertThat(put.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      }
    } finally {
      pool.shutdownNow();
    }
    // The outage count is exact at once; listeners hear later, so both are checked.
    assertThat(connector.health().snapshot().outages()).as("Redis never marked down")
        .isEqualTo(outages);
    assertThat(transitions).as("no transition announced").isEmpty();
    assertThat(cache.stats().total().errors()).as("no failed call, no exhausted pool").isZero();
    assertThat(cache.stats().total().fallback()).isZero();
    assertThat(redis.commandCalls("scan")).as("no keyspace scan").isEqualTo(scans);
    int before = calls("user");
    for (String email : emails) {
      assertThat(app.send("GET", "/api/users/" + email).headers().firstValue("X-Cache"))
          .as("%s was invalidated", email).hasValue("MISS");
    }
    assertThat(calls("user")).isEqualTo(before + emails.size());
  }

  /** Whether {@code key} holds a value in Redis (an invalidated key holds a tombstone). */
  private static boolean live(String key) {
    String raw = redis.withClient(j -> j.get(key));
    return raw != null && !raw.startsWith(RedisCacheStore.TOMBSTONE);
  }

  @Test
  void aStarInARequestValueCannotWidenAnInvalidation() throws Exception {
    app.send("GET", "/api/users/alice@example.com");
    app.send("GET", "/api/users/*");
    assertThat(live("query:user:email:%2A")).isTrue();
    assertThat(app.send("DELETE", "/api/users/*").statusCode()).isEqualTo(204);
    assertThat(live("query:user:email:%2A")).isFalse();
    assertThat(live("query:user:email:alice@example.com")).as("only the literal '*' key went")
        .isTrue();
  }

  @Test
  void usersNeverReceiveEachOthersResponses() throws Exception {
    HttpResponse<String> alice = app.send("GET", "/api/me", "Authorization", "Bearer alice");
    HttpResponse<String> bob = app.send("GET", "/api/me", "Authorization", "Bearer bob");
    HttpResponse<String> aliceAgain = app.send("GET", "/api/me", "Authorization", "Bearer alice");
    HttpResponse<String> anonymous = app.send("GET", "/api/me");
    assertThat(alice.body()).contains("alice");
    assertThat(bob.body()).contains("bob").doesNotContain("alice");
    assertThat(aliceAgain.body()).contains("alice");
    assertThat(aliceAgain.headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(anonymous.body()).contains("anonymous");
    assertThat(redis.<Boolean>withClient(j -> j.exists("query:user:me:user:alice"))).isTrue();
    assertThat(redis.<Boolean>withClient(j -> j.exists("query:user:me:user:bob"))).isTrue();
  }

  @Test
  void privateAndVaryingResponsesNeverCrossUsersOrVariants() throws Exception {
    // private on a shared entry: never stored, so bob never receives alice's.
    assertThat(app.send("GET", "/api/private/1", "Authorization", "Bearer alice").body())
        .contains("alice");
    HttpResponse<String> bob = app.send("GET", "/api/private/1", "Authorization", "Bearer bob");
    assertThat(bob.body()).contains("bob").doesNotContain("alice");
    assertThat(bob.headers().firstValue("X-Cache")).hasValue("MISS");
    // Vary on a request header the key does not hold: never stored.
    assertThat(app.send("GET", "/api/vary/1", "Accept-Language", "fr").body())
        .contains("bonjour");
    assertThat(app.send("GET", "/api/vary/1", "Accept-Language", "de").body())
        .contains("hello");
    assertThat(calls("private")).isEqualTo(2);
    assertThat(calls("vary")).isEqualTo(2);
    // private on one user's entry is fine, and the hit says private again; anonymous is shared.
    app.send("GET", "/api/mine/1", "Authorization", "Bearer alice");
    HttpResponse<String> again = app.send("GET", "/api/mine/1", "Authorization", "Bearer alice");
    assertThat(again.headers().firstValue("X-Cache")).hasValue("HIT");
    assertThat(again.headers().firstValue("Cache-Control")).hasValue("private, max-age=60");
    assertThat(app.send("GET", "/api/mine/1", "Authorization", "Bearer bob").body())
        .contains("bob");
    app.send("GET", "/api/mine/1");
    assertThat(app.send("GET", "/api/mine/1").headers().firstValue("X-Cache"))
        .as("an anonymous private response is not stored in the shared entry").hasValue("MISS");
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("query:chat:*:1*")))
        .containsExactlyInAnyOrder("query:chat:mine:1:user:alice", "query:chat:mine:1:user:bob",
            "query:chat:mine:1:user:%v");
  }

  @Test
  void aHitReplaysTheStoredHeadersAndTheSameBody() throws Exception {
    HttpResponse<String> miss = app.send("GET", "/api/typed/7");
    assertThat(miss.statusCode()).as(miss.body()).isEqualTo(200);
    HttpResponse<String> hit = app.send("GET", "/api/typed/7");
    assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
    for (String name : List.of("Content-Type", "Cache-Control", "Content-Language", "ETag")) {
      assertThat(hit.headers().firstValue(name)).as(name)
          .isEqualTo(miss.headers().firstValue(name)).isPresent();
    }
    assertThat(hit.headers().firstValue("Content-Type").orElseThrow())
        .startsWith("application/vnd.ratecache+json");
    assertThat(hit.body()).isEqualTo(miss.body());
    assertThat(calls("typed")).isEqualTo(1);
    // Plain JSON responses stay plain JSON in Redis (shared with QueryCache.put).
    app.send("GET", "/api/users/alice@example.com");
    assertThat(redis.<String>withClient(j -> j.get("query:user:email:alice@example.com")))
        .contains("\"email\":\"alice@example.com\"").doesNotContain("@ratecache");
  }

  @Test
  void invalidatingAKeyRemovesEveryUsersVariantWithoutScanningTheKeyspace() throws Exception {
    for (String user : List.of("alice", "bob", "b*b")) {
      assertThat(app.send("GET", "/api/chats/1", "Authorization", "Bearer " + user).body())
          .contains(user);
    }
    app.send("GET", "/api/chats/2", "Authorization", "Bearer alice");
    redis.withClient(j -> {
      for (int i = 0; i < 2000; i++) {
        j.set("query:chat:id:1:other:" + i, "x"); // neighbours that share the prefix
      }
      return null;
    });
    assertThat(calls("chat")).isEqualTo(4);

    long scansBefore = redis.commandCalls("scan");
    assertThat(app.send("POST", "/api/chats/1").statusCode()).isEqualTo(200);
    assertThat(redis.commandCalls("scan") - scansBefore).as("SCAN calls for a key invalidation").isZero();

    for (String user : List.of("alice", "bob", "b%2Ab")) {
      assertThat(live("query:chat:id:1:user:" + user)).as("variant of %s", user).isFalse();
    }
    assertThat(live("query:chat:id:2:user:alice")).as("another key's variant").isTrue();
    assertThat(redis.<Long>withClient(j -> j.dbSize()))
        .as("neighbours and chat 2 remain; chat 1's variants are tombstones, its index is gone")
        .isEqualTo(2000 + 2 + 4 + 1); // chat 2's variant and index; chat 1's and its variants'
                                      // tombstones; the route's budget counter
    HttpResponse<String> after = app.send("GET", "/api/chats/1", "Authorization", "Bearer bob");
    assertThat(after.headers().firstValue("X-Cache")).hasValue("MISS");
    assertThat(calls("chat")).isEqualTo(5);
  }

  @Test
  void uncacheableResponsesAreNeverStored() throws Exception {
    for (String path : new String[] {"/api/cookie", "/api/nostore", "/api/missing", "/api/big"}) {
      app.send("GET", path);
      HttpResponse<String> again = app.send("GET", path);
      assertThat(again.headers().firstValue("X-Cache")).as(path).hasValue("MISS");
    }
    assertThat(calls("cookie")).isEqualTo(2);
    assertThat(calls("nostore")).isEqualTo(2);
    assertThat(calls("missing")).isEqualTo(2);
    assertThat(calls("big")).isEqualTo(2);
    assertThat(app.send("GET", "/api/big").body()).hasSizeGreaterThan(1_100_000);
    assertThat(redis.<Long>withClient(j -> j.dbSize())).isZero();
  }

  @Test
  void unknownTemplateVariableFailsDeployment() {
    assertThatThrownBy(() -> JettyApp.start(context(Broken.class)).close())
        .hasStackTraceContaining("unknown variable {email}")
        .hasStackTraceContaining(Broken.class.getName() + ".get");
  }

  @Test
  void aTagTemplateIsCheckedAtDeployTime() {
    assertThatThrownBy(() -> JettyApp.start(context(BadTag.class)).close())
        .hasStackTraceContaining("unknown variable {nope}");
    assertThatThrownBy(() -> JettyApp.start(context(PatternTag.class)).close())
        .hasStackTraceContaining("a tag is a name, not a pattern");
    assertThatThrownBy(() -> JettyApp.start(context(NothingToInvalidate.class)).close())
        .hasStackTraceContaining("names no key, pattern or tag");
  }

  private JettyApp slowApp(Duration loadWait, AtomicInteger arrived) throws Exception {
    QueryCache slowCache = QueryCache.builder().connector(connector).loadWait(loadWait).build();
    ResourceConfig config = new ResourceConfig(Slow.class).register(JacksonFeature.class)
        .register(new CachedQueryFeature(slowCache));
    ServletContextHandler context = new ServletContextHandler("/");
    context.addFilter(new FilterHolder((req, res, chain) -> {
      arrived.incrementAndGet();
      chain.doFilter(req, res);
    }), "/*", EnumSet.of(DispatcherType.REQUEST));
    ServletHolder jersey = new ServletHolder(new ServletContainer(config));
    jersey.setInitOrder(1);
    context.addServlet(jersey, "/*");
    return JettyApp.start(context);
  }

  @Test
  void twentyConcurrentColdRequestsRunTheMethodOnce() throws Exception {
    AtomicInteger arrived = new AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newFixedThreadPool(20);
    try (JettyApp slow = slowApp(Duration.ofSeconds(60), arrived)) {
      List<java.util.concurrent.Future<HttpResponse<String>>> replies = new java.util.ArrayList<>();
      for (int i = 0; i < 20; i++) {
        replies.add(pool.submit(() -> slow.send("GET", "/slow/a")));
      }
      // Waiting for arrival alone was racy: a request between the servlet filter and the
      // lookup when the gate opened could miss just before the store and lead a second load.
      dev.ratecache.testing.Await.until("one request runs the method, 19 wait for it",
          () -> arrived.get() == 20 && calls("slow:a") == 1 && Followers.waiting() == 19);
      Slow.GATES.computeIfAbsent("a", k -> new java.util.concurrent.CountDownLatch(1))
          .countDown();
      for (var reply : replies) {
        HttpResponse<String> r = reply.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"call\":\"1\"");
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(calls("slow:a")).as("the method ran once for 20 cold requests").isEqualTo(1);
  }

  @Test
  void aHungLoaderDelaysLaterCallersByTheLoadWaitAtMost() throws Exception {
    AtomicInteger arrived = new AtomicInteger();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors
        .newSingleThreadExecutor();
    try (JettyApp slow = slowApp(Duration.ofMillis(300), arrived)) {
      // Measured from before the hung call is sent: a later caller waits out what is left of
      // the hung load's 300 ms, which began after this instant, so not before start + 300 ms.
      long start = System.nanoTime();
      var hung = pool.submit(() -> slow.send("GET", "/slow/h"));
      dev.ratecache.testing.Await.until("the first call hangs", () -> calls("slow:h") == 1);
      HttpResponse<String> later = slow.send("GET", "/slow/h");
      assertThat(later.statusCode()).isEqualTo(200);
      assertThat(later.body()).as("it ran the method itself").contains("\"call\":\"2\"");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("it waited out the hung load's budget first")
          .isGreaterThanOrEqualTo(Duration.ofMillis(300));
      assertThat(hung.isDone()).as("the first is still hung").isFalse();
      Slow.GATES.get("h").countDown();
      assertThat(hung.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aKeyWithoutAKnownTtlCategoryFailsDeploymentNamingTheMethod() throws Exception {
    assertThatThrownBy(() -> JettyApp.start(context(NoCategory.class)).close())
        .hasStackTraceContaining("key 'reports:{id}' on " + NoCategory.class.getName()
            + ".get is in no TTL category");
    assertThatThrownBy(() -> JettyApp.start(context(UnknownCategory.class)).close())
        .hasStackTraceContaining("unknown TTL category 'reportz'");
    assertThatThrownBy(() -> JettyApp.start(context(ZeroTtl.class)).close())
        .hasStackTraceContaining("ttlSeconds must be positive, got 0");
    JettyApp.start(context(OtherCategory.class)).close();
  }

  @Test
  void requestsSucceedWhileRedisIsDownAndRedisIsUsedAgainAfter() throws Exception {
    app.send("GET", "/api/users/alice@example.com");
    redis.kill();
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = app.send("GET", "/api/users/alice@example.com");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).contains("Alice");
    }
    assertThat(connector.isAvailable()).isFalse();
    assertThat(app.send("GET", "/api/users/alice@example.com").headers().firstValue("X-Cache"))
        .as("served from the memory store during the outage").hasValue("HIT");
    int callsDuringOutage = calls("user");

    redis.restart();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!connector.isAvailable() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(app.send("GET", "/api/users/alice@example.com").headers().firstValue("X-Cache"))
        .hasValue("MISS");
    assertThat(redis.<Boolean>withClient(j -> j.exists("query:user:email:alice@example.com")))
        .isTrue();
    assertThat(calls("user")).isEqualTo(callsDuringOutage + 1);
  }

  /** Whole milliseconds since {@code nanoTime}, rounded up. */
  private static long millisSince(long nanoTime) {
    return (System.nanoTime() - nanoTime) / 1_000_000 + 1;
  }
}
