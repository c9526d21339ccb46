package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ratecache.redis.Invalidation;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.BearerAuthFilter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/** RateLimitFilter registered programmatically in a real Jetty, against a real redis-server. */
class RateLimitFilterIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final ObjectMapper JSON = new ObjectMapper();

  private final MutableClock clock = MutableClock.startingNow();
  private final List<AutoCloseable> resources = new ArrayList<>();
  private RateLimiter lastLimiter;

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable r : resources) {
      r.close();
    }
  }

  private RateLimiter limiter(RateLimiter.Builder b) {
    RedisConnector connector = RedisConnector.create(TestRedis.settings(redis).build());
    resources.add(connector);
    RateLimiter l = b.connector(connector).clock(clock).build();
    resources.add(l);
    return l;
  }

  private JettyApp app(RateLimiter limiter) throws Exception {
    JettyApp app = JettyApp.start(context -> {
      context.addFilter(new FilterHolder(new BearerAuthFilter()), "/*",
          EnumSet.of(DispatcherType.REQUEST));
      context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
          EnumSet.of(DispatcherType.REQUEST));
    });
    resources.add(0, app);
    return app;
  }

  @ParameterizedTest(name = "{0}: {2} per {3}s on {1}")
  @CsvSource({
      "chat, /api/chat, 20, 60",
      "auth, /api/auth/login, 5, 900",
      "upload, /api/upload, 5, 60",
      "search, /api/search?q=x, 30, 60",
  })
  void defaultProfilesAdmitExactlyTheirLimitThenRejectWithHeadersAndProblem(
      String profile, String path, int limit, int window) throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()));
    for (int i = 1; i <= limit; i++) {
      HttpResponse<String> r = app.send("POST", path, "Authorization", "Bearer alice");
      assertThat(r.statusCode()).as("request %d", i).isEqualTo(200);
      assertThat(r.headers().firstValue("RateLimit-Policy"))
          .hasValue("\"" + profile + "\";q=" + limit + ";w=" + window);
      assertThat(r.headers().firstValue("RateLimit").orElseThrow())
          .startsWith("\"" + profile + "\";r=" + (limit - i) + ";t=");
    }
    HttpResponse<String> rejected = app.send("POST", path, "Authorization", "Bearer alice");
    assertThat(rejected.statusCode()).isEqualTo(429);
    long retryAfter = Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow());
    assertThat(retryAfter).isEqualTo(window / limit);
    assertThat(rejected.headers().firstValue("Content-Type"))
        .hasValueSatisfying(v -> assertThat(v).startsWith("application/problem+json"));
    assertThat(rejected.headers().firstValue("RateLimit").orElseThrow())
        .startsWith("\"" + profile + "\";r=0;t=");
    JsonNode problem = JSON.readTree(rejected.body());
    assertThat(problem.get("status").asInt()).isEqualTo(429);
    assertThat(problem.get("title").asText()).isEqualTo("Too Many Requests");
    assertThat(problem.get("type").asText()).isEqualTo("about:blank");
    assertThat(problem.get("policy").asText()).isEqualTo(profile);
    assertThat(problem.get("detail").asText()).contains(profile);

    // One token comes back per window/limit seconds, no sooner.
    clock.advance(Duration.ofSeconds(retryAfter).minusMillis(1));
    assertThat(app.send("POST", path, "Authorization", "Bearer alice").statusCode())
        .isEqualTo(429);
    clock.advance(Duration.ofMillis(1));
    assertThat(app.send("POST", path, "Authorization", "Bearer alice").statusCode())
        .isEqualTo(200);
    assertThat(app.send("POST", path, "Authorization", "Bearer alice").statusCode())
        .isEqualTo(429);

    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:" + profile + ":u:alice")))
        .as("bucket key in Redis").isTrue();
    assertThat(dev.ratecache.cache.CacheKeys.rateLimit(profile, "u:alice"))
        .as("CacheKeys names the key the limiter wrote").isEqualTo("rate_limit:" + profile + ":u:alice");
  }

  @Test
  void aRejectedRequestWithAnUnreadBodyClosesItsConnectionAndSaysSo() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()));
    for (int i = 0; i < 20; i++) {
      assertThat(app.send("GET", "/api/chat", "Authorization", "Bearer carol").statusCode())
          .isEqualTo(200);
    }
    // Headers announce a body that has not been sent: the filter refuses without reading it.
    try (JettyApp.RawConnection c = app.connect()) {
      JettyApp.RawResponse r = c.write("POST /api/chat HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: Bearer carol\r\nContent-Length: 1000\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(429);
      assertThat(r.headers()).containsEntry("connection", "close");
      assertThat(c.closedByServer()).isTrue();
    }
    // Bodiless rejections keep the connection: a second request on it is answered.
    try (JettyApp.RawConnection c = app.connect()) {
      String get = "GET /api/chat HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: Bearer carol\r\n\r\n";
      JettyApp.RawResponse first = c.write(get).read();
      assertThat(first.status()).isEqualTo(429);
      assertThat(first.headers()).doesNotContainKey("connection");
      assertThat(c.write(get).read().status()).isEqualTo(429);
    }
    // And the pooled client carries on across such closes.
    for (int i = 0; i < 5; i++) {
      assertThat(app.send("POST", "/api/chat", "Authorization", "Bearer carol").statusCode())
          .isEqualTo(429);
    }
  }

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void anOperatorClearingBucketsFromAnotherProcessLiftsRememberedRejections(
      RedisBucketProtocol protocol) throws Exception {
    JettyApp app = exhaustUploadsOfDave(protocol);
    // As the CLI's `clear --pattern 'rate_limit:upload:*'` does, over its own connection.
    try (RedisConnector operator = RedisConnector.create(TestRedis.settings(redis).build())) {
      assertThat(operator.unlinkMatching("rate_limit:upload:*", n -> { })).isEqualTo(1);
    }
    awaitDaveAdmitted(app);
  }

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void invalidatingOneBucketKeyThroughAnotherQueryCacheLiftsItsRememberedRejection(
      RedisBucketProtocol protocol) throws Exception {
    JettyApp app = exhaustUploadsOfDave(protocol);
    try (RedisConnector operator = RedisConnector.create(TestRedis.settings(redis).build());
        dev.ratecache.cache.QueryCache other = dev.ratecache.cache.QueryCache.builder()
            .connector(operator).build()) {
      assertThat(other.invalidate("rate_limit:upload:u:dave")).isTrue(); // a KEY event
    }
    awaitDaveAdmitted(app);
  }

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void aClearMissedWhileTheEventSubscriptionWasDownIsNotTrustedAwayAfterResubscribing(
      RedisBucketProtocol protocol) throws Exception {
    JettyApp app = exhaustUploadsOfDave(protocol);
    long epoch = lastLimiter.connector().events().epoch();
    // The bucket goes away with no event heard (as if published while unsubscribed), and then
    // the subscription is cut: Redis stays up, so only the resubscription can tell.
    redis.withClient(j -> j.del("rate_limit:upload:u:dave"));
    assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
        .as("still remembered while subscribed: nothing said otherwise").isEqualTo(429);
    redis.withClient(j -> j.clientKill(ClientKillParams
        .clientKillParams().type(ClientType.PUBSUB)));
    Await.until("resubscribed", () -> lastLimiter.connector().events().isLive()
        && lastLimiter.connector().events().epoch() > epoch + 1);
    assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
        .isEqualTo(200);
  }

  @Test
  void aMethodOverrideCannotDodgeAMethodRestrictedProfile() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder().profile(RateLimitProfile.builder("edits")
        .limit(Limit.parse("2/1m", "edits")).prefix("/api/docs").methods("PUT").build())));
    assertThat(app.send("PUT", "/api/docs/1").statusCode()).isEqualTo(200);
    assertThat(app.send("POST", "/api/docs/1", "X-HTTP-Method-Override", "put").statusCode())
        .as("charged as the PUT the application may dispatch").isEqualTo(200);
    assertThat(app.send("POST", "/api/docs/1?_method=PUT").statusCode()).isEqualTo(429);
    assertThat(app.send("POST", "/api/docs/1", "X-HTTP-Method", "PUT").statusCode())
        .isEqualTo(429);
    assertThat(app.send("POST", "/api/docs/1").statusCode()).as("a plain POST is not a PUT")
        .isEqualTo(200);
    assertThat(app.send("GET", "/api/docs/1", "X-HTTP-Method-Override", "PUT").statusCode())
        .as("only a POST can be overridden").isEqualTo(200);
  }

  @Test
  void corsPreflightsAreFreeUnlessConfigured() throws Exception {
    JettyApp free = app(limiter(RateLimiter.builder()));
    for (int i = 0; i < 10; i++) {
      HttpResponse<String> r = free.send("OPTIONS", "/api/upload", "Origin",
          "https://app.example", "Access-Control-Request-Method", "POST");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("RateLimit")).isEmpty();
    }
    assertThat(free.send("OPTIONS", "/api/upload").headers().firstValue("RateLimit"))
        .as("a plain OPTIONS is an ordinary request").isPresent();
    JettyApp charged = app(limiter(RateLimiter.builder().chargePreflight(true)));
    assertThat(charged.send("OPTIONS", "/api/upload", "Origin", "https://app.example",
        "Access-Control-Request-Method", "POST").headers().firstValue("RateLimit")).isPresent();
  }

  /**
   * The race behind a CI failure, as a timeline: Dave's sixth request reads his empty bucket, and
   * before it can remember the rejection an operator clears the bucket and this instance hears
   * it. A rejection decided before a reset must not outlive it: with the clock frozen, his next
   * request is admitted at once (it was rejected from memory until its retry time before).
   */
  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void aRejectionDecidedWhileAClearIsHeardIsNotRemembered(RedisBucketProtocol protocol)
      throws Exception {
    AtomicReference<Runnable> afterNextDecision = new AtomicReference<>();
    RateLimiter limiter = limiter(RateLimiter.builder().redisBuckets(protocol)
        .redisStoreDecorator(store -> new BucketStore() {
          @Override
          public Probe tryConsume(String key, io.github.bucket4j.BucketConfiguration config) {
            Probe p = store.tryConsume(key, config);
            Runnable hook = afterNextDecision.getAndSet(null);
            if (hook != null) {
              hook.run();
            }
            return p;
          }

          @Override
          public Probe peek(String key, io.github.bucket4j.BucketConfiguration config) {
            return store.peek(key, config);
          }

          @Override
          public void forget(java.util.function.Predicate<String> storeKey) {
            store.forget(storeKey);
          }

          @Override
          public void forget(String key) {
            store.forget(key);
          }
        }));
    JettyApp app = app(limiter);
    for (int i = 0; i < 5; i++) { // the first decision subscribes the limiter to events
      assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
          .isEqualTo(200);
    }
    // Listeners are told in order on one thread: when this one hears an event, the limiter has.
    BlockingQueue<Invalidation> heard = new LinkedBlockingQueue<>();
    resources.add(limiter.connector().events().subscribe(heard::add));
    Await.until("subscribed to events", () -> limiter.connector().events().isLive());
    try (RedisConnector operator = RedisConnector.create(TestRedis.settings(redis).build())) {
      afterNextDecision.set(() -> {
        assertThat(operator.unlinkMatching("rate_limit:upload:*", n -> { })).isEqualTo(1);
        try {
          assertThat(heard.poll(30, TimeUnit.SECONDS)).isEqualTo(
              new Invalidation.Pattern("rate_limit:upload:*"));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
          .as("decided on the bucket as it was before the clear").isEqualTo(429);
      assertThat(afterNextDecision.get()).as("the clear ran inside that decision").isNull();
    }
    assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
        .as("the clear lifted the limit; the rejection decided before it is not remembered")
        .isEqualTo(200);
  }

  /** Dave spends the upload profile's 5 tokens; the sixth request is rejected and remembered. */
  private JettyApp exhaustUploadsOfDave(RedisBucketProtocol protocol) throws Exception {
    RateLimiter limiter = limiter(RateLimiter.builder().redisBuckets(protocol));
    lastLimiter = limiter;
    JettyApp app = app(limiter);
    assertThat(limiter.connector().events().state()).as("build() starts no thread")
        .isEqualTo("unused");
    for (int i = 0; i < 5; i++) {
      assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
          .isEqualTo(200);
    }
    Await.until("the first decision subscribed the limiter to events",
        () -> limiter.connector().events().isLive());
    assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode())
        .isEqualTo(429); // now remembered: the next ones cost no Redis round trip
    assertThat(limiter.stats().profiles().get("upload").fallback()).isZero();
    return app;
  }

  private static void awaitDaveAdmitted(JettyApp app) {
    Await.until("a request admitted after the clear", () -> {
      try {
        return app.send("POST", "/api/upload", "Authorization", "Bearer dave").statusCode() == 200;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void unguardedPathsPassWithoutHeadersOrRedisKeys() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()));
    for (int i = 0; i < 50; i++) {
      HttpResponse<String> r = app.send("GET", "/api/chatter");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("RateLimit-Policy")).isEmpty();
    }
    assertThat(redis.<Long>withClient(j -> j.dbSize())).isZero();
  }

  @Test
  void oddSpellingsOfAGuardedPathDoNotEscapeItsLimit() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()));
    for (int i = 0; i < 20; i++) {
      assertThat(app.send("POST", "/api/chat", "Authorization", "Bearer bob").statusCode())
          .isEqualTo(200);
    }
    for (String path : List.of("/api/chat", "//api/chat", "/api/./chat", "/api/chat;x=1",
        "/api/%63hat", "/API/CHAT", "/api/chat/", "/api/x/../chat", "/api/chat/deeper")) {
      int status = app.send("POST", path, "Authorization", "Bearer bob").statusCode();
      assertThat(status / 100).as("status class for %s (%d)", path, status).isNotEqualTo(2);
      // Jetty itself refuses an empty segment as ambiguous; every other form reaches the filter,
      // which must recognise it as the exhausted chat bucket.
      assertThat(status).as(path).isEqualTo(path.startsWith("//") ? 400 : 429);
    }
  }

  @Test
  void clientsHaveSeparateBucketsAndSpoofedForwardingIsIgnored() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()
        .keyResolver(ClientKeyResolver.builder() // no trusted proxies; one real API key
            .apiKeyVerifier(ApiKeyVerifier.of("key-1"::equals)).build())));
    for (int i = 0; i < 5; i++) {
      assertThat(app.send("POST", "/api/upload", "X-Forwarded-For", "203.0.113." + i)
          .statusCode()).isEqualTo(200);
    }
    assertThat(app.send("POST", "/api/upload", "X-Forwarded-For", "203.0.113.99").statusCode())
        .as("rotating X-Forwarded-For from an untrusted peer is the same client").isEqualTo(429);
    assertThat(app.send("POST", "/api/upload", "Authorization", "Bearer carol").statusCode())
        .as("another client").isEqualTo(200);
    for (int i = 0; i < 20; i++) {
      assertThat(app.send("POST", "/api/upload", "X-API-Key", "forged-" + i).statusCode())
          .as("an unverified API key is the same client as its address").isEqualTo(429);
    }
    assertThat(app.send("POST", "/api/upload", "X-API-Key", "key-1").statusCode())
        .as("another client by a verified API key").isEqualTo(200);
  }

  @Test
  void forwardingFromATrustedProxyIdentifiesTheClient() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder()
        .keyResolver(ClientKeyResolver.builder().trustedProxies("127.0.0.1").build())));
    for (int i = 0; i < 5; i++) {
      assertThat(app.send("POST", "/api/upload", "X-Forwarded-For", "203.0.113.1").statusCode())
          .isEqualTo(200);
    }
    assertThat(app.send("POST", "/api/upload", "X-Forwarded-For", "203.0.113.1").statusCode())
        .isEqualTo(429);
    assertThat(app.send("POST", "/api/upload", "X-Forwarded-For", "203.0.113.2").statusCode())
        .isEqualTo(200);
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:upload:ip:203.0.113.2")))
        .isTrue();
  }

  @Test
  void legacyHeadersWhenAsked() throws Exception {
    JettyApp app = app(limiter(RateLimiter.builder().headerStyle(HeaderStyle.LEGACY)));
    HttpResponse<String> r = app.send("GET", "/api/search?q=1");
    assertThat(r.headers().firstValue("X-RateLimit-Limit")).hasValue("30");
    assertThat(r.headers().firstValue("X-RateLimit-Remaining")).hasValue("29");
    assertThat(r.headers().firstValue("X-RateLimit-Reset")).hasValue("2");
    assertThat(r.headers().firstValue("RateLimit")).isEmpty();
  }

  @Test
  void customRejectionResponse() throws Exception {
    RateLimiter l = limiter(RateLimiter.builder());
    JettyApp app = JettyApp.start(context -> context.addFilter(new FilterHolder(
        new RateLimitFilter(l, (req, res, d) -> {
          res.setStatus(429);
          res.setContentType("text/plain");
          res.getWriter().write("slow down, " + d.profile().name());
        })), "/*", EnumSet.of(DispatcherType.REQUEST)));
    resources.add(0, app);
    for (int i = 0; i < 5; i++) {
      app.send("POST", "/api/upload");
    }
    HttpResponse<String> r = app.send("POST", "/api/upload");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.body()).isEqualTo("slow down, upload");
    assertThat(r.headers().firstValue("Retry-After")).hasValue("12");
  }

  @Test
  void statusReadsWithoutCharging() {
    RateLimiter l = limiter(RateLimiter.builder());
    l.tryAcquire("chat", "user-7");
    l.tryAcquire("chat", "user-7");
    RateLimitStatus s = l.status("chat", "user-7");
    assertThat(s.limit()).isEqualTo(20);
    assertThat(s.remaining()).isEqualTo(18);
    assertThat(s.resetSeconds()).isEqualTo(6);
    assertThat(s.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
    assertThat(l.status("chat", "user-7").remaining()).isEqualTo(18);
    assertThat(l.status("chat", "nobody").remaining()).isEqualTo(20);
  }

  @Test
  void countersPerProfile() throws Exception {
    RateLimiter l = limiter(RateLimiter.builder());
    JettyApp app = app(l);
    for (int i = 0; i < 7; i++) {
      app.send("POST", "/api/auth/login");
    }
    RateLimitStats.ProfileStats auth = l.stats().profiles().get("auth");
    assertThat(auth.allowed()).isEqualTo(5);
    assertThat(auth.rejected()).isEqualTo(2);
    assertThat(auth.fallback()).isZero();
  }
}
