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
    return guard.storeIfUnchanged(mark, () -> copies.put(key, value));
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
  void anInvalidationWaitsForAStoreUnderWayAndThenForgetsIt() throws Exception {
    java.util.concurrent.CountDownLatch storing = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch finish = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.ConcurrentHashMap<String, String> shared =
        new java.util.concurrent.ConcurrentHashMap<>();
    long mark = guard.mark();
    Thread store = new Thread(() -> guard.storeIfUnchanged(mark, () -> {
      shared.put("k", "read before the invalidation");
      storing.countDown();
      try {
        finish.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    store.start();
    storing.await();
    Thread invalidation = new Thread(() -> guard.invalidate(() -> shared.remove("k")));
    invalidation.start();
    // The invalidation has begun (the count moved) but cannot forget while the store runs.
    dev.ratecache.testing.Await.until("the invalidation began", () -> guard.mark() == mark + 1);
    assertThat(invalidation.isAlive()).as("still waiting for the store").isTrue();
    assertThat(shared).containsKey("k");
    finish.countDown();
    store.join();
    invalidation.join();
    assertThat(shared).as("forgotten once the store had landed").doesNotContainKey("k");
  }

  @Test
  void aStoreAfterTheInvalidationWithAFreshMarkStands() {
    guard.invalidate(() -> { });
    long mark = guard.mark();
    assertThat(store(mark, "k", "fresh")).isTrue();
    assertThat(copies).containsEntry("k", "fresh");
  }
}
