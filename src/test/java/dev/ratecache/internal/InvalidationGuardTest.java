package dev.ratecache.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The guard as a timeline: what a store read before an invalidation may leave behind. */
class InvalidationGuardTest {
  private final InvalidationGuard guard = new InvalidationGuard();
  private final Map<String, String> copies = new HashMap<>();

  private boolean store(long mark, String key, String value) {
    return guard.storeIfUnchanged(mark, () -> copies.put(key, value), () -> copies.remove(key));
  }

  @Test
  void aStoreWithNoInvalidationSinceItsMarkStands() {
    long mark = guard.mark();
    assertThat(store(mark, "k", "v")).isTrue();
    assertThat(copies).containsEntry("k", "v");
  }

  @Test
  void aStoreReadBeforeAnInvalidationIsNotMade() {
    long mark = guard.mark();
    guard.invalidate(() -> copies.remove("k"));
    assertThat(store(mark, "k", "stale")).isFalse();
    assertThat(copies).doesNotContainKey("k");
  }

  @Test
  void anInvalidationThatLandsWhileTheStoreRunsMakesItUndoItself() {
    long mark = guard.mark();
    boolean stood = guard.storeIfUnchanged(mark, () -> {
      copies.put("k", "stale");
      guard.invalidate(() -> copies.remove("other")); // forgets before our put is visible to it
    }, () -> copies.remove("k"));
    assertThat(stood).isFalse();
    assertThat(copies).doesNotContainKey("k");
  }

  @Test
  void aStoreAfterTheInvalidationWithAFreshMarkStands() {
    guard.invalidate(() -> { });
    long mark = guard.mark();
    assertThat(store(mark, "k", "fresh")).isTrue();
    assertThat(copies).containsEntry("k", "fresh");
  }
}
