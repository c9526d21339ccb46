package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.HostAndPort;

/** A failing master's quarantine, as a timeline on an injected clock. */
class ShardHealthTest {
  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final ShardHealth shards = new ShardHealth(
      Backoff.of(Duration.ofMillis(100), Duration.ofMillis(400), 2.0, 0.0), now::get);
  private final HostAndPort a = new HostAndPort("10.0.0.1", 6379);
  private final HostAndPort b = new HostAndPort("10.0.0.2", 6379);

  private void advance(long ms) {
    now.addAndGet(Duration.ofMillis(ms).toNanos());
  }

  @Test
  void aFailedMasterFailsFastUntilItsQuarantineEndsAndOthersNever() {
    assertThat(shards.failsFast(a)).isFalse();
    assertThat(shards.failed(a, "refused")).as("a new failure").isTrue();
    assertThat(shards.failsFast(a)).isTrue();
    assertThat(shards.failsFast(b)).isFalse();
    assertThat(shards.failsFast(null)).as("standalone: no node").isFalse();
    assertThat(shards.failing()).containsExactly("10.0.0.1:6379");
    advance(99);
    assertThat(shards.failsFast(a)).isTrue();
    advance(1);
    assertThat(shards.failsFast(a)).as("its quarantine ended: one call is let through").isFalse();
  }

  @Test
  void eachFailedRetryDoublesTheQuarantineUpToTheCap() {
    shards.failed(a, "refused");
    assertThat(shards.untilNextRetry()).isEqualTo(Duration.ofMillis(100));
    assertThat(shards.failed(a, "refused again")).as("not a new failure").isFalse();
    assertThat(shards.untilNextRetry()).isEqualTo(Duration.ofMillis(200));
    shards.failed(a, "refused");
    shards.failed(a, "refused");
    assertThat(shards.untilNextRetry()).isEqualTo(Duration.ofMillis(400));
    assertThat(shards.reason(a)).isEqualTo("refused");
  }

  @Test
  void aMasterThatServesIsFailingNoLongerAndStartsAgainFromTheFirstDelay() {
    shards.failed(a, "refused");
    shards.failed(a, "refused");
    assertThat(shards.recovered(a)).isTrue();
    assertThat(shards.recovered(a)).as("once").isFalse();
    assertThat(shards.failsFast(a)).isFalse();
    assertThat(shards.failing()).isEmpty();
    shards.failed(a, "refused");
    assertThat(shards.untilNextRetry()).isEqualTo(Duration.ofMillis(100));
    shards.failed(b, "timeout");
    shards.clear();
    assertThat(shards.failingNodes()).isEmpty();
  }
}
