package dev.ratecache.examples.boot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.RedisServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The demo deployed under a context path, as an adopter's app often is, against a client that
 * spells paths oddly: every spelling that reaches the chat prefix is charged to one bucket.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "server.servlet.context-path=/shop",
    "ratecache.ratelimit.profile.chat.limit=3/1m",
    "ratecache.ratelimit.profile.search.limit=1/1m"})
class ContextPathIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @LocalServerPort
  int port;

  @DynamicPropertySource
  static void redisPort(DynamicPropertyRegistry registry) {
    BootTests.redisPort(registry, redis);
  }

  private int send(String method, String rawPath) throws Exception {
    return BootTests.send(port, method, rawPath).statusCode();
  }

  @Test
  void oddSpellingsUnderTheContextPathAreChargedToTheSameBucket() throws Exception {
    // An encoded letter and another case: whatever the controller makes of them, the filter
    // charges them to the chat profile.
    for (String path : new String[] {"/shop/api/%63hat", "/shop/API/chat", "/shop/api/chat"}) {
      assertThat(send("POST", path)).as(path).isNotEqualTo(429);
    }
    assertThat(send("POST", "/shop/api/chat")).as("the fourth, however spelled before")
        .isEqualTo(429);
    assertThat(send("POST", "/shop/api/%63hat")).isEqualTo(429);
  }

  @Test
  void rateLimitedOnAControllerHoldsUnderTheContextPath() throws Exception {
    assertThat(send("GET", "/shop/reports/a")).isEqualTo(200);
    assertThat(send("GET", "/shop/reports/b")).as("search: 1/min").isEqualTo(429);
  }
}
