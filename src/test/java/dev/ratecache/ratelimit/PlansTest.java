package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.ratelimit.ClientKeyResolverTest.Req;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.remote.MutableBucketEntry;
import io.github.bucket4j.distributed.remote.commands.CreateInitialStateAndExecuteCommand;
import io.github.bucket4j.distributed.remote.commands.TryConsumeAndReturnRemainingTokensCommand;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Plans without Redis: where a plan comes from (never the client), how profiles read their
 * limits per plan, and the one rule by which a bucket changes configuration.
 */
class PlansTest {
  private static final Map<String, String> NO_REDIS = Map.of("REDIS_ENABLED", "false");

  private static RateLimiter limiter(Map<String, String> params) {
    Map<String, String> all = new java.util.HashMap<>(params);
    all.putAll(NO_REDIS);
    return RateLimiter.builder().environment(n -> null).params(all).build();
  }

  @Test
  void profilesReadALimitPerPlanAndMalformedOnesFailNamingTheSetting() {
    try (RateLimiter l = limiter(Map.of("profiles", "chat", "profile.chat.limit", "2/1m",
        "profile.chat.limit.pro", "5/1m, 100/1d"))) {
      assertThat(l.profile("chat").orElseThrow().planLimits()).containsExactly(Map.entry("pro",
          List.of(Limit.of(5, Duration.ofMinutes(1)), Limit.of(100, Duration.ofDays(1)))));
    }
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.limit.Pro", "5/1m")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.chat.limit.Pro");
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.limit.pro", "2000000000/1s")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.chat.limit.pro")
        .hasMessageContaining("one token per nanosecond");
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.limit.pro", "lots")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.chat.limit.pro");
    assertThatThrownBy(() -> limiter(Map.of("overrides-max", "0")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("overrides-max");
  }

  @Test
  void weightedCostIsReadChargedAllOrNothingAndCheckedAtStartUp() {
    try (RateLimiter l = limiter(Map.of("profiles", "export", "profile.export.limit", "25/1h",
        "profile.export.cost", "10", "profile.export.cost-on-hit", "1"))) {
      RateLimitProfile export = l.profile("export").orElseThrow();
      assertThat(export.cost()).isEqualTo(10);
      assertThat(export.costOnHit()).isEqualTo(1);
      RateLimitDecision first = l.tryAcquire("export", "a");
      assertThat(first.cost()).isEqualTo(10);
      assertThat(first.remaining()).isEqualTo(15);
      assertThat(l.tryAcquire("export", "a").remaining()).isEqualTo(5);
      assertThat(l.tryAcquire("export", "a").allowed()).as("5 left: all or nothing").isFalse();
      // Answered from the cache: 9 of the 10 given back.
      RateLimitDecision hit = l.tryAcquire("export", "b");
      l.settle(hit, 200, true);
      assertThat(l.status("export", "b").remaining()).isEqualTo(24);
      l.settle(l.tryAcquire("export", "b"), 200, false);
      assertThat(l.status("export", "b").remaining()).as("a miss pays in full").isEqualTo(14);
    }
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.cost", "0")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.chat.cost");
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.cost", "2",
        "profile.chat.cost-on-hit", "3"))).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("profile.chat.cost-on-hit");
    assertThatThrownBy(() -> limiter(Map.of("profile.chat.cost", "many")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("profile.chat.cost");
  }

  @Test
  void aClientOnAPlanHasItsLimitAndChangingPlanNeverAddsTokens() {
    try (RateLimiter l = limiter(Map.of("profiles", "chat", "profile.chat.limit", "2/1h",
        "profile.chat.limit.pro", "5/1h"))) {
      int pro = 0;
      for (int i = 0; i < 7; i++) {
        pro += l.tryAcquire("chat", "p", "pro").allowed() ? 1 : 0;
      }
      assertThat(pro).isEqualTo(5);
      RateLimitDecision d = l.tryAcquire("chat", "q", "pro");
      assertThat(d.profile().limits()).containsExactly(Limit.of(5, Duration.ofHours(1)));
      assertThat(d.remaining()).isEqualTo(4);
      // q moves down to the profile's 2/1h: it keeps 2 of its 4; back up: still 1 after one.
      assertThat(l.tryAcquire("chat", "q").remaining()).isEqualTo(1);
      assertThat(l.tryAcquire("chat", "q", "pro").remaining()).isZero();
      assertThat(l.tryAcquire("chat", "q", "pro").allowed()).isFalse();
      assertThat(l.tryAcquire("chat", "r", "gold").profile().limits())
          .as("a plan no profile names").containsExactly(Limit.of(2, Duration.ofHours(1)));
    }
  }

  @Test
  void thePlanComesFromTheVerifierOrTheApplicationNeverFromTheClient() {
    ClientKeyResolver resolver = ClientKeyResolver.builder()
        .apiKeyVerifier(ApiKeyVerifier.withPlans(key -> switch (key) {
          case "k-pro" -> new ApiKeyVerifier.Owner("acme", "pro");
          case "k-odd" -> new ApiKeyVerifier.Owner("odd", "Not A Plan");
          case "k-none" -> new ApiKeyVerifier.Owner("plain", null);
          default -> null;
        })).build();
    assertThat(resolver.identify(new Req().header("X-API-Key", "k-pro")))
        .isEqualTo(new ClientKeyResolver.Identity("k:" + ClientKeyResolver.hash("acme"), "pro"));
    assertThat(resolver.identify(new Req().header("X-API-Key", "k-odd")).plan()).isNull();
    assertThat(resolver.identify(new Req().header("X-API-Key", "k-none")).plan()).isNull();
    // A forged key, and headers naming a plan: the address, no plan.
    Req forged = new Req().header("X-API-Key", "guess").header("X-Plan", "pro")
        .header("Plan", "pro");
    assertThat(resolver.identify(forged))
        .isEqualTo(new ClientKeyResolver.Identity("ip:198.51.100.7", null));
    // The application's attribute wins; a malformed one is ignored.
    Req app = new Req().header("X-API-Key", "k-pro");
    app.attributes.put(ClientKeyResolver.PLAN_ATTRIBUTE, "partner");
    assertThat(resolver.identify(app).plan()).isEqualTo("partner");
    app.attributes.put(ClientKeyResolver.PLAN_ATTRIBUTE, "pro\nX-Evil: 1");
    assertThat(resolver.identify(app).plan()).isEqualTo("pro");
    // A plain verifier names no plan.
    ClientKeyResolver plain = ClientKeyResolver.builder()
        .apiKeyVerifier(ApiKeyVerifier.of(k -> k.equals("k"))).build();
    assertThat(plain.identify(new Req().header("X-API-Key", "k")).plan()).isNull();
  }

  private static BucketConfiguration config(long capacity) {
    return BucketConfiguration.builder()
        .addLimit(Limit.of(capacity, Duration.ofHours(1)).toBandwidth()).build();
  }

  private static long consume(MutableBucketEntry entry, BucketConfiguration config, long rev,
      long now) {
    if (entry.exists()) {
      BucketConfigurations.follow(entry, config, rev, now);
    }
    return new CreateInitialStateAndExecuteCommand<>(config,
        new TryConsumeAndReturnRemainingTokensCommand(1)).execute(entry, now).getData()
        .getRemainingTokens();
  }

  /**
   * The rule for buckets in Redis: a configuration written under a newer override revision
   * stands for an instance that has not heard of it; otherwise the caller's replaces it, keeping
   * the tokens left (at most the new capacity).
   */
  @Test
  void aBucketFollowsTheNewestRevisionAndKeepsItsTokens() {
    MutableBucketEntry entry = new MutableBucketEntry((byte[]) null);
    assertThat(consume(entry, config(10), 0, 0)).isEqualTo(9);
    // Revision 3 lowers it to 4: 9 -> 4, one taken.
    assertThat(consume(entry, config(4), 3, 1)).isEqualTo(3);
    assertThat(entry.get().getConfigurationVersion()).isEqualTo(3L);
    // An instance still at revision 2 with the old 10: the stored 4 decides.
    assertThat(consume(entry, config(10), 2, 2)).isEqualTo(2);
    assertThat(entry.get().getConfiguration()).isEqualTo(config(4));
    // One at revision 5 (the override removed): its 10 replaces it; the 2 tokens are kept.
    assertThat(consume(entry, config(10), 5, 3)).isEqualTo(1);
    assertThat(entry.get().getConfiguration()).isEqualTo(config(10));
    assertThat(entry.get().getConfigurationVersion()).isEqualTo(5L);
  }
}
