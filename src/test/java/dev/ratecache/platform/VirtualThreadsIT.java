package dev.ratecache.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.Limit;
import dev.ratecache.ratelimit.RateLimitProfile;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * On virtual threads (Java 21 and later; the java-25 execution runs this), rate-limit decisions
 * and cache reads, loads and invalidations, on Redis with a pool too small for the callers and on
 * the memory fallback, never pin a carrier thread: JFR's {@code jdk.VirtualThreadPinned} events,
 * recorded with no threshold, hold no frame of the library, of Jedis or of Bucket4j. A virtual
 * thread that parks inside a class initializer (which pins on every Java) shows that the
 * recording sees pinning.
 */
class VirtualThreadsIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @TempDir
  Path dir;

  /** Parks in its initializer: a virtual thread that loads it pins its carrier. */
  static final class PinsWhileLoading {
    static {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
    }

    static void touch() {}
  }

  private static ExecutorService virtualThreads() throws Exception {
    return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor")
        .invoke(null);
  }

  @Test
  void decisionsAndCacheCallsNeverPinACarrier() throws Exception {
    assumeTrue(Runtime.version().feature() >= 21, "virtual threads need Java 21");
    List<RecordedEvent> pinned = new ArrayList<>();
    Path file = dir.resolve("pinned.jfr");
    try (Recording recording = new Recording();
        RedisConnector connector = RedisConnector.create(TestRedis.settings(redis)
            .poolMaxTotal(2).poolMaxWait(Duration.ofSeconds(5))
            .socketTimeout(Duration.ofSeconds(5)).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector).profile(
            RateLimitProfile.builder("chat").limit(Limit.of(1_000, Duration.ofMinutes(1)))
                .build()).build();
        QueryCache cache = QueryCache.builder().connector(connector).build()) {
      recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
      ExecutorService threads = virtualThreads(); // (AutoCloseable from Java 19 only)
      try {
        // Once before recording, so that first-use class loading (which pins on every Java)
        // is behind us; then recorded: on Redis, 200 callers for 2 connections; then on the
        // memory fallback.
        work(threads, limiter, cache);
        redis.kill();
        work(threads, limiter, cache);
        redis.start();
        Await.until("Redis serves again", connector::isAvailable);
        recording.start();
        work(threads, limiter, cache);
        redis.kill();
        work(threads, limiter, cache);
        threads.submit(PinsWhileLoading::touch).get();
      } finally {
        threads.shutdownNow();
      }
      recording.stop();
      recording.dump(file);
    }
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      pinned.add(e);
    }
    assertThat(pinned).as("the control: parking in a class initializer pins")
        .anySatisfy(e -> assertThat(frames(e)).anyMatch(f -> f.contains("PinsWhileLoading")));
    System.out.println("pinned events recorded: " + pinned.size());
    for (RecordedEvent e : pinned) {
      if (frames(e).stream().anyMatch(f -> f.endsWith(".<clinit>")
          || f.equals("java.lang.ClassLoader.loadClass"))) {
        continue; // loading or initialising a class (once per class): the JDK's, not a call's
      }
      assertThat(frames(e)).as("a pinned carrier in\n" + String.join("\n", frames(e)))
          .noneMatch(f -> (f.startsWith("dev.ratecache.") && !f.contains("PinsWhileLoading")
              && !f.startsWith("dev.ratecache.platform.VirtualThreadsIT"))
              || f.startsWith("redis.clients.") || f.startsWith("io.github.bucket4j."));
    }
  }

  private static void work(ExecutorService threads, RateLimiter limiter, QueryCache cache)
      throws Exception {
    List<Future<?>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      int n = i;
      calls.add(threads.submit(() -> {
        for (int k = 0; k < 10; k++) {
          limiter.tryAcquire("chat", "hot");
          limiter.tryAcquire("chat", "client-" + n + "-" + k);
          cache.getOrLoad("query:user:id:" + (k % 3), Duration.ofMinutes(1), String.class,
              () -> {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // a query
                return "row";
              });
          if (k == 5 && n % 20 == 0) {
            cache.invalidate("query:user:id:1");
          }
        }
        return null;
      }));
    }
    for (Future<?> f : calls) {
      f.get(60, TimeUnit.SECONDS);
    }
  }

  private static List<String> frames(RecordedEvent e) {
    List<String> out = new ArrayList<>();
    if (e.getStackTrace() != null) {
      for (RecordedFrame f : e.getStackTrace().getFrames()) {
        out.add(f.getMethod().getType().getName() + "." + f.getMethod().getName());
      }
    }
    return out;
  }
}
