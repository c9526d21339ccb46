package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisHealth;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.BearerAuthFilter;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the filter does when Redis dies mid-test, per fallback mode, and when it returns. */
class RateLimitFallbackIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private final MutableClock clock = MutableClock.startingNow();
  private RedisConnector connector;
  private RateLimiter limiter;
  private JettyApp app;

  @BeforeEach
  void start() throws Exception {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    // A long socket timeout makes any request that waits on the network stand out.
    connector = RedisConnector.create(TestRedis.settings(redis).socketTimeout(Duration.ofSeconds(1))
        .build());
    limiter = RateLimiter.builder()
        .connector(connector)
        .clock(clock)
        .profile(RateLimitProfile.defaults().get(3).toBuilder().fallback(FallbackMode.OPEN)
            .build()) // search
        .profile(RateLimitProfile.defaults().get(2).toBuilder().fallback(FallbackMode.CLOSED)
            .build()) // upload
        .build();
    app = JettyApp.start(context -> {
      context.addFilter(new FilterHolder(new BearerAuthFilter()), "/*",
          EnumSet.of(DispatcherType.REQUEST));
      context.addFilter(new FilterHolder(new RateLimitFilter(limiter)), "/*",
          EnumSet.of(DispatcherType.REQUEST));
    });
  }

  @AfterEach
  void stop() throws Exception {
    app.close();
    limiter.close();
    connector.close();
  }

  private int post(String path, String user) throws Exception {
    return app.send("POST", path, "Authorization", "Bearer " + user).statusCode();
  }

  @Test
  void killedRedisFallsBackPerProfileWithoutServerErrorsAndComesBack() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(post("/api/chat", "dana")).isEqualTo(200);
    }
    redis.kill();

    // LOCAL (chat): limiting goes on in memory, from the 15 of 20 that Redis had left (this
    // instance saw the bucket there a moment ago), not a fresh bucket of 20.
    List<Integer> chat = new ArrayList<>();
    for (int i = 0; i < 25; i++) {
      chat.add(post("/api/chat", "dana"));
    }
    assertThat(chat.subList(0, 15)).containsOnly(200);
    assertThat(chat.subList(15, 25)).containsOnly(429);
    assertThat(connector.health().state()).isEqualTo(RedisHealth.State.DOWN);

    // OPEN (search): everything passes, with the policy but no invented remaining count.
    for (int i = 0; i < 40; i++) {
      HttpResponse<String> r = app.send("GET", "/api/search?q=x", "Authorization", "Bearer dana");
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.headers().firstValue("RateLimit-Policy")).isPresent();
      assertThat(r.headers().firstValue("RateLimit")).isEmpty();
    }

    // CLOSED (upload): 503 with Retry-After and a problem body.
    HttpResponse<String> closed = app.send("POST", "/api/upload", "Authorization", "Bearer dana");
    assertThat(closed.statusCode()).isEqualTo(503);
    assertThat(closed.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(closed.body()).contains("\"status\":503").contains("fails closed");

    RateLimitStats.ProfileStats chatStats = limiter.stats().profiles().get("chat");
    // 15 admitted and 1 rejected by local buckets; the last 9 came from the known-rejected
    // cache, which consults no bucket at all.
    assertThat(chatStats.fallback()).isEqualTo(16);
    assertThat(chatStats.rejected()).isEqualTo(10);
    assertThat(limiter.stats().profiles().get("upload").unavailable()).isEqualTo(1);

    // Redis returns on the same port: decisions use Redis buckets again, with no request's help.
    redis.restart();
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (!connector.isAvailable() && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(connector.isAvailable()).isTrue();
    assertThat(post("/api/chat", "erin")).isEqualTo(200);
    assertThat(redis.<Boolean>withClient(j -> j.exists("rate_limit:chat:u:erin"))).isTrue();
    assertThat(post("/api/upload", "erin")).isEqualTo(200);
  }

  /**
   * Once the switch has tripped, no request goes near the network: 200 requests are decided in
   * memory and not one of their commands reaches Redis (counted after the thaw, when Redis reads
   * whatever was written to it while frozen), so none can wait for the socket timeout.
   */
  @Test
  void aFrozenRedisCostsOneTimeoutThenNoRequestTouchesTheNetwork() throws Exception {
    assertThat(post("/api/chat", "fay")).isEqualTo(200);
    long before = bucketCommands();
    redis.freeze();
    try {
      // The switch trips after failureThreshold (3) timed-out calls.
      for (int i = 0; i < 3; i++) {
        post("/api/chat", "trip" + i);
      }
      assertThat(connector.isAvailable()).isFalse();
      for (int i = 0; i < 200; i++) {
        assertThat(post("/api/chat", "user" + i)).isEqualTo(200);
      }
      assertThat(limiter.stats().profiles().get("chat").fallback())
          .as("decided in memory").isGreaterThanOrEqualTo(200);
    } finally {
      redis.thaw();
    }
    assertThat(bucketCommands() - before)
        .as("bucket commands Redis received: at most the three that tripped the switch")
        .isLessThanOrEqualTo(3);
  }

  /** Every command a decision can send (a new bucket, a swap, a status read). */
  private static long bucketCommands() {
    return redis.commandCalls("set") + redis.commandCalls("evalsha")
        + redis.commandCalls("eval") + redis.commandCalls("get");
  }

  @Test
  void redisSwitchedOffRunsOnMemoryOnlyFromTheStart() {
    try (RateLimiter memory = RateLimiter.builder()
        .redis(RedisSettings.builder().enabled(false).build()).build()) {
      for (int i = 0; i < 5; i++) {
        assertThat(memory.tryAcquire("auth", "x").allowed()).isTrue();
      }
      RateLimitDecision sixth = memory.tryAcquire("auth", "x");
      assertThat(sixth.outcome()).isEqualTo(RateLimitDecision.Outcome.REJECTED);
      assertThat(sixth.backend()).isEqualTo(RateLimitDecision.Backend.LOCAL);
      assertThat(sixth.retryAfterSeconds()).isEqualTo(180);
    }
  }

  @Test
  void memoryStaysBoundedWhenAMillionClientsHitTheFallback() {
    try (RateLimiter memory = RateLimiter.builder()
        .redis(RedisSettings.builder().enabled(false).build())
        .localMaxBuckets(10_000).build()) {
      for (int i = 0; i < 1_000_000; i++) {
        memory.tryAcquire("chat", "client-" + i);
      }
      assertThat(memory.localBucketCount()).isLessThanOrEqualTo(10_000);
      assertThat(memory.stats().profiles().get("chat").allowed()).isEqualTo(1_000_000);
    }
  }

  @Test
  void knownRejectedClientsCostNoRedisCallsUntilTheirRetryTime() throws Exception {
    for (int i = 0; i < 5; i++) {
      post("/api/auth/login", "gus");
    }
    assertThat(post("/api/auth/login", "gus")).isEqualTo(429);
    long before = commandsProcessed();
    for (int i = 0; i < 50; i++) {
      assertThat(post("/api/auth/login", "gus")).isEqualTo(429);
    }
    long calls = commandsProcessed() - before;
    assertThat(calls).as("Redis commands for 50 known rejections (INFO itself counts 1)")
        .isLessThanOrEqualTo(1);
    clock.advance(Duration.ofMinutes(3));
    assertThat(post("/api/auth/login", "gus")).as("retry time reached").isEqualTo(200);
  }

  private static long commandsProcessed() {
    String info = redis.withClient(j -> j.info("stats"));
    return info.lines().filter(l -> l.startsWith("total_commands_processed:"))
        .mapToLong(l -> Long.parseLong(l.substring(l.indexOf(':') + 1).trim()))
        .findFirst().orElseThrow();
  }

  @Test
  void aServerThatRefusesWritesIsOneSteadyOutageNotAFlapping() throws Exception {
    List<RedisHealth.Transition> transitions = new java.util.concurrent.CopyOnWriteArrayList<>();
    connector.health().onTransition(transitions::add);
    long outagesBefore = connector.health().snapshot().outages();
    java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.atomic.LongAdder>
        statuses = new java.util.concurrent.ConcurrentHashMap<>();
    java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    List<java.util.concurrent.Future<?>> load = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      load.add(pool.submit(() -> {
        for (int n = 0; n < 100_000 && !stop.get(); n++) {
          // 200 clients a thread: fresh buckets keep being charged, and some reach their limit.
          int status = post("/api/chat", "load" + thread + "-" + (n % 200));
          statuses.computeIfAbsent(status, k -> new java.util.concurrent.atomic.LongAdder())
              .increment();
        }
        return null;
      }));
    }
    try {
      dev.ratecache.testing.Await.until("load on Redis", () -> limiter.stats().profiles()
          .get("chat").allowed() > 20);
      // The server becomes a replica (of nobody reachable): it answers, reads work, every
      // write is refused with READONLY.
      int nowhere = dev.ratecache.testing.Ports.free();
      redis.withClient(j -> j.replicaof("127.0.0.1", nowhere));
      dev.ratecache.testing.Await.until("Redis known unusable",
          () -> !connector.isAvailable());
      long probesAtDown = connector.health().snapshot().probeAttempts();
      dev.ratecache.testing.Await.until("several probes while read-only",
          Duration.ofSeconds(10),
          () -> connector.health().snapshot().probeAttempts() >= probesAtDown + 5);
      assertThat(connector.isAvailable()).as("a PING answers, but writes do not: still down")
          .isFalse();
      assertThat(connector.health().snapshot().lastError()).contains("READONLY");
      int admitted = 0;
      for (int i = 0; i < 25; i++) {
        admitted += post("/api/chat", "steady") == 200 ? 1 : 0;
      }
      assertThat(admitted).as("the limit holds on the fallback (20/min)").isEqualTo(20);
      long fallbackBefore = limiter.stats().profiles().get("chat").fallback();
      dev.ratecache.testing.Await.until("decisions on the local fallback",
          () -> limiter.stats().profiles().get("chat").fallback() > fallbackBefore + 50);
      redis.withClient(j -> j.replicaofNoOne());
      dev.ratecache.testing.Await.until("Redis usable again", Duration.ofSeconds(10),
          connector::isAvailable);
    } finally {
      stop.set(true);
      pool.shutdown();
      for (var f : load) {
        f.get(30, java.util.concurrent.TimeUnit.SECONDS);
      }
      redis.withClient(j -> j.replicaofNoOne());
    }
    // The state changes under the health lock; listeners hear of it afterwards, on the probe
    // thread. So the count of outages is the exact record, and the listener is awaited.
    assertThat(connector.health().snapshot().outages() - outagesBefore)
        .as("one outage for the whole read-only period").isEqualTo(1);
    assertThat(connector.isAvailable()).as("and it ended").isTrue();
    dev.ratecache.testing.Await.until("the recovery announced to listeners",
        () -> transitions.size() >= 2);
    assertThat(transitions).extracting(RedisHealth.Transition::to)
        .as("one outage, one recovery").containsExactly(RedisHealth.State.DOWN,
            RedisHealth.State.UP);
    assertThat(statuses.keySet()).as("only admissions and rejections, no 5xx")
        .isSubsetOf(200, 429);
  }
}
