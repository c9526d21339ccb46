package dev.ratecache.internal;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * The guard as the near cache and the limiter use it, model-checked by Lincheck: a source with a
 * version, a copy in a map, readers that copy the source under a {@link InvalidationGuard#mark()},
 * writers that change the source and invalidate the copy. Every interleaving the model checker
 * explores must be linearizable to the sequential model: {@code copy()} returns the source's
 * version at some point within the call, or nothing; never a version a completed write replaced.
 */
public class InvalidationGuardLincheckTest {
  private final InvalidationGuard guard = new InvalidationGuard();
  private final AtomicInteger source = new AtomicInteger();
  private final ConcurrentHashMap<String, Integer> copies = new ConcurrentHashMap<>();

  /** Reads the source and keeps a copy, unless an invalidation intervened. */
  @Operation
  public void refresh() {
    long mark = guard.mark();
    int version = source.get();
    guard.storeIfUnchanged(mark, () -> copies.put("k", version));
  }

  /**
   * Changes the source, then invalidates the copy: forgets what the change made stale (a copy of
   * an older version), as every user of the guard does; a copy a concurrent reader took of the
   * new version may stand.
   */
  @Operation
  public void write() {
    int version = source.incrementAndGet();
    guard.invalidate(() -> copies.computeIfPresent("k", (k, v) -> v < version ? null : v));
  }

  /** The copy, if it is current: -1 for none, else the version it holds. */
  @Operation
  public int copy() {
    Integer v = copies.get("k");
    return v == null ? -1 : v;
  }

  /** What the copy can be: the sequential model of a cache in front of a versioned source. */
  public static final class Model {
    private int source;
    private int copy = -1;

    public void refresh() {
      copy = source;
    }

    public void write() {
      source++;
      copy = -1;
    }

    public int copy() {
      return copy;
    }
  }

  @Test
  void everyInterleavingIsLinearizable() {
    new ModelCheckingOptions().iterations(40).invocationsPerIteration(1_000)
        .threads(3).actorsPerThread(3).sequentialSpecification(Model.class)
        .check(InvalidationGuardLincheckTest.class);
  }
}
