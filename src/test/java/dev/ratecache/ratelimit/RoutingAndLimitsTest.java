package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pure pieces: limit syntax, path normalisation and longest-prefix routing. */
class RoutingAndLimitsTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "20/1m | 20 | 20 | PT1M | GREEDY",
      "5/15m | 5 | 5 | PT15M | GREEDY",
      "30 / m | 30 | 30 | PT1M | GREEDY",
      "1000/1d interval | 1000 | 1000 | PT24H | INTERVAL",
      "10/1s burst 50 | 50 | 10 | PT1S | GREEDY",
      "100/500ms | 100 | 100 | PT0.5S | GREEDY",
      "3/2H INTERVAL burst 9 | 9 | 3 | PT2H | INTERVAL",
  })
  void parsesLimits(String text, long capacity, long tokens, Duration period, Limit.Refill refill) {
    Limit l = Limit.parse(text, "x");
    assertThat(l).isEqualTo(new Limit(capacity, tokens, period, refill));
    assertThat(Limit.parse(l.toString(), "x")).as("toString round-trips").isEqualTo(l);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"20", "20 per minute", "0/1m", "20/0s", "20/1w",
      "10/1s burst 5", "-1/1m", "abc", "99999999999999999999/1m"})
  void rejectsMalformedLimitsNamingTheSetting(String text) {
    assertThatThrownBy(() -> Limit.parse(text, "profile.chat.limit"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("profile.chat.limit:");
  }

  @Test
  void parsesSeveralLimits() {
    assertThat(Limit.parseAll("10/1s, 1000/1h", "x"))
        .containsExactly(Limit.of(10, Duration.ofSeconds(1)), Limit.of(1000, Duration.ofHours(1)));
    assertThatThrownBy(() -> Limit.parseAll(" , ", "x")).hasMessageStartingWith("x:");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "/api/chat | /api/chat",
      "//api/chat | /api/chat",
      "/api//chat/ | /api/chat",
      "/api/./chat | /api/chat",
      "/api/x/../chat | /api/chat",
      "/../../api/chat | /api/chat",
      "/api/chat;jsessionid=1 | /api/chat",
      "/api;x=1/chat;y=2/ | /api/chat",
      "/api/%63hat | /api/chat",
      "/api%2Fchat | /api/chat",
      "/api/%2e/chat | /api/chat",
      "/api/chat%3Bx | /api/chat",
      "\\api\\chat | /api/chat",
      "/API/Chat | /api/chat",
      "/api/chat?x=1 | /api/chat",
      "/api/%zz | /api/%zz",
      "/api/caf%C3%A9 | /api/café",
      "/api/chat%20/x | /api/chat/x",
      "'/api/chat /x' | /api/chat/x",
      "/api/%09chat | /api/chat",
      " | /",
      "/ | /",
  })
  void normalisesPaths(String raw, String expected) {
    assertThat(PathNormalizer.normalize(raw == null ? "" : raw, true)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"/ | true", "/api/chat | true", "/api/chat.json | true",
      "/a/.hidden | true", "/a/..x | true", "/api/ | false", "//api | false", "/a/./b | false",
      "/a/../b | false", "/a/. | false", "/a/.. | false", "/a%20b | false", "/a;b | false",
      "api | false"})
  void theFastPathTakesOnlyPathsNormalisingWouldNotChange(String path, boolean canonical) {
    assertThat(PathNormalizer.isCanonical(path)).isEqualTo(canonical);
    if (canonical) {
      assertThat(PathNormalizer.normalize(path, false)).isEqualTo(path);
    } else {
      assertThat(PathNormalizer.normalize(path, false)).isNotEqualTo(path);
    }
  }

  @Test
  void problemBodiesAreValidJsonWithEveryStringEscaped() throws Exception {
    com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
    RateLimitProfile multi = RateLimitProfile.builder("api")
        .limits(Limit.parseAll("10/1s, 1000/1h", "x")).prefix("/api").build();
    for (RateLimitDecision.Outcome outcome : new RateLimitDecision.Outcome[] {
        RateLimitDecision.Outcome.REJECTED, RateLimitDecision.Outcome.UNAVAILABLE}) {
      RateLimitDecision d = new RateLimitDecision(outcome, multi, "ip:1", 0, 1, 7,
          RateLimitDecision.Backend.REDIS);
      var body = json.readTree(Problems.body(d, "https://example.com/probs/\"quoted\"\n"));
      assertThat(body.get("type").asText()).isEqualTo("https://example.com/probs/\"quoted\"\n");
      assertThat(body.get("status").asInt()).isEqualTo(Problems.status(d));
      assertThat(body.get("policy").asText()).isEqualTo("api");
      assertThat(body.get("limits")).hasSize(2);
      assertThat(body.get("retryAfter").asInt()).isEqualTo(7);
    }
    StringBuilder b = new StringBuilder();
    Problems.string(b, "a\\b\u0001\t");
    assertThat(json.readTree(b.toString()).asText()).isEqualTo("a\\b\u0001\t");
  }

  @Test
  void caseIsKeptWhenNotFolding() {
    assertThat(PathNormalizer.normalize("/API/Chat", false)).isEqualTo("/API/Chat");
  }

  private final RouteTable defaults = RouteTable.compile(RateLimitProfile.defaults(), true);

  @ParameterizedTest(name = "{0} {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      "POST | /api/chat | chat",
      "GET | /api/chat/42/messages | chat",
      "POST | /api/chatter | ",
      "POST | /api/chat-room | ",
      "POST | /api | ",
      "POST | //api/chat | chat",
      "POST | /api/./chat | chat",
      "POST | /api/chat;x=1 | chat",
      "POST | /api/%63hat | chat",
      "POST | /API/CHAT | chat",
      "POST | /api/auth/login | auth",
      "POST | /api/upload | upload",
      "GET | /api/search | search",
      "GET | /health | ",
  })
  void matchesLongestPrefixOnSegmentBoundaries(String method, String path, String profile) {
    RateLimitProfile p = defaults.match(method, path);
    assertThat(p == null ? null : p.name()).isEqualTo(profile);
  }

  @Test
  void longerPrefixesAndMethodSpecificProfilesWin() {
    RateLimitProfile api = RateLimitProfile.builder("api").limit(Limit.of(100, Duration.ofMinutes(1)))
        .prefix("/api").build();
    RateLimitProfile writes = RateLimitProfile.builder("writes")
        .limit(Limit.of(10, Duration.ofMinutes(1))).prefix("/api").methods("POST", "put").build();
    RateLimitProfile chat = RateLimitProfile.builder("chat").limit(Limit.of(20, Duration.ofMinutes(1)))
        .prefix("/api/chat").methods("POST").build();
    RouteTable t = RouteTable.compile(List.of(api, writes, chat), false);
    assertThat(t.match("GET", "/api/users").name()).isEqualTo("api");
    assertThat(t.match("PUT", "/api/users").name()).isEqualTo("writes");
    assertThat(t.match("POST", "/api/chat/1").name()).isEqualTo("chat");
    assertThat(t.match("GET", "/api/chat/1").name()).as("falls back to a shorter prefix")
        .isEqualTo("api");
    assertThat(t.match("GET", "/apix")).isNull();
  }

  @Test
  void conflictingProfilesFailAtStartUp() {
    RateLimitProfile a = RateLimitProfile.builder("a").limit(Limit.of(1, Duration.ofSeconds(1)))
        .prefix("/x").build();
    RateLimitProfile b = RateLimitProfile.builder("b").limit(Limit.of(1, Duration.ofSeconds(1)))
        .prefix("/x/").build();
    assertThatThrownBy(() -> RouteTable.compile(List.of(a, b), false))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("profile.b.prefixes")
        .hasMessageContaining("already guarded by profile 'a'");
  }

  @Test
  void profileMisuseIsReportedByName() {
    assertThatThrownBy(() -> RateLimitProfile.builder("Chat!")).hasMessageStartingWith("profile:");
    assertThatThrownBy(() -> RateLimitProfile.builder("chat").build())
        .hasMessageStartingWith("profile.chat.limit:");
    assertThatThrownBy(() -> RateLimitProfile.builder("chat").prefix("api"))
        .hasMessageStartingWith("profile.chat.prefixes:");
    assertThatThrownBy(() -> RateLimitProfile.builder("chat").methods("GE T"))
        .hasMessageStartingWith("profile.chat.methods:");
  }

  @Test
  void draftAndLegacyHeaders() {
    RateLimitProfile chat = RateLimitProfile.defaults().get(0);
    RateLimitDecision d = new RateLimitDecision(RateLimitDecision.Outcome.ALLOWED, chat, "ip:1",
        17, 9, 0, RateLimitDecision.Backend.REDIS);
    java.util.Map<String, String> h = new java.util.LinkedHashMap<>();
    RateLimitHeaders.apply(d, HeaderStyle.BOTH, h::put);
    assertThat(h).containsExactly(
        java.util.Map.entry("RateLimit-Policy", "\"chat\";q=20;w=60"),
        java.util.Map.entry("RateLimit", "\"chat\";r=17;t=9"),
        java.util.Map.entry("X-RateLimit-Limit", "20"),
        java.util.Map.entry("X-RateLimit-Remaining", "17"),
        java.util.Map.entry("X-RateLimit-Reset", "9"));

    RateLimitProfile multi = RateLimitProfile.builder("api")
        .limits(Limit.parseAll("10/1s, 1000/1h", "x")).prefix("/api").build();
    assertThat(RateLimitHeaders.policy(multi)).isEqualTo("\"api\";q=10;w=1, \"api-2\";q=1000;w=3600");

    RateLimitDecision rejected = new RateLimitDecision(RateLimitDecision.Outcome.REJECTED, chat,
        "ip:1", 0, 60, 3, RateLimitDecision.Backend.REDIS);
    h.clear();
    RateLimitHeaders.apply(rejected, HeaderStyle.NONE, h::put);
    assertThat(h).containsExactly(java.util.Map.entry("Retry-After", "3"));
    assertThat(RateLimitHeaders.ceilSeconds(1, 1)).isEqualTo(1);
    assertThat(RateLimitHeaders.ceilSeconds(0, 1)).isEqualTo(1);
    assertThat(RateLimitHeaders.ceilSeconds(2_000_000_001L, 1)).isEqualTo(3);
  }
}
