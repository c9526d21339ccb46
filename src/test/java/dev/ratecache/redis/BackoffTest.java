package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class BackoffTest {
  private final Backoff backoff =
      Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(2), 2.0, 0.2);

  @Test
  void doublesFromInitialUntilTheCapWithoutJitterAtTheMidpoint() {
    assertThat(backoff.delay(0, 0.5)).isEqualTo(Duration.ofMillis(100));
    assertThat(backoff.delay(1, 0.5)).isEqualTo(Duration.ofMillis(200));
    assertThat(backoff.delay(3, 0.5)).isEqualTo(Duration.ofMillis(800));
    assertThat(backoff.delay(4, 0.5)).isEqualTo(Duration.ofMillis(1600));
    assertThat(backoff.delay(5, 0.5)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delay(10_000, 0.5)).as("no overflow").isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void jitterSpreadsWithinTheFractionAndNeverPassesTheCap() {
    assertThat(backoff.delay(1, 0.0)).isEqualTo(Duration.ofMillis(160));
    assertThat(backoff.delay(1, 0.999999)).isBetween(Duration.ofMillis(239), Duration.ofMillis(240));
    assertThat(backoff.delay(20, 0.999999)).isEqualTo(Duration.ofSeconds(2));
    assertThat(backoff.delay(20, 0.0)).isEqualTo(Duration.ofMillis(1600));
  }

  @Test
  void outOfRangeRandomSamplesAreClamped() {
    assertThat(backoff.delay(0, -3)).isEqualTo(Duration.ofMillis(80));
    assertThat(backoff.delay(0, Double.NaN)).isEqualTo(Duration.ofMillis(80));
    assertThat(backoff.delay(0, 7)).isEqualTo(Duration.ofMillis(120));
  }

  @Test
  void rejectsNonsenseWithTheParameterName() {
    assertThatThrownBy(() -> Backoff.exponential(Duration.ZERO, Duration.ofSeconds(1)))
        .hasMessageContaining("initial");
    assertThatThrownBy(() -> Backoff.exponential(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .hasMessageContaining("max");
    assertThatThrownBy(() -> Backoff.of(Duration.ofMillis(1), Duration.ofSeconds(1), 0.5, 0))
        .hasMessageContaining("multiplier");
    assertThatThrownBy(() -> Backoff.of(Duration.ofMillis(1), Duration.ofSeconds(1), 2, 1.0))
        .hasMessageContaining("jitter");
    assertThatThrownBy(() -> backoff.delay(-1, 0.5)).hasMessageContaining("attempt");
  }
}
