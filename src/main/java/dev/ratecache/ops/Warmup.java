package dev.ratecache.ops;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.internal.Time;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs registered {@link CacheWarmer}s: the equivalent of {@code warmupCache}. A failing warmer is
 * logged and reported, never thrown, so warm-up cannot stop an application's start-up.
 * Thread-safe; one run at a time.
 */
public final class Warmup {
  private static final Logger log = LoggerFactory.getLogger(Warmup.class);

  private final QueryCache cache;
  private final Clock clock;
  private final List<CacheWarmer> warmers = new CopyOnWriteArrayList<>();

  public Warmup(QueryCache cache, Clock clock) {
    this.cache = Objects.requireNonNull(cache, "cache");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** Adds a warmer; they run in registration order. */
  public Warmup register(CacheWarmer warmer) {
    warmers.add(Objects.requireNonNull(warmer, "warmer"));
    return this;
  }

  /** The registered warmers' names. */
  public List<String> names() {
    return warmers.stream().map(CacheWarmer::name).toList();
  }

  /** Runs every warmer now, on this thread. */
  public synchronized WarmupReport run() {
    Instant started = clock.instant();
    long start = Time.monotonicNanos();
    List<WarmupReport.Result> results = new ArrayList<>();
    for (CacheWarmer w : warmers) {
      long t = Time.monotonicNanos();
      try {
        int entries = w.warm(cache);
        results.add(new WarmupReport.Result(w.name(), entries, since(t), null));
      } catch (Exception | LinkageError e) {
        log.warn("Cache warmer '{}' failed: {}", w.name(), e.toString());
        results.add(new WarmupReport.Result(w.name(), 0, since(t), e.toString()));
      }
    }
    WarmupReport report = new WarmupReport(started, since(start), results);
    log.info("Cache warm-up wrote {} entries in {} ms ({} of {} warmers succeeded)",
        report.entries(), report.took().toMillis(),
        results.stream().filter(WarmupReport.Result::succeeded).count(), results.size());
    return report;
  }

  /** Runs every warmer on a background thread, so start-up does not wait for it. */
  public CompletableFuture<WarmupReport> runInBackground() {
    return CompletableFuture.supplyAsync(this::run, r -> {
      Thread t = new Thread(r, "ratecache-warmup");
      t.setDaemon(true);
      t.start();
    });
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(Time.monotonicNanos() - startNanos);
  }
}
