package dev.ratecache.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Kills every test process still registered when the JVM exits, so no redis-server outlives the
 * test run even when a test or the build is interrupted.
 */
final class ProcessReaper {
  private static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(ProcessReaper::kill),
        "redis-test-reaper"));
  }

  private ProcessReaper() {}

  static void register(Process p) {
    LIVE.add(p);
  }

  /** Kills {@code p} with SIGKILL (SIGCONT first, for a frozen one) and forgets it. */
  static void kill(Process p) {
    if (p.isAlive()) {
      try {
        new ProcessBuilder("kill", "-CONT", String.valueOf(p.pid())).start()
            .waitFor(5, TimeUnit.SECONDS);
      } catch (Exception ignored) {
        // SIGKILL below works on a stopped process too
      }
      p.destroyForcibly();
    }
    waitForExit(p);
    LIVE.remove(p);
  }

  static void waitForExit(Process p) {
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
