package dev.ratecache.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;

/** One throttle window per kind of error, on an injected clock. */
class ThrottledLogTest {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-11-30T10:00:00Z"));
  private final ThrottledLog log = new ThrottledLog(LoggerFactory.getLogger(getClass()),
      Duration.ofSeconds(30), clock);

  @Test
  void aNewKindOfErrorIsLoggedEvenRightAfterAnother() {
    JedisConnectionException timeout = new JedisConnectionException("Read timed out");
    JedisDataException oom = new JedisDataException("OOM command not allowed when used memory");
    assertThat(log.warn("call failed", timeout)).isTrue();
    clock.advance(Duration.ofSeconds(13));
    assertThat(log.warn("call failed", oom)).as("first OOM, 13 s after a timeout").isTrue();
    assertThat(log.warn("call failed", oom)).as("second OOM").isFalse();
    assertThat(log.warn("call failed", timeout)).as("timeout again within 30 s").isFalse();
    clock.advance(Duration.ofSeconds(17));
    assertThat(log.warn("call failed", timeout)).as("30 s after the first timeout").isTrue();
    assertThat(log.warn("call failed", oom)).as("OOM's own window is still open").isFalse();
  }

  @Test
  void kindsAreTheRootCauseAndTheFirstWordOfItsMessage() {
    assertThat(ThrottledLog.kind("x", new RuntimeException("wrapped",
        new JedisDataException("READONLY You can't write against a read only replica."))))
        .isEqualTo("JedisDataException READONLY");
    assertThat(ThrottledLog.kind("slow call: 300 ms", null)).isEqualTo("slow call");
  }

  @Test
  void theNumberOfKindsTrackedIsBounded() {
    for (int i = 0; i < 1_000; i++) {
      log.warn("x", new JedisDataException("ERR" + i + " something"));
    }
    assertThat(log.warn("x", new JedisDataException("NEWKIND after many")))
        .as("beyond the bound, kinds share one window, already used").isFalse();
  }
}
