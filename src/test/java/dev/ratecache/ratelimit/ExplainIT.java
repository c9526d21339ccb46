package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ratelimit.ClientKeyResolverTest.Req;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Explain, reset and the audit trail on real Redis: explain says what the next request would get
 * and why (profile, identity, Redis key, limits and their source, tokens, lock, lists) and
 * changes nothing; a reset names the client as an operator knows it and reaches another
 * instance; the trail records first rejections, lockouts and operators' actions, once, with
 * clients hashed.
 */
class ExplainIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private final MutableClock clock = MutableClock.startingNow();
  private RedisConnector connector;
  private RateLimiter limiter;

  private static final List<RateLimitProfile> PROFILES = List.of(
      RateLimitProfile.builder("auth").limit(Limit.of(2, Duration.ofMinutes(15)))
          .prefix("/api/auth").lockout(Lockout.of(Duration.ofMinutes(1)))
          .key(BucketKey.ACCOUNT_AND_CLIENT).build(),
      RateLimitProfile.builder("chat").limit(Limit.of(20, Duration.ofMinutes(1)))
          .planLimits("pro", List.of(Limit.of(200, Duration.ofMinutes(1)))).prefix("/api/chat")
          .deny(List.of("198.18.0.0/15")).build(),
      RateLimitProfile.builder("trial").limit(Limit.of(1, Duration.ofHours(1))).prefix("/trial")
          .mode(EnforcementMode.SHADOW).build());

  @BeforeEach
  void start() {
    redis.start();
    redis.flushAll();
    connector = RedisConnector.create(TestRedis.patient(TestRedis.settings(redis)), clock);
    limiter = RateLimiter.builder().connector(connector).clock(clock).profiles(PROFILES).build();
  }

  @AfterEach
  void stop() {
    limiter.close();
    connector.close();
  }

  private RateLimitDecision login(RateLimiter l, String address, String account) {
    Req r = new Req();
    r.remote = address;
    r.attributes.put(ClientKeyResolver.ACCOUNT_ATTRIBUTE, account);
    Map<String, Object> attributes = new HashMap<>();
    return l.decideOnce(PROFILES.get(0), r, attributes::get, attributes::put);
  }

  private static Map<String, String> everything() {
    return redis.withClient(j -> {
      Map<String, String> all = new TreeMap<>();
      for (String k : j.keys("rate_limit:*")) {
        all.put(k, new String(j.dump(k), java.nio.charset.StandardCharsets.ISO_8859_1));
      }
      return all;
    });
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> first(Map<String, Object> explained) {
    return ((List<Map<String, Object>>) explained.get("profiles")).get(0);
  }

  @Test
  void explainSaysWhatTheNextRequestGetsAndWhyAndChangesNothing() {
    Map<String, Object> fresh = limiter.explain("/api/auth/login", "post", "203.0.113.9", null,
        "Alice", null);
    assertThat(fresh.get("request")).isEqualTo("POST /api/auth/login");
    @SuppressWarnings("unchecked")
    Map<String, Object> identity = (Map<String, Object>) fresh.get("identity");
    assertThat(identity).containsEntry("clientKey", "ip:203.0.113.9")
        .containsEntry("hash", dev.ratecache.internal.Hashing.sha256Short("ip:203.0.113.9"));
    assertThat(first(fresh)).containsEntry("profile", "auth")
        .containsEntry("redisKey", "rate_limit:auth:a:alice+ip:203.0.113.9")
        .containsEntry("tokens", 2L).containsEntry("next", "allowed: 1 left after it");

    login(limiter, "203.0.113.9", "alice");
    login(limiter, "203.0.113.9", "alice");
    assertThat(first(limiter.explain("/api/auth/login", "POST", "203.0.113.9", null, "alice",
        null)).get("next").toString()).startsWith("rejected (429): retry in").endsWith(
        "and locked out");
    assertThat(login(limiter, "203.0.113.9", "alice").allowed()).isFalse();
    Map<String, String> before = everything();
    Map<String, Object> locked = first(limiter.explain("/api/auth/login", "POST", "203.0.113.9",
        null, "alice", null));
    assertThat(locked.get("next")).isEqualTo("blocked (429) for 60 s: locked out (level 0)");
    assertThat(locked.get("lock")).isNotNull();
    assertThat(everything()).as("explain reads, never writes").isEqualTo(before);

    // Limits and where they come from: a plan, an operator's override.
    assertThat(first(limiter.explain("/api/chat", "GET", "user:bob", "pro", null, null)))
        .containsEntry("limits", List.of("200/1m"))
        .containsEntry("limitsFrom", "plan pro (profile.chat.limit.pro)");
    limiter.overrides().setLimit("chat", "user:bob", List.of(Limit.of(7, Duration.ofMinutes(1))),
        null);
    assertThat(first(limiter.explain("/api/chat", "GET", "user:Bob", "pro", null, null)))
        .containsEntry("limits", List.of("7/1m"))
        .containsEntry("limitsFrom", "operator override for this client");
    // Lists and shadow mode.
    assertThat(first(limiter.explain("/api/chat", "GET", "198.18.0.1", null, null, null))
        .get("next")).isEqualTo("denied (403): on a deny list; nothing charged");
    limiter.tryAcquire("trial", "t");
    assertThat(first(limiter.explain(null, null, "app:t", null, null, "trial")).get("next")
        .toString()).startsWith("allowed (shadow mode; would be rejected (429)");
    assertThat(limiter.explain("/elsewhere", "GET", "app:t", null, null, null).get("next"))
        .isEqualTo("allowed: no profile guards GET /elsewhere");

    assertThatThrownBy(() -> limiter.explain("/api/chat", "GET", "nobody", null, null, null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("names no client");
    assertThatThrownBy(() -> limiter.explain(null, null, "app:t", null, null, "nope"))
        .hasMessageContaining("unknown rate-limit profile");
    assertThatThrownBy(() -> limiter.explain("api", "GET", "app:t", null, null, null))
        .hasMessageContaining("must start with '/'");
  }

  @Test
  void aResetNamesTheClientAsAnOperatorKnowsItAndReachesEveryInstance() throws Exception {
    try (RedisConnector other = RedisConnector.create(
        TestRedis.patient(TestRedis.settings(redis)), clock);
        RateLimiter b = RateLimiter.builder().connector(other).clock(clock).profiles(PROFILES)
            .build()) {
      for (int i = 0; i < 3; i++) {
        login(limiter, "192.0.2.4", "carol");
      }
      assertThat(login(b, "192.0.2.4", "carol").reason())
          .isEqualTo(RateLimitDecision.Reason.BLOCKED);
      assertThat(limiter.reset("auth", "192.0.2.4", "carol")).isEqualTo(2);
      assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("rate_limit:auth:*")))
          .isEmpty();
      assertThat(login(limiter, "192.0.2.4", "carol").allowed()).isTrue();
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (!login(b, "192.0.2.4", "carol").allowed()) {
        assertThat(System.nanoTime()).as("b to hear of the reset").isLessThan(deadline);
        Thread.onSpinWait();
      }
      assertThatThrownBy(() -> limiter.reset(null, "somebody", null))
          .hasMessageContaining("names no client");
    }
  }

  @Test
  void theAuditTrailRecordsFirstRejectionsLockoutsAndOperatorsOnceWithClientsHashed()
      throws Exception {
    for (int i = 0; i < 6; i++) {
      login(limiter, "203.0.113.50", "dora");
    }
    for (int i = 0; i < 25; i++) {
      limiter.tryAcquire("chat", "busy");
    }
    limiter.overrides().deny("203.0.113.51", Duration.ofMinutes(5));
    limiter.reset(null, "203.0.113.50", "dora");
    limiter.audit().flush();
    List<Map<String, String>> records = limiter.audit().recent(100);
    List<String> types = records.stream().map(r -> r.get("type") + " " + r.get("profile"))
        .toList();
    assertThat(types).containsExactly("operator:reset *", "operator:override *",
        "rejected chat", "lockout auth", "rejected auth");
    String dora = dev.ratecache.internal.Hashing.sha256Short("a:dora+ip:203.0.113.50");
    assertThat(records.get(3)).containsEntry("client", dora).containsEntry("detail",
        "level 0, 60 s");
    assertThat(records.get(0)).containsEntry("client",
        dev.ratecache.internal.Hashing.sha256Short("ip:203.0.113.50"));
    assertThat(records.toString()).as("no address, user or account as written")
        .doesNotContain("203.0.113").doesNotContain("dora").doesNotContain("busy");
    assertThat(limiter.audit().dropped()).isZero();
  }
}
