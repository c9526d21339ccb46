package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.ratelimit.ClientKeyResolverTest.Req;
import dev.ratecache.testing.MutableClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Lockout and bucket-key settings, and the in-memory lockout of the fallback. */
class LockoutTest {
  private static RateLimiter limiter(Map<String, String> params) {
    Map<String, String> all = new HashMap<>(params);
    all.put("REDIS_ENABLED", "false");
    return RateLimiter.builder().environment(n -> null).params(all).build();
  }

  @Test
  void settingsAreReadAndMalformedOnesFailNamingTheSetting() {
    try (RateLimiter l = limiter(Map.of("profile.auth.lockout", "30s",
        "profile.auth.lockout-max", "10m", "profile.auth.key", "account+client"))) {
      RateLimitProfile auth = l.profile("auth").orElseThrow();
      assertThat(auth.lockout()).contains(new Lockout(Duration.ofSeconds(30),
          Duration.ofMinutes(10), Duration.ofHours(1)));
      assertThat(auth.key()).isEqualTo(BucketKey.ACCOUNT_AND_CLIENT);
    }
    try (RateLimiter l = limiter(Map.of("profile.auth.lockout", "2h"))) {
      assertThat(l.profile("auth").orElseThrow().lockout().orElseThrow().max())
          .as("the default cap is never under the first block").isEqualTo(Duration.ofHours(2));
    }
    assertThatThrownBy(() -> limiter(Map.of("profile.auth.lockout", "soon")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.auth.lockout");
    assertThatThrownBy(() -> limiter(Map.of("profile.auth.lockout", "10m",
        "profile.auth.lockout-max", "1m"))).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("profile.auth.lockout").hasMessageContaining("under its first");
    assertThatThrownBy(() -> limiter(Map.of("profile.auth.lockout-max", "1h")))
        .hasMessageContaining("need profile.auth.lockout");
    assertThatThrownBy(() -> limiter(Map.of("profile.auth.lockout", "400d")))
        .hasMessageContaining("1s to 30d");
    assertThatThrownBy(() -> limiter(Map.of("profile.auth.key", "cookie")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.auth.key");
  }

  @Test
  void blocksDoubleToTheCap() {
    Lockout l = new Lockout(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofHours(1));
    assertThat(new long[] {l.blockMillis(0), l.blockMillis(1), l.blockMillis(2),
        l.blockMillis(3), l.blockMillis(1_000_000)})
        .containsExactly(60_000, 120_000, 240_000, 300_000, 300_000);
  }

  /** Without Redis: the same escalation, in memory, on the limiter's clock. */
  @Test
  void withoutRedisTheLockoutEscalatesInMemory() {
    MutableClock clock = MutableClock.startingNow();
    RateLimitProfile login = RateLimitProfile.builder("login").limit(Limit.of(1,
        Duration.ofHours(1))).lockout(new Lockout(Duration.ofMinutes(1), Duration.ofMinutes(2),
        Duration.ofMinutes(10))).key(BucketKey.ACCOUNT).build();
    try (RateLimiter l = RateLimiter.builder().environment(n -> n.equals("REDIS_ENABLED")
        ? "false" : null).clock(clock).profiles(java.util.List.of(login)).build()) {
      Req r = new Req();
      r.attributes.put(ClientKeyResolver.ACCOUNT_ATTRIBUTE, "Zoe");
      Map<String, Object> a = new HashMap<>();
      java.util.function.Supplier<RateLimitDecision> attempt = () -> {
        a.clear();
        return l.decideOnce(login, r, a::get, a::put);
      };
      assertThat(attempt.get().clientKey()).isEqualTo("a:zoe");
      assertThat(attempt.get().retryAfterSeconds()).isEqualTo(60);
      assertThat(attempt.get().reason()).isEqualTo(RateLimitDecision.Reason.BLOCKED);
      clock.advance(Duration.ofSeconds(61));
      assertThat(attempt.get().retryAfterSeconds()).isEqualTo(120);
      clock.advance(Duration.ofSeconds(121));
      assertThat(attempt.get().retryAfterSeconds()).as("capped").isEqualTo(120);
      assertThat(l.stats().profiles().get("login").lockouts()).isEqualTo(3);
      assertThat(l.stats().profiles().get("login").blocked()).isEqualTo(1);
    }
  }
}
