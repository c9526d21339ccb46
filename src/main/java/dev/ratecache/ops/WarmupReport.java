package dev.ratecache.ops;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What a warm-up did, warmer by warmer.
 *
 * @param startedAt when it began
 * @param took how long all warmers took together
 * @param results one per warmer, in registration order
 */
public record WarmupReport(Instant startedAt, Duration took, List<Result> results) {

  /**
   * One warmer's outcome.
   *
   * @param name the warmer
   * @param entries entries it wrote (0 if it failed)
   * @param took how long it ran
   * @param error what it threw, or {@code null} if it succeeded
   */
  public record Result(String name, int entries, Duration took, String error) {
    public boolean succeeded() {
      return error == null;
    }
  }

  public WarmupReport {
    results = List.copyOf(results);
  }

  /** True if every warmer succeeded. */
  public boolean succeeded() {
    return results.stream().allMatch(Result::succeeded);
  }

  /** Entries written by all warmers. */
  public int entries() {
    return results.stream().mapToInt(Result::entries).sum();
  }
}
