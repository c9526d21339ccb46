package dev.ratecache.internal;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A resource opened on first use, at most once: an event subscription (which starts the
 * subscription thread) opened by the first decision or cache read instead of by a builder's
 * {@code build()}. Closing it first means it never opens. Thread-safe; after the first use,
 * {@link #ensureOpen()} costs one volatile read.
 */
public final class OnFirstUse implements AutoCloseable {
  private final Supplier<? extends AutoCloseable> opener;
  private volatile boolean settled;
  private AutoCloseable resource;

  public OnFirstUse(Supplier<? extends AutoCloseable> opener) {
    this.opener = Objects.requireNonNull(opener, "opener");
  }

  /** Opens the resource unless it is open already or closed. */
  public void ensureOpen() {
    if (!settled) {
      synchronized (this) {
        if (!settled) {
          resource = opener.get();
          settled = true;
        }
      }
    }
  }

  @Override
  public synchronized void close() throws Exception {
    settled = true;
    AutoCloseable r = resource;
    resource = null;
    if (r != null) {
      r.close();
    }
  }
}
