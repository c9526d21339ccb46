package dev.ratecache.testing;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/**
 * Waits for something that happens on another thread or process (a pub/sub message, a
 * resubscription): polls every 10 ms and fails the test, naming what it waited for, if it does
 * not happen in time. Only for what has no clock to advance.
 */
public final class Await {
  private Await() {}

  /** Returns once {@code condition} holds; throws {@link AssertionError} after {@code within}. */
  public static void until(String what, Duration within, BooleanSupplier condition) {
    long deadline = System.nanoTime() + within.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + within + ": " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting: " + what, e);
      }
    }
  }

  /** {@link #until(String, Duration, BooleanSupplier)} within 5 seconds. */
  public static void until(String what, BooleanSupplier condition) {
    until(what, Duration.ofSeconds(5), condition);
  }
}
