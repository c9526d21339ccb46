package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.testing.MutableClock;
import io.github.bucket4j.BucketConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fallback's buckets start from what Redis last had, and never hold more than that. */
class LocalBucketStoreTest {
  private final MutableClock clock = MutableClock.startingNow();
  private final LocalBucketStore store = new LocalBucketStore(100, Duration.ofHours(1), clock);
  private final BucketConfiguration tenAMinute = BucketConfiguration.builder()
      .addLimit(Limit.parse("10/1m", "p").toBandwidth()).build();

  @Test
  void aNewBucketStartsFromTheSeed() {
    assertThat(store.tryConsumeSeeded("k", tenAMinute, 3).remaining()).isEqualTo(2);
    assertThat(store.tryConsumeSeeded("k", tenAMinute, -1).remaining()).isEqualTo(1);
  }

  @Test
  void aBucketHeldFromAnEarlierOutageIsLoweredToWhatRedisHadSince() {
    store.tryConsumeSeeded("k", tenAMinute, 5); // an outage: the client had 5 left on Redis
    clock.advance(Duration.ofSeconds(30)); // back on Redis, where the fleet used them all
    // the next outage: Redis last said 0 left; the bucket held here has refilled to 9
    assertThat(store.tryConsumeSeeded("k", tenAMinute, 0).consumed()).isFalse();
    clock.advance(Duration.ofSeconds(12)); // two tokens refilled here, five on Redis
    assertThat(store.tryConsumeSeeded("k", tenAMinute, 5).remaining()).isEqualTo(1);
  }

  @Test
  void aBucketHeldWithFewerTokensThanTheSeedKeepsItsOwnCount() {
    store.tryConsumeSeeded("k", tenAMinute, 1);
    assertThat(store.tryConsumeSeeded("k", tenAMinute, 8).consumed())
        .as("the seed raises nothing: the bucket here counts what this outage admitted")
        .isFalse();
  }
}
