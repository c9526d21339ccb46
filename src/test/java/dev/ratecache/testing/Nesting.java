package dev.ratecache.testing;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.extension.ExtensionContext;

/** Tells whether an extension callback is for a {@code @Nested} test class. */
final class Nesting {
  private Nesting() {}

  static boolean isNested(ExtensionContext context) {
    return context.getTestClass().map(c -> c.isAnnotationPresent(Nested.class)).orElse(false);
  }
}
