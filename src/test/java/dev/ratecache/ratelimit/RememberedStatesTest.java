package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RememberedStatesTest {
  private static final long TEN_SECONDS = Duration.ofSeconds(10).toNanos();
  private static final byte[] A = {1};
  private static final byte[] B = {2};

  /**
   * A state stored while an invalidation ran is never decided from, but is what the fallback
   * starts from, in place of the older one it replaces.
   */
  @Test
  void aDoubtfulStateIsNeverDecidedFromButBoundsTheFallback() {
    RememberedStates states = new RememberedStates(1000, TEN_SECONDS);
    states.put("k", new byte[] {1}, 0);
    states.put("k", new byte[] {2}, 1, true);
    assertThat(states.get("k", 2, Long.MIN_VALUE)).as("to decide from").isNull();
    assertThat(states.get("k", 2)).as("the fallback's bound").containsExactly(2);
    states.put("k", new byte[] {3}, 3);
    assertThat(states.get("k", 4, Long.MIN_VALUE)).containsExactly(3);
  }

  @Test
  void aStateIsRememberedUntilItIsTooOld() {
    RememberedStates states = new RememberedStates(1000, TEN_SECONDS);
    states.put("k", A, 5_000);
    assertThat(states.get("k", 5_000)).isSameAs(A);
    assertThat(states.get("k", 5_000 + TEN_SECONDS - 1)).isSameAs(A);
    assertThat(states.get("k", 5_000 + TEN_SECONDS)).as("ten seconds old").isNull();
    assertThat(states.get("k", 4_999)).as("a clock that went back").isNull();
    assertThat(states.get("other", 5_000)).isNull();
  }

  @Test
  void theLatestWriteWinsAndRemoveForgets() {
    RememberedStates states = new RememberedStates(1000, TEN_SECONDS);
    states.put("k", A, 1);
    states.put("k", B, 2);
    assertThat(states.get("k", 3)).isSameAs(B);
    states.remove("k");
    assertThat(states.get("k", 3)).isNull();
  }

  @Test
  void removeIfForgetsExactlyTheMatchingKeys() {
    RememberedStates states = new RememberedStates(1000, TEN_SECONDS);
    states.put("chat:a", A, 1);
    states.put("chat:b", A, 1);
    states.put("auth:a", B, 1);
    states.removeIf(k -> k.startsWith("chat:"));
    assertThat(states.get("chat:a", 1)).isNull();
    assertThat(states.get("chat:b", 1)).isNull();
    assertThat(states.get("auth:a", 1)).isSameAs(B);
  }

  @Test
  void twoKeysThatShareASlotAreBothKept() {
    // In a table of two slots every key can use both: the second key takes the free one.
    RememberedStates states = new RememberedStates(2, TEN_SECONDS);
    states.put("x", A, 1);
    states.put("y", B, 2);
    assertThat(states.get("x", 3)).isSameAs(A);
    assertThat(states.get("y", 3)).isSameAs(B);
    // A third pushes out the older of its two candidates, never a newer one.
    states.put("z", A, 3);
    assertThat(states.get("z", 4)).isSameAs(A);
    assertThat(states.get("y", 4)).isSameAs(B);
    assertThat(states.get("x", 4)).isNull();
  }

  @Test
  void memoryIsBoundedByTheCapacityWhateverTheKeys() {
    RememberedStates states = new RememberedStates(64, TEN_SECONDS);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) {
      keys.add("client:" + i);
      states.put("client:" + i, A, i);
    }
    long remembered = keys.stream().filter(k -> states.get(k, 100_000) != null).count();
    assertThat(remembered).isPositive().isLessThanOrEqualTo(64);
  }

  @Test
  void mostOfAWorkingSetFarSmallerThanTheTableIsKept() {
    // 10,000 buckets cycled in a table of 100,000 slots, as the load harness's C1 row does.
    RememberedStates states = new RememberedStates(100_000, TEN_SECONDS);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 10_000; i++) {
        states.put("k" + i, A, round * 10_000L + i);
      }
    }
    long kept = 0;
    for (int i = 0; i < 10_000; i++) {
      kept += states.get("k" + i, 30_000) != null ? 1 : 0;
    }
    assertThat(kept).as("kept of 10,000").isGreaterThanOrEqualTo(9_900);
  }
}
