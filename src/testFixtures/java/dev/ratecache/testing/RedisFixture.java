package dev.ratecache.testing;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The JUnit 5 life cycle shared by the Redis fixtures: start before the declaring test class,
 * stop after it. JUnit calls an outer class's static extensions again for each {@code @Nested}
 * class; those calls are ignored, so nested classes share the servers of their outer class.
 */
abstract class RedisFixture implements BeforeAllCallback, AfterAllCallback, AutoCloseable {
  /** Starts the servers (idempotent) and waits until they answer. */
  abstract RedisFixture startAll();

  /** Stops the servers and forgets them. */
  @Override
  public abstract void close();

  @Override
  public final void beforeAll(ExtensionContext context) {
    if (!isNested(context)) {
      startAll();
    }
  }

  @Override
  public final void afterAll(ExtensionContext context) {
    if (!isNested(context)) {
      close();
    }
  }

  private static boolean isNested(ExtensionContext context) {
    return context.getTestClass().map(c -> c.isAnnotationPresent(Nested.class)).orElse(false);
  }
}
