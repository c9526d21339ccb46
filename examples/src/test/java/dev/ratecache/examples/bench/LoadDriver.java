package dev.ratecache.examples.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sends load at a URL for a while and reports throughput and latency. */
interface LoadDriver {
  /**
   * What one run measured.
   *
   * @param requests completed requests
   * @param non2xx responses outside 2xx (429s in the rejection scenario)
   * @param errors connection errors and timeouts
   * @param perSecond requests per second
   * @param p50Millis median latency
   * @param p99Millis 99th-percentile latency
   */
  record Result(long requests, long non2xx, long errors, double perSecond, double p50Millis,
      double p99Millis) {}

  /** How requests identify their client. */
  enum Keys {
    /** No client header: every request comes from the load generator's address. */
    NONE,
    /** Every request sends {@code X-API-Key: hot}. */
    ONE,
    /** Requests rotate over 10,000 distinct API keys. */
    TEN_THOUSAND,
    /**
     * Each request picks a key at random from 10,000,000: cold keys, as a public API sees them
     * (a bucket this instance has not touched lately, usually one that does not exist yet).
     */
    COLD,
    /**
     * 10,000 keys as {@link #TEN_THOUSAND}, each pass over them sent to the other of two
     * instances (the URL's path, then the path with {@code b} appended): every decision finds its
     * bucket last written by the other instance, as behind a round-robin load balancer.
     */
    TAKING_TURNS
  }

  String name();

  Result run(String url, Keys keys, Duration duration) throws Exception;

  /** wrk, when installed: about three times the load a Java client drives from two cores. */
  static LoadDriver pick(int threads, int connections) {
    try {
      Process p = new ProcessBuilder("wrk", "--version").redirectErrorStream(true).start();
      String v = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor(5, TimeUnit.SECONDS);
      String first = v.lines().findFirst().orElse("wrk").trim();
      return new Wrk(first, threads, connections);
    } catch (IOException | InterruptedException e) {
      return new JavaLoad(connections);
    }
  }

  /** Drives wrk and parses its report. */
  final class Wrk implements LoadDriver {
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
    private static final Pattern ERRORS = Pattern.compile(
        "Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");
    private static final Pattern PCT = Pattern.compile("^\\s+(50|99)%\\s+([0-9.]+)(us|ms|s)\\s*$",
        Pattern.MULTILINE);

    private final String version;
    private final int threads;
    private final int connections;

    Wrk(String version, int threads, int connections) {
      this.version = version;
      this.threads = threads;
      this.connections = connections;
    }

    @Override
    public String name() {
      return version + " (-t" + threads + " -c" + connections + ")";
    }

    @Override
    public Result run(String url, Keys keys, Duration duration) throws Exception {
      List<String> cmd = new ArrayList<>(List.of("wrk", "-t" + threads, "-c" + connections,
          "-d" + duration.toSeconds() + "s", "--timeout", "5s", "--latency"));
      Path script = null;
      if (keys == Keys.ONE) {
        cmd.addAll(List.of("-H", "X-API-Key: hot"));
      } else if (keys == Keys.COLD) {
        script = Files.createTempFile("wrk-keys", ".lua");
        Files.writeString(script, """
            math.randomseed(os.time() + math.floor(os.clock() * 1000000))
            request = function()
              return wrk.format(nil, nil, {["X-API-Key"] = "c" .. math.random(10000000)})
            end
            """);
        cmd.addAll(List.of("-s", script.toString()));
      } else if (keys == Keys.TEN_THOUSAND || keys == Keys.TAKING_TURNS) {
        // 10,000 keys in turn; taking turns, every pass over them goes to the other instance.
        String turn = keys == Keys.TAKING_TURNS
            ? "if math.floor(n / 10000) % 2 == 1 then path = path .. \"b\" end" : "";
        script = Files.createTempFile("wrk-keys", ".lua");
        Files.writeString(script, """
            local n = 0
            request = function()
              n = n + 1
              local path = wrk.path
              %s
              return wrk.format(nil, path, {["X-API-Key"] = "k" .. (n %% 10000)})
            end
            """.formatted(turn));
        cmd.addAll(List.of("-s", script.toString()));
      }
      cmd.add(url);
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(duration.toSeconds() + 30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("wrk did not finish");
      }
      if (script != null) {
        Files.deleteIfExists(script);
      }
      double rate = number(RATE, out, 1);
      double p50 = -1;
      double p99 = -1;
      Matcher m = PCT.matcher(out);
      while (m.find()) {
        double v = Double.parseDouble(m.group(2));
        double ms = switch (m.group(3)) {
          case "us" -> v / 1000;
          case "s" -> v * 1000;
          default -> v;
        };
        if (m.group(1).equals("50")) {
          p50 = ms;
        } else {
          p99 = ms;
        }
      }
      long errors = 0;
      Matcher e = ERRORS.matcher(out);
      if (e.find()) {
        for (int i = 1; i <= 4; i++) {
          errors += Long.parseLong(e.group(i));
        }
      }
      Matcher bad = NON2XX.matcher(out);
      return new Result((long) number(TOTAL, out, 1), bad.find() ? Long.parseLong(bad.group(1))
          : 0, errors, rate, p50, p99);
    }

    private static double number(Pattern p, String text, int group) {
      Matcher m = p.matcher(text);
      if (!m.find()) {
        throw new IllegalStateException("Unexpected wrk output:\n" + text);
      }
      return Double.parseDouble(m.group(group));
    }
  }

  /** A Java HTTP client on {@code connections} threads, when wrk is not installed. */
  final class JavaLoad implements LoadDriver {
    private final int connections;

    JavaLoad(int connections) {
      this.connections = connections;
    }

    @Override
    public String name() {
      return "Java HttpClient, " + connections + " threads (wrk not installed)";
    }

    @Override
    public Result run(String url, Keys keys, Duration duration) throws Exception {
      HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      long deadline = System.nanoTime() + duration.toNanos();
      AtomicLong non2xx = new AtomicLong();
      AtomicLong errors = new AtomicLong();
      AtomicLong counter = new AtomicLong();
      List<long[]> perThread = new ArrayList<>();
      List<int[]> counts = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      long start = System.nanoTime();
      for (int t = 0; t < connections; t++) {
        long[] latencies = new long[2_000_000];
        int[] n = {0};
        perThread.add(latencies);
        counts.add(n);
        Thread thread = new Thread(() -> {
          while (System.nanoTime() < deadline && n[0] < latencies.length) {
            long turn = keys == Keys.TAKING_TURNS ? counter.incrementAndGet() : 0;
            String target = keys == Keys.TAKING_TURNS && (turn / 10_000) % 2 == 1 ? url + "b" : url;
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(target))
                .timeout(Duration.ofSeconds(5));
            if (keys == Keys.TAKING_TURNS) {
              b.header("X-API-Key", "k" + (turn % 10_000));
            } else if (keys == Keys.ONE) {
              b.header("X-API-Key", "hot");
            } else if (keys == Keys.TEN_THOUSAND) {
              b.header("X-API-Key", "k" + (counter.incrementAndGet() % 10_000));
            } else if (keys == Keys.COLD) {
              b.header("X-API-Key", "c" + java.util.concurrent.ThreadLocalRandom.current()
                  .nextInt(1, 10_000_001));
            }
            long t0 = System.nanoTime();
            try {
              HttpResponse<Void> r = client.send(b.build(), HttpResponse.BodyHandlers.discarding());
              if (r.statusCode() / 100 != 2) {
                non2xx.incrementAndGet();
              }
              latencies[n[0]++] = System.nanoTime() - t0;
            } catch (IOException e) {
              errors.incrementAndGet();
            } catch (InterruptedException e) {
              return;
            }
          }
        });
        threads.add(thread);
        thread.start();
      }
      for (Thread t : threads) {
        t.join();
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      int total = counts.stream().mapToInt(c -> c[0]).sum();
      long[] all = new long[total];
      int i = 0;
      for (int t = 0; t < perThread.size(); t++) {
        System.arraycopy(perThread.get(t), 0, all, i, counts.get(t)[0]);
        i += counts.get(t)[0];
      }
      Arrays.sort(all);
      double p50 = total == 0 ? -1 : all[(int) (total * 0.50)] / 1e6;
      double p99 = total == 0 ? -1 : all[Math.min(total - 1, (int) (total * 0.99))] / 1e6;
      return new Result(total, non2xx.get(), errors.get(), total / seconds, p50, p99);
    }
  }

  /** Formats a number of requests per second with a thousands separator. */
  static String perSecond(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }
}
