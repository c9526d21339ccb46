package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.ops.Operations;
import dev.ratecache.ratelimit.ClientKeyResolverTest.Req;
import dev.ratecache.ratelimit.RateLimitDecision.Outcome;
import dev.ratecache.ratelimit.RateLimitDecision.Reason;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Escalating lockouts and composite identities on real Redis, with two instances (separate
 * connectors) and an injected clock: a lock one instance starts refuses the client on the other
 * at once, without charging it; each lockout in a row doubles up to the cap and a quiet period
 * starts over; keyed by account and client, an attacker elsewhere does not lock the real user
 * out; an operator's reset ends a lock on every instance.
 */
class LockoutIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private final MutableClock clock = MutableClock.startingNow();
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
  }

  @AfterEach
  void close() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  /** login: 3/1h, locked 1m doubling to 4m, reset after 10m quiet, by account+client. */
  private static final RateLimitProfile LOGIN = RateLimitProfile.builder("login")
      .limit(Limit.of(3, Duration.ofHours(1))).prefix("/login")
      .lockout(new Lockout(Duration.ofMinutes(1), Duration.ofMinutes(4), Duration.ofMinutes(10)))
      .key(BucketKey.ACCOUNT_AND_CLIENT).build();

  private RateLimiter instance(RateLimitProfile profile) {
    RedisConnector connector = RedisConnector.create(TestRedis.patient(TestRedis.settings(redis)),
        clock);
    RateLimiter limiter = RateLimiter.builder().connector(connector).clock(clock)
        .profiles(List.of(profile)).build();
    open.add(connector);
    open.add(limiter);
    return limiter;
  }

  /** One login try at {@code account} from {@code address}. */
  private static RateLimitDecision attempt(RateLimiter limiter, String address, String account) {
    Req r = new Req();
    r.remote = address;
    if (account != null) {
      r.attributes.put(ClientKeyResolver.ACCOUNT_ATTRIBUTE, account);
    }
    Map<String, Object> attributes = new HashMap<>();
    return limiter.decideOnce(LOGIN, r, attributes::get, attributes::put);
  }

  @Test
  void aLockEscalatesDoublingToItsCapBindsEveryInstanceAndResetsAfterQuiet() {
    RateLimiter a = instance(LOGIN);
    RateLimiter b = instance(LOGIN);
    for (int i = 0; i < 3; i++) {
      assertThat(attempt(a, "192.0.2.1", "alice").allowed()).isTrue();
    }
    RateLimitDecision hit = attempt(a, "192.0.2.1", "alice");
    assertThat(hit.outcome()).isEqualTo(Outcome.REJECTED);
    assertThat(hit.reason()).isEqualTo(Reason.LIMIT);
    assertThat(hit.retryAfterSeconds()).isEqualTo(60);
    assertThat(hit.clientKey()).isEqualTo("a:alice+ip:192.0.2.1");

    // The other instance: refused at once, as blocked, and nothing charged.
    RateLimitDecision blocked = attempt(b, "192.0.2.1", "alice");
    assertThat(blocked.reason()).isEqualTo(Reason.BLOCKED);
    assertThat(blocked.retryAfterSeconds()).isEqualTo(60);
    String bucket = redis.withClient(j -> j.get("rate_limit:login:a:alice+ip:192.0.2.1"));
    assertThat(attempt(b, "192.0.2.1", "alice").reason()).isEqualTo(Reason.BLOCKED);
    assertThat(redis.<String>withClient(j -> j.get("rate_limit:login:a:alice+ip:192.0.2.1")))
        .as("a blocked try writes no bucket").isEqualTo(bucket);

    // Each lockout in a row doubles: 2 m, 4 m, then 4 m (the cap), decided on either instance.
    long[] expected = {120, 240, 240};
    for (long seconds : expected) {
      clock.advance(Duration.ofSeconds(hit.retryAfterSeconds() + 1));
      hit = attempt(b, "192.0.2.1", "alice");
      assertThat(hit.reason()).isEqualTo(Reason.LIMIT);
      assertThat(hit.retryAfterSeconds()).isEqualTo(seconds);
      assertThat(attempt(a, "192.0.2.1", "alice").reason()).isEqualTo(Reason.BLOCKED);
    }
    assertThat(a.stats().profiles().get("login").lockouts()
        + b.stats().profiles().get("login").lockouts()).isEqualTo(4);

    // Quiet for more than 10 minutes after the last block: refilled a token (3/1h: one in 20
    // minutes since the start) and the next lockout is the first again.
    clock.advance(Duration.ofSeconds(240 + 601));
    assertThat(attempt(a, "192.0.2.1", "alice").allowed()).isTrue();
    RateLimitDecision again = attempt(a, "192.0.2.1", "alice");
    assertThat(again.reason()).isEqualTo(Reason.LIMIT);
    assertThat(again.retryAfterSeconds()).isEqualTo(60);
  }

  @Test
  void keyedByAccountAndClientAnAttackerElsewhereDoesNotLockTheRealUserOut() {
    RateLimiter a = instance(LOGIN);
    for (int i = 0; i < 5; i++) {
      attempt(a, "203.0.113.66", "alice");
    }
    assertThat(attempt(a, "203.0.113.66", "alice").reason()).isEqualTo(Reason.BLOCKED);
    assertThat(attempt(a, "198.51.100.20", "alice").allowed()).as("alice from home").isTrue();
    assertThat(attempt(a, "203.0.113.66", "bob").allowed()).as("another account").isTrue();
    assertThat(attempt(a, "203.0.113.66", null).allowed()).as("naming no account: the client")
        .isTrue();
    assertThat(attempt(a, "203.0.113.66", "ALICE").reason()).as("accounts fold case")
        .isEqualTo(Reason.BLOCKED);
    assertThat(redis.<java.util.Set<String>>withClient(j -> j.keys("rate_limit:login:*")))
        .containsExactlyInAnyOrder(
        "rate_limit:login:a:alice+ip:203.0.113.66",
        "rate_limit:login:a:alice+ip:203.0.113.66:lock",
        "rate_limit:login:a:alice+ip:198.51.100.20", "rate_limit:login:a:bob+ip:203.0.113.66",
        "rate_limit:login:ip:203.0.113.66");

    // Keyed by account alone, every address shares it: the brute force from many addresses.
    RateLimitProfile byAccount = LOGIN.toBuilder().key(BucketKey.ACCOUNT).build();
    RateLimiter c = instance(byAccount);
    int admitted = 0;
    for (int i = 0; i < 6; i++) {
      Req r = new Req();
      r.remote = "192.0.2." + (10 + i);
      r.attributes.put(ClientKeyResolver.ACCOUNT_ATTRIBUTE, "carol");
      Map<String, Object> attributes = new HashMap<>();
      admitted += c.decideOnce(byAccount, r, attributes::get, attributes::put).allowed() ? 1 : 0;
    }
    assertThat(admitted).isEqualTo(3);
  }

  @Test
  void anOperatorsResetEndsALockOnEveryInstance() {
    RateLimiter a = instance(LOGIN);
    RateLimiter b = instance(LOGIN);
    for (int i = 0; i < 4; i++) {
      attempt(a, "192.0.2.7", "dave");
    }
    assertThat(attempt(a, "192.0.2.7", "dave").reason()).isEqualTo(Reason.BLOCKED);
    assertThat(attempt(b, "192.0.2.7", "dave").reason()).isEqualTo(Reason.BLOCKED);
    try (Operations ops = Operations.builder(a.connector()).rateLimiter(a).build()) {
      assertThat(ops.clear("rate_limit:login:a:dave+*", n -> { })).isEqualTo(2);
    }
    assertThat(attempt(a, "192.0.2.7", "dave").allowed()).isTrue();
    // b remembered the lock; the clear's event reaches it (bounded wait for the subscription).
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    RateLimitDecision d;
    while (!(d = attempt(b, "192.0.2.7", "dave")).allowed()) {
      assertThat(d.reason()).isEqualTo(Reason.BLOCKED);
      assertThat(System.nanoTime()).as("b to hear of the reset").isLessThan(deadline);
      Thread.onSpinWait();
    }
  }

  @Test
  void whileRedisIsDownLocksAreKeptInMemory() {
    RateLimiter a = instance(LOGIN);
    attempt(a, "192.0.2.8", "erin");
    // The first subscription doubts what was remembered before it (events may have been
    // missed): wait until it is live, then let Redis be seen once more.
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (!a.connector().events().isLive()) {
      assertThat(System.nanoTime()).as("the subscription").isLessThan(deadline);
      Thread.onSpinWait();
    }
    attempt(a, "192.0.2.8", "erin");
    redis.kill();
    int admitted = 0;
    RateLimitDecision last = null;
    for (int i = 0; i < 6; i++) {
      last = attempt(a, "192.0.2.8", "erin");
      admitted += last.allowed() ? 1 : 0;
    }
    assertThat(admitted).as("the local bucket starts from what Redis had: 1 left").isEqualTo(1);
    assertThat(last.reason()).isEqualTo(Reason.BLOCKED);
    assertThat(last.backend()).isEqualTo(RateLimitDecision.Backend.LOCAL);
  }
}
