package dev.ratecache.cache;

import java.util.concurrent.atomic.AtomicBoolean;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Kept invalidations as {@link CacheStores} uses them, model-checked by Lincheck: an invalidation
 * that could not be made marks Redis stale and is kept; a writer (a reader's inline write, or the
 * background one after a recovery) takes the kept token, makes the removal in Redis, and forgets
 * the entry with that token. In every interleaving the model checker explores, Redis is never
 * stale without the invalidation still being kept: one kept again while an earlier one was being
 * written is never forgotten by that earlier write.
 */
public class PendingInvalidationsLincheckTest {
  private final PendingInvalidations pending = new PendingInvalidations();
  /** Whether Redis holds a value that an invalidation removed. */
  private final AtomicBoolean stale = new AtomicBoolean();

  /** A row changed and its invalidation could not reach Redis: kept for later. */
  @Operation
  public void invalidateWhileUnreachable() {
    stale.set(true);
    pending.keep(PendingInvalidations.Kind.KEY, "k");
  }

  /** Makes the kept invalidation, as {@code CacheStores.write} does. */
  @Operation
  public void write() {
    Object token = pending.token(PendingInvalidations.Kind.KEY, "k");
    if (token != null) {
      stale.set(false); // the tombstone
      pending.written(PendingInvalidations.Kind.KEY, "k", token);
    }
  }

  /** The promise, once every operation returned: Redis is current, or the invalidation kept. */
  @Validate
  public void redisIsCurrentOrTheInvalidationIsKept() {
    if (stale.get() && pending.token(PendingInvalidations.Kind.KEY, "k") == null) {
      throw new IllegalStateException("Redis holds what an invalidation removed, and nothing"
          + " keeps the invalidation");
    }
  }

  /** The sequential model: the operations return nothing; the validation is the check. */
  public static final class Model {
    public void invalidateWhileUnreachable() {}

    public void write() {}
  }

  @Test
  void noKeptInvalidationIsLost() {
    new ModelCheckingOptions().iterations(30).invocationsPerIteration(500)
        .actorsBefore(1).threads(2).actorsPerThread(2).actorsAfter(0).sequentialSpecification(Model.class)
        .check(PendingInvalidationsLincheckTest.class);
  }
}
