package dev.ratecache.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * The Java a run names is the Java it runs on: the java-25 executions of the root pom would
 * otherwise pass on Java 17 if their {@code jvm} setting were lost.
 */
class JavaVersionIT {
  @Test
  void runsOnTheJavaTheExecutionNames() {
    String expected = System.getProperty("ratecache.expected.java");
    assumeTrue(expected != null, "the default execution runs on whichever Java runs Maven");
    assertThat(Runtime.version().feature()).isEqualTo(Integer.parseInt(expected));
  }
}
