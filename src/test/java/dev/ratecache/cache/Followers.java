package dev.ratecache.cache;

import java.util.stream.Stream;

/** Test helper: how many threads of this JVM are parked waiting for another caller's load. */
final class Followers {
  private Followers() {}

  /** Threads inside {@code SingleFlight.Follower.await} right now. */
  static long waiting() {
    return Thread.getAllStackTraces().values().stream().filter(stack -> Stream.of(stack)
        .anyMatch(f -> f.getClassName().endsWith("SingleFlight$Follower")
            && f.getMethodName().equals("await"))).count();
  }
}
