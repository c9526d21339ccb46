package dev.ratecache.examples.bench;

import dev.ratecache.examples.bench.LoadDriver.Keys;
import dev.ratecache.examples.bench.LoadDriver.Result;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.RedisServer;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The HTTP load harness: starts its own redis-server and the {@link BenchApp} on loopback, drives
 * each scenario with wrk (or a Java client when wrk is missing), and prints one table with
 * requests/s, p50 and p99 latency and the ratio to the unguarded baseline measured in the same
 * run, plus Redis commands per request from {@code INFO commandstats}.
 *
 * <p>Each scenario gets a warm-up run, then {@code --runs} measured runs of {@code --seconds}
 * each; the table shows medians. Run it with
 * {@code mvn -q -B install -DskipTests && mvn -q -B -f examples -Pbench test-compile exec:java}
 * (arguments: {@code -Dexec.args="--seconds 5 --runs 3"}).
 */
public final class LoadBenchmark {
  private final PrintStream out = System.out;
  private final int seconds;
  private final int runs;
  private final int warmupSeconds;
  private final LoadDriver driver;
  private final String only;
  /** The app under test, while {@link #run} runs. */
  private BenchApp app;
  /**
   * Rows decided through the one-round-trip protocol: their round trips are counted at the client
   * (commands its auto-pipelines sent), since a failed swap runs one command inside Redis, a
   * successful one two, and a decided one three.
   */
  private static final java.util.Set<String> CLIENT_COUNTED = java.util.Set.of("B1", "C1", "K1",
      "M1", "B1v", "C1v", "K1v", "P1", "PK");
  /** Carrier pinning seen during the virtual-thread rows (JFR jdk.VirtualThreadPinned). */
  private long pinnedEvents = -1;

  private record Row(String id, String name, Result median, double redisCommandsPerRequest,
      double roundTripsPerRequest, double redisCpuMicrosPerRequest, String note) {}

  /**
   * Redis's command counts (all, and the EVALs among them) and the CPU time redis-server has
   * used (user + system, from {@code INFO cpu}), in microseconds.
   */
  private record Commands(long all, long evals, double cpuMicros) {}

  private LoadBenchmark(int seconds, int runs, int warmupSeconds, LoadDriver driver,
      String only) {
    this.only = only;
    this.seconds = seconds;
    this.runs = runs;
    this.warmupSeconds = warmupSeconds;
    this.driver = driver;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    int seconds = Integer.parseInt(opts.getOrDefault("seconds", "5"));
    int runs = Integer.parseInt(opts.getOrDefault("runs", "3"));
    int warmup = Integer.parseInt(opts.getOrDefault("warmup", "3"));
    int connections = Integer.parseInt(opts.getOrDefault("connections", "16"));
    int threads = Integer.parseInt(opts.getOrDefault("threads", "2"));
    LoadDriver driver = LoadDriver.pick(threads, connections);
    if (Boolean.parseBoolean(opts.getOrDefault("serve", "false"))) {
      serve();
      return;
    }
    new LoadBenchmark(seconds, runs, warmup, driver, opts.getOrDefault("only", "ABCDEFGHIKLMPV"))
        .run();
    System.exit(0);
  }

  /**
   * Starts Redis and the benchmark app and keeps them up until the process is killed, for
   * profiling one scenario at a time with outside tools (wrk, perf, JFR through jcmd).
   */
  private static void serve() throws Exception {
    try (RedisServer redis = RedisServer.builder().build().start();
        BenchApp app = BenchApp.start(settings(redis))) {
      System.out.printf(Locale.ROOT, "serving http://127.0.0.1:%d (paths /plain /floor /guarded"
          + " /guarded1 /tight /api/item/1 /near/item/1), redis-server on port %d, pid %d%n",
          app.port, redis.port(), ProcessHandle.current().pid());
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private static RedisSettings settings(RedisServer redis) {
    return RedisSettings.builder().host("127.0.0.1").port(redis.port())
        .poolMaxWait(Duration.ofMillis(100)).socketTimeout(Duration.ofMillis(250))
        .connectTimeout(Duration.ofMillis(250)).probeInitial(Duration.ofMillis(250))
        .probeMax(Duration.ofSeconds(2)).build();
  }

  private void run() throws Exception {
    out.printf(Locale.ROOT, "Load generator: %s; %d s warm-up, then %d runs of %d s per"
        + " scenario; medians.%n", driver.name(), warmupSeconds, runs, seconds);
    out.printf(Locale.ROOT, "Machine: %d cores, Java %s, %s %s; server, Redis and load generator"
            + " share the CPUs.%n%n", Runtime.getRuntime().availableProcessors(),
        System.getProperty("java.version"), System.getProperty("os.name"),
        System.getProperty("os.arch"));
    List<Row> rows = new ArrayList<>();
    try (RedisServer redis = RedisServer.builder().build().start();
        BenchApp app = BenchApp.start(settings(redis))) {
      this.app = app;
      String base = "http://127.0.0.1:" + app.port;
      // Warm every code path (JIT, pools, buckets, cache) before anything is measured, so the
      // baseline is not measured on a colder JVM than the scenarios compared with it.
      for (String path : List.of("/plain", "/guarded", "/guarded1", "/tight", "/api/item/1",
          "/api/uncached/1", "/near/item/1", "/api/constant/1", "/floor", "/fleet", "/fleetb",
          "/policies", "/stale/item/1", "/api/tagged/1", "/api/unkey/1", "/api/untag/1")) {
        for (Keys k : List.of(Keys.NONE, Keys.ONE, Keys.TEN_THOUSAND)) {
          driver.run(base + path, k, Duration.ofSeconds(Math.max(1, warmupSeconds / 2)));
        }
      }
      rows.add(measure("A", "unguarded endpoint (baseline)", base + "/plain", Keys.NONE, redis,
          false));
      rows.add(measure("B", "guarded, bucket4j-jedis, one hot key", base + "/guarded", Keys.ONE,
          redis, true));
      rows.add(measure("C", "guarded, bucket4j-jedis, 10,000 keys", base + "/guarded",
          Keys.TEN_THOUSAND, redis, true));
      rows.add(measure("B1", "B, one-round-trip protocol (default)", base + "/guarded1", Keys.ONE,
          redis, true));
      rows.add(measure("C1", "C, one-round-trip protocol (default)", base + "/guarded1",
          Keys.TEN_THOUSAND, redis, true));
      rows.add(measure("M1", "two instances taking turns on each client, 10,000 keys",
          base + "/fleet", Keys.TAKING_TURNS, redis, true));
      rows.add(measure("K", "guarded, bucket4j-jedis, cold keys (of 10,000,000)", base + "/guarded",
          Keys.COLD, redis, true));
      rows.add(measure("K1", "K, one-round-trip protocol (default)", base + "/guarded1",
          Keys.COLD, redis, true));
      rows.add(measure("P1", "B1 with plans, cost 2 and an allow list", base + "/policies",
          Keys.ONE, redis, true));
      rows.add(measure("PK", "K1 with plans, cost 2 and an allow list", base + "/policies",
          Keys.COLD, redis, true));
      rows.add(measure("LB", "floor: one plain GET, one hot key", base + "/floor", Keys.ONE,
          redis, true));
      rows.add(measure("LC", "floor: one plain GET, 10,000 keys", base + "/floor",
          Keys.TEN_THOUSAND, redis, true));
      rows.add(measure("LK", "floor: one plain GET, cold keys", base + "/floor", Keys.COLD,
          redis, true));
      rows.add(measure("D", "guarded, one client over its limit", base + "/tight", Keys.ONE,
          redis, true));
      rows.add(measure("F0", "JAX-RS endpoint, same JSON, no cache", base + "/api/constant/1",
          Keys.NONE, redis, false));
      rows.add(measure("F", "@CachedQuery hit", base + "/api/item/1", Keys.NONE, redis, false));
      rows.add(measure("F2", "@CachedQuery hit, 5 s near cache", base + "/near/item/1",
          Keys.NONE, redis, false));
      rows.add(measure("F3", "@CachedQuery hit past its TTL, stale-while-revalidate",
          base + "/stale/item/1", Keys.NONE, redis, true));
      rows.add(measure("F4", "@CachedQuery hit, 2 tags", base + "/api/tagged/1", Keys.NONE,
          redis, true));
      rows.add(measure("F5", "@CachedQuery hit, 200 KB JSON, LZ4 (default)",
          base + "/api/history/1", Keys.NONE, redis, true));
      rows.add(measure("F6", "F5 with compression off",
          base + "/uncompressed/history-plain/1", Keys.NONE, redis, true));
      if (only.contains("F")) {
        out.printf(Locale.ROOT, "%nF5/F6 stored in Redis (STRLEN): %,d bytes compressed, %,d"
            + " plain%n", redis.<Long>withClient(j -> j.strlen("query:messages:history:1")),
            redis.<Long>withClient(j -> j.strlen("query:messages:plain-history:1")));
      }
      rows.add(measure("I0", "@InvalidatesCache of a key (tombstone)", base + "/api/unkey/1",
          Keys.NONE, redis, true));
      rows.add(measure("I1", "@InvalidatesCache of a tag (its version)", base + "/api/untag/1",
          Keys.NONE, redis, true));
      rows.add(measure("G", "same query uncached (20 ms)", base + "/api/uncached/1", Keys.NONE,
          redis, false));

      if (Runtime.version().feature() >= 21 && only.contains("V")) {
        rows.addAll(onVirtualThreads(redis));
        this.app = app;
      }

      redis.stop();
      poke(base + "/guarded", 5); // the first refused calls tell the connector Redis is down
      rows.add(measure("E", "guarded, memory fallback (Redis stopped)", base + "/guarded",
          Keys.ONE, null, false));

      redis.restart();
      awaitUp(app);
      redis.freeze();
      try {
        poke(base + "/guarded", 5); // a few requests pay one socket timeout, then fail-fast
        rows.add(measure("H", "guarded, Redis frozen (fail-fast)", base + "/guarded", Keys.ONE,
            null, false));
      } finally {
        redis.thaw();
      }
    }
    print(rows);
    printPinning();
  }

  /**
   * The same app, a second instance on the same Redis, with Jetty's virtual-thread pool: the
   * rows that matter for a request's thread (baseline, decisions hot, remembered and cold, the
   * floor, a cache hit), while JFR records every pinned carrier (no threshold).
   */
  private List<Row> onVirtualThreads(RedisServer redis) throws Exception {
    List<Row> rows = new ArrayList<>();
    try (BenchApp virtual = BenchApp.start(settings(redis), true);
        jdk.jfr.Recording pinned = new jdk.jfr.Recording()) {
      this.app = virtual;
      String base = "http://127.0.0.1:" + virtual.port;
      for (String path : List.of("/plain", "/guarded1", "/floor", "/api/item/1", "/near/item/1")) {
        for (Keys k : List.of(Keys.NONE, Keys.ONE, Keys.TEN_THOUSAND, Keys.COLD)) {
          driver.run(base + path, k, Duration.ofSeconds(Math.max(1, warmupSeconds / 2)));
        }
      }
      pinned.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO);
      pinned.start();
      rows.add(measure("Av", "A on virtual threads", base + "/plain", Keys.NONE, redis, false));
      rows.add(measure("B1v", "B1 on virtual threads", base + "/guarded1", Keys.ONE, redis,
          true));
      rows.add(measure("C1v", "C1 on virtual threads", base + "/guarded1", Keys.TEN_THOUSAND,
          redis, true));
      rows.add(measure("K1v", "K1 on virtual threads", base + "/guarded1", Keys.COLD, redis,
          true));
      rows.add(measure("LKv", "LK floor on virtual threads", base + "/floor", Keys.COLD, redis,
          true));
      rows.add(measure("Fv", "F on virtual threads", base + "/api/item/1", Keys.NONE, redis,
          false));
      rows.add(measure("F2v", "F2 on virtual threads", base + "/near/item/1", Keys.NONE, redis,
          false));
      pinned.stop();
      java.nio.file.Path file = java.nio.file.Files.createTempFile("pinned", ".jfr");
      pinned.dump(file);
      pinnedEvents = jdk.jfr.consumer.RecordingFile.readAllEvents(file).size();
      java.nio.file.Files.delete(file);
    }
    return rows;
  }

  private Row measure(String id, String name, String url, Keys keys, RedisServer redis,
      boolean countCommands) throws Exception {
    if (!only.contains(id.substring(0, 1)) && !id.equals("A") && !id.endsWith("v")) {
      return null;
    }
    driver.run(url, keys, Duration.ofSeconds(warmupSeconds));
    List<Result> results = new ArrayList<>();
    long commands = 0;
    long evals = 0;
    double cpuMicros = 0;
    long requests = 0;
    long sent = 0;
    for (int i = 0; i < runs; i++) {
      long sentBefore = app.pipelinedCommands();
      Commands before = countCommands ? commandCalls(redis) : null;
      Result r = driver.run(url, keys, Duration.ofSeconds(seconds));
      if (countCommands) {
        Commands after = commandCalls(redis);
        commands += after.all() - before.all() - 1; // minus our own INFO
        sent += app.pipelinedCommands() - sentBefore;
        evals += after.evals() - before.evals();
        cpuMicros += after.cpuMicros() - before.cpuMicros();
        requests += r.requests();
      }
      results.add(r);
    }
    Result median = new Result(
        median(results, r -> r.requests()) > 0 ? (long) median(results, r -> r.requests()) : 0,
        (long) median(results, r -> r.non2xx()), (long) median(results, r -> r.errors()),
        median(results, Result::perSecond), median(results, Result::p50Millis),
        median(results, Result::p99Millis));
    String note = "";
    if (median.errors() > 0) {
      note = median.errors() + " socket errors/run";
    } else if (median.non2xx() > 0) {
      note = (median.non2xx() * 100 / Math.max(1, median.requests())) + "% non-2xx";
    }
    double perRequest = countCommands && requests > 0 ? (double) commands / requests : -1;
    // Bucket4j's compare-and-swap script runs two commands inside each EVAL (GET, then SET or
    // PSETEX); commandstats counts them, the network does not.
    double roundTrips = !countCommands || requests == 0 ? -1
        : CLIENT_COUNTED.contains(id) ? (double) sent / requests
        : (double) (commands - 2 * evals) / requests;
    out.printf(Locale.ROOT, "  %s %-42s %10s req/s  p50 %6.2f ms  p99 %7.2f ms%n", id, name,
        LoadDriver.perSecond(median.perSecond()), median.p50Millis(), median.p99Millis());
    double cpu = countCommands && requests > 0 ? cpuMicros / requests : -1;
    return new Row(id, name, median, perRequest, roundTrips, cpu, note);
  }

  /** Throughput over the floor row with the same keys (0 without one). */
  private static double vsFloor(Map<String, Row> byId, Map<String, String> floorOf, String id,
      Row r) {
    Row floor = byId.get(floorOf.get(id));
    return floor == null ? 0 : r.median().perSecond() / floor.median().perSecond();
  }

  private static double median(List<Result> results, ToDoubleFunction<Result> f) {
    List<Double> values = new ArrayList<>();
    results.forEach(r -> values.add(f.applyAsDouble(r)));
    values.sort(Comparator.naturalOrder());
    return values.get(values.size() / 2);
  }

  /** Calls of every command Redis processed, from {@code INFO commandstats}. */
  private static Commands commandCalls(RedisServer redis) {
    String stats = redis.withClient(j -> j.info("commandstats"));
    long total = 0;
    long evals = 0;
    for (String line : stats.split("\r?\n")) {
      int calls = line.indexOf("calls=");
      if (line.startsWith("cmdstat_") && calls > 0) {
        int end = line.indexOf(',', calls);
        long n = Long.parseLong(line.substring(calls + 6, end));
        total += n;
        if (line.startsWith("cmdstat_eval:") || line.startsWith("cmdstat_evalsha:")) {
          evals += n;
        }
      }
    }
    double cpuSeconds = 0;
    for (String line : redis.withClient(j -> j.info("cpu")).split("\r?\n")) {
      if (line.startsWith("used_cpu_sys:") || line.startsWith("used_cpu_user:")) {
        cpuSeconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    return new Commands(total, evals, cpuSeconds * 1e6);
  }

  private static void poke(String url, int times) throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
    for (int i = 0; i < times; i++) {
      client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
          .header("X-API-Key", "hot").build(), java.net.http.HttpResponse.BodyHandlers.discarding());
    }
  }

  private static void awaitUp(BenchApp app) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!app.connector.isAvailable() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
  }

  private void print(List<Row> rows) {
    Map<String, Row> byId = new LinkedHashMap<>();
    rows.stream().filter(java.util.Objects::nonNull).forEach(r -> byId.put(r.id(), r));
    Row a = byId.get("A");
    Row g = byId.get("G");
    out.printf(Locale.ROOT, "%n| scenario | req/s | p50 ms | p99 ms | ratio to A | vs floor"
        + " | target | met | Redis cmds/req (commandstats) | round trips/req | Redis CPU µs/req"
        + " | note |%n|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|%n");
    Map<String, String> floorOf = new java.util.HashMap<>(Map.of("B", "LB", "B1", "LB", "C", "LC",
        "C1", "LC", "M1", "LC", "K", "LK", "K1", "LK"));
    floorOf.put("K1v", "LKv");
    for (String id : List.of("A", "B", "B1", "P1", "LB", "C", "C1", "M1", "LC", "K", "K1", "PK",
        "LK", "D", "E", "F0", "F", "F2", "G", "H", "Av", "B1v", "C1v", "K1v", "LKv", "Fv",
        "F2v")) {
      Row r = byId.get(id);
      if (r == null || (id.startsWith("F") && g == null)) {
        continue;
      }
      double ratio = r.median().perSecond() / a.median().perSecond();
      String target = "";
      String met = "";
      switch (id) {
        case "B", "B1" -> {
          // The targets of the one-round-trip issue, against the floor with the same keys.
          target = "≥ floor; ≤ 0.2 round trips";
          met = yes(vsFloor(byId, floorOf, id, r) >= 1.0) + ", "
              + yes(r.roundTripsPerRequest() <= 0.2);
        }
        case "C", "C1", "M1", "K", "K1" -> {
          target = "≥ 0.9 of floor; ≤ 1 round trip";
          met = yes(vsFloor(byId, floorOf, id, r) >= 0.9) + ", "
              + yes(r.roundTripsPerRequest() <= 1.0);
        }
        case "D", "E" -> {
          target = "≥ 0.9";
          met = yes(ratio >= 0.9);
        }
        case "P1", "PK" -> {
          // Issue 27: the policies cost no more than 3 % over the default decision, same keys.
          Row plain = byId.get(id.equals("P1") ? "B1" : "K1");
          if (plain != null) {
            double vsPlain = r.median().perSecond() / plain.median().perSecond();
            target = String.format(Locale.ROOT, "≥ 0.97 of %s (%.3f)", plain.id(), vsPlain);
            met = yes(vsPlain >= 0.97);
          }
        }
        case "F0" -> {
          target = "(JAX-RS baseline for F)";
        }
        case "F", "F2" -> {
          double vsG = r.median().perSecond() / g.median().perSecond();
          target = "≥ 0.6 and ≥ 20× G (" + String.format(Locale.ROOT, "%.0f×", vsG) + ")";
          met = yes(ratio >= 0.6 && vsG >= 20);
          Row f0 = byId.get("F0");
          if (f0 != null) {
            target += String.format(Locale.ROOT, "; %.2f of F0",
                r.median().perSecond() / f0.median().perSecond());
          }
        }
        case "Av", "B1v", "C1v", "K1v", "LKv", "Fv", "F2v" -> {
          // Against the same scenario on platform threads, same run.
          Row platform = byId.get(id.substring(0, id.length() - 1));
          if (platform != null) {
            double vsPlatform = r.median().perSecond() / platform.median().perSecond();
            target = String.format(Locale.ROOT, "≥ 0.9 of %s (%.2f)", platform.id(), vsPlatform);
            met = yes(vsPlatform >= 0.9);
          }
        }
        case "H" -> {
          double p99Ratio = r.median().p99Millis() / a.median().p99Millis();
          target = "p99 ≤ 2× A's (" + String.format(Locale.ROOT, "%.2f×", p99Ratio) + ")";
          met = yes(p99Ratio <= 2);
        }
        default -> { }
      }
      Row floor = floorOf.containsKey(id) ? byId.get(floorOf.get(id)) : null;
      String vsFloor = floor == null ? "" : String.format(Locale.ROOT, "%.2f",
          r.median().perSecond() / floor.median().perSecond());
      out.printf(Locale.ROOT,
          "| %s %s | %s | %.2f | %.2f | %.2f | %s | %s | %s | %s | %s | %s | %s |%n",
          id, r.name(), LoadDriver.perSecond(r.median().perSecond()), r.median().p50Millis(),
          r.median().p99Millis(), ratio, vsFloor, target, met,
          decimal(r.redisCommandsPerRequest()),
          decimal(r.roundTripsPerRequest()), r.redisCpuMicrosPerRequest() < 0 ? ""
              : String.format(Locale.ROOT, "%.1f", r.redisCpuMicrosPerRequest()), r.note());
    }
  }

  private void printPinning() {
    if (pinnedEvents >= 0) {
      out.printf(Locale.ROOT, "%nCarrier threads pinned during the virtual-thread rows (JFR"
          + " jdk.VirtualThreadPinned, no threshold): %d%n", pinnedEvents);
    }
  }

  private static String decimal(double v) {
    return v < 0 ? "" : String.format(Locale.ROOT, "%.3f", v);
  }

  private static String yes(boolean b) {
    return b ? "yes" : "NO";
  }
}
