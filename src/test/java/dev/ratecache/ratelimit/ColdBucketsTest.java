package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ColdBucketsTest {
  private static void window(ColdBuckets cold, int existing) {
    for (int i = 0; i < ColdBuckets.WINDOW; i++) {
      cold.record(i < existing);
    }
  }

  @Test
  void newBucketsKeepThePlainSetAndAFleetsExistingOnesSwitchToTheScript() {
    ColdBuckets cold = new ColdBuckets();
    assertThat(cold.expectExisting()).as("at start").isFalse();
    window(cold, ColdBuckets.WINDOW / 8); // one in eight: not more than one in eight
    assertThat(cold.expectExisting()).isFalse();
    window(cold, ColdBuckets.WINDOW / 8 + 1);
    assertThat(cold.expectExisting()).isTrue();
    window(cold, 3);
    assertThat(cold.expectExisting()).as("back once they are mostly new again").isFalse();
  }

  @Test
  void nothingChangesBeforeAWindowIsFull() {
    ColdBuckets cold = new ColdBuckets();
    for (int i = 0; i < ColdBuckets.WINDOW - 1; i++) {
      cold.record(true);
    }
    assertThat(cold.expectExisting()).isFalse();
    cold.record(true);
    assertThat(cold.expectExisting()).isTrue();
  }
}
