package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.Faults;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The cache's promise, checked over a recorded history rather than one call at a time: once an
 * invalidation returns, no read that begins afterwards, on any instance, returns what was there
 * before it. {@value #INSTANCES} instances (each with its own connector and its own Jetty + Jersey
 * app) run {@value #THREADS} threads each against one real Redis (standalone, and a 3-master
 * Cluster): loads from a "database" of versioned rows (some slow), through {@code getOrLoad} or
 * over HTTP through a {@code @CachedQuery} resource (the two share entries); writes that bump a
 * row and invalidate its key ({@code invalidate}, or a {@code PUT} with {@code
 * @InvalidatesCache}, or the row's tag with {@code invalidateTag}) or bump every row of a
 * namespace and invalidate it ({@code invalidateMatching}, a {@code POST} with a pattern {@code
 * @InvalidatesCache}, or a tag every row of it carries); while a fault
 * thread cuts every pub/sub connection and pauses Redis's writes for 50 ms now and then. Every
 * operation records its start and end ({@code System.nanoTime}); a load records when it read the
 * database.
 *
 * <p>The checker then demands, over the whole history: (1) every read returned a version at
 * least that of every write to its key that ended before the read began; (2) each namespace's
 * generation equals the number of pattern invalidations made of it. On a violation it prints the
 * offending read with the writes and reads of its key around it. Fixed seeds run here; {@code
 * -Dratecache.history.seeds=N} runs N more random ones.
 */
class CacheHistoryIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private static final int INSTANCES = 2;
  private static final int THREADS = 4;
  private static final int OPS_PER_THREAD = 300;
  private static final List<String> NAMESPACES = List.of("query:user:", "query:chat:");
  private static final int KEYS_PER_NAMESPACE = 6;

  /** What a load read from the database: the row's version, and when it read it. */
  public record Loaded(long version, long readAt) {}

  /** The database the current run reads and writes (one run at a time). */
  static volatile Map<String, AtomicLong> rows;

  /** The same loads and writes over HTTP. */
  @jakarta.ws.rs.Path("/")
  @jakarta.ws.rs.Produces(jakarta.ws.rs.core.MediaType.APPLICATION_JSON)
  public static final class Rows {
    @jakarta.ws.rs.GET
    @jakarta.ws.rs.Path("{ns}/id/{id}")
    @CachedQuery(value = "query:{ns}:id:{id}", ttlSeconds = 60, shared = true,
        tags = {"row:{ns}:{id}", "ns:{ns}"})
    public Loaded load(@jakarta.ws.rs.PathParam("ns") String ns,
        @jakarta.ws.rs.PathParam("id") String id,
        @jakarta.ws.rs.QueryParam("slowMs") int slowMs) throws InterruptedException {
      Loaded l = new Loaded(rows.get("query:" + ns + ":id:" + id).get(), System.nanoTime());
      if (slowMs > 0) {
        Thread.sleep(slowMs);
      }
      return l;
    }

    @jakarta.ws.rs.PUT
    @jakarta.ws.rs.Path("{ns}/id/{id}")
    @InvalidatesCache("query:{ns}:id:{id}")
    public Loaded write(@jakarta.ws.rs.PathParam("ns") String ns,
        @jakarta.ws.rs.PathParam("id") String id) {
      return new Loaded(rows.get("query:" + ns + ":id:" + id).incrementAndGet(), 0);
    }

    @jakarta.ws.rs.POST
    @jakarta.ws.rs.Path("{ns}")
    @InvalidatesCache("query:{ns}:*")
    public Map<String, Long> writeAll(@jakarta.ws.rs.PathParam("ns") String ns) {
      Map<String, Long> versions = new java.util.HashMap<>();
      keys("query:" + ns + ":").forEach(k -> versions.put(k, rows.get(k).incrementAndGet()));
      return versions;
    }
  }

  private static dev.ratecache.testing.JettyApp app(QueryCache cache) throws Exception {
    org.glassfish.jersey.server.ResourceConfig config = new org.glassfish.jersey.server
        .ResourceConfig(Rows.class).register(org.glassfish.jersey.jackson.JacksonFeature.class)
        .register(new CachedQueryFeature(cache));
    org.eclipse.jetty.ee10.servlet.ServletContextHandler context =
        new org.eclipse.jetty.ee10.servlet.ServletContextHandler("/");
    context.addServlet(new org.eclipse.jetty.ee10.servlet.ServletHolder(
        new org.glassfish.jersey.servlet.ServletContainer(config)), "/*");
    return dev.ratecache.testing.JettyApp.start(context);
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
      new com.fasterxml.jackson.databind.ObjectMapper();

  /** One operation of the history. */
  record Op(String kind, int instance, String key, long start, long end, long version,
      long readAt) {
    @Override
    public String toString() {
      return String.format("%-9s i%d %-22s [%d, %d] v%d%s", kind, instance, key, start, end,
          version, readAt == 0 ? "" : " (read at " + readAt + ")");
    }
  }

  static Stream<Arguments> runs() {
    List<Long> seeds = new ArrayList<>(List.of(1L, 2L, 3L));
    new Random().longs(Long.getLong("ratecache.history.seeds", 0)).forEach(seeds::add);
    return Stream.concat(Stream.of("standalone", "cluster").flatMap(t -> seeds.stream()
        .map(seed -> Arguments.of(t, seed, false))),
        Stream.of("standalone", "cluster").map(t -> Arguments.of(t, 4L, true)));
  }

  private static List<String> keys(String namespace) {
    return keys(namespace, KEYS_PER_NAMESPACE);
  }

  /** {@code n} keys of {@code namespace}: {@code <namespace>id:0} and on. */
  /** The tag of one row, as the resource's {@code row:{ns}:{id}} renders it. */
  static String rowTag(String key) {
    String ns = key.substring("query:".length(), key.indexOf(":id:"));
    return "row:" + ns + ":" + key.substring(key.lastIndexOf(':') + 1);
  }

  /** The tag every row of a namespace carries ({@code ns:{ns}}). */
  static String nsTag(String namespace) {
    return "ns:" + namespace.substring("query:".length(), namespace.length() - 1);
  }

  static List<String> keys(String namespace, int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(namespace + "id:" + i);
    }
    return keys;
  }

  /**
   * A clock ten thousand times faster than the real one: a 60 s TTL passes in 6 ms (keys are
   * invalidated every 20 ms or so), so with stale windows on, entries go stale, are served stale
   * and refreshed all through the run.
   */
  static java.time.Clock fastClock() {
    long start = System.currentTimeMillis();
    long t0 = System.nanoTime();
    return new java.time.Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return java.time.ZoneOffset.UTC;
      }

      @Override
      public java.time.Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public java.time.Instant instant() {
        return java.time.Instant.ofEpochMilli(millis());
      }

      @Override
      public long millis() {
        return start + (System.nanoTime() - t0) / 100; // a real 0.1 µs is a millisecond
      }
    };
  }

  @ParameterizedTest(name = "{0}, seed {1}, stale windows {2}")
  @MethodSource("runs")
  void noReadAfterAnInvalidationReturnsWhatWasThereBeforeIt(String topology, long seed,
      boolean stale) throws Exception {
    RedisSettings settings;
    if (topology.equals("standalone")) {
      redis.start();
      redis.flushAll();
      settings = TestRedis.patient(TestRedis.settings(redis));
    } else {
      cluster.start();
      cluster.flushAll();
      settings = TestRedis.patient(TestRedis.settings(cluster));
    }
    Map<String, AtomicLong> database = new ConcurrentHashMap<>();
    NAMESPACES.forEach(ns -> keys(ns).forEach(k -> database.put(k, new AtomicLong())));
    rows = database;
    Map<String, AtomicLong> patternInvalidations = new ConcurrentHashMap<>();
    List<Op> history = Collections.synchronizedList(new ArrayList<>());
    List<RedisConnector> connectors = new ArrayList<>();
    List<QueryCache> caches = new ArrayList<>();
    List<dev.ratecache.testing.JettyApp> apps = new ArrayList<>();
    for (int i = 0; i < INSTANCES; i++) {
      RedisConnector c = RedisConnector.create(settings);
      connectors.add(c);
      QueryCache.Builder b = QueryCache.builder().connector(c);
      if (stale) {
        // Served stale while refreshed, or on a failed load: never after an invalidation.
        b.clock(fastClock()).staleWhileRevalidate(Duration.ofSeconds(30))
            .staleIfError(Duration.ofSeconds(60));
      }
      caches.add(b.build());
      apps.add(app(caches.get(i)));
    }
    ExecutorService pool = Executors.newFixedThreadPool(INSTANCES * THREADS + 1);
    AtomicBoolean running = new AtomicBoolean(true);
    try {
      Future<?> faults = pool.submit(() -> {
        Random r = new Random(seed);
        while (running.get()) {
          Thread.sleep(20 + r.nextInt(30));
          List<RedisServer> nodes = topology.equals("standalone") ? List.of(redis)
              : cluster.nodes();
          Faults.cutPubSub(nodes);
          if (r.nextInt(4) == 0) {
            Faults.pauseWrites(nodes, 50); // every write (an invalidation, a store) waits 50 ms
          }
        }
        return null;
      });
      List<Future<?>> workers = new ArrayList<>();
      for (int i = 0; i < INSTANCES; i++) {
        for (int t = 0; t < THREADS; t++) {
          int instance = i;
          Random r = new Random(seed * 1_000 + i * 100 + t);
          QueryCache cache = caches.get(i);
          dev.ratecache.testing.JettyApp app = apps.get(i);
          workers.add(pool.submit(() -> {
            for (int n = 0; n < OPS_PER_THREAD; n++) {
              String ns = NAMESPACES.get(r.nextInt(NAMESPACES.size()));
              List<String> nsKeys = keys(ns);
              String key = nsKeys.get(r.nextInt(nsKeys.size()));
              int dice = r.nextInt(100);
              int slowMs = r.nextInt(10) == 0 ? 1 + r.nextInt(8) : 0;
              boolean http = r.nextBoolean();
              String path = "/" + ns.substring("query:".length(), ns.length() - 1)
                  + key.substring(ns.length() - 1).replace(':', '/');
              if (dice < 70) {
                long start = System.nanoTime();
                Loaded got = http
                    ? JSON.readValue(app.send("GET", path + "?slowMs=" + slowMs).body(),
                        Loaded.class)
                    : cache.tagged(rowTag(key), nsTag(ns)).getOrLoad(key, Duration.ofSeconds(60),
                        Loaded.class, () -> {
                      Loaded l = new Loaded(database.get(key).get(), System.nanoTime());
                      if (slowMs > 0) {
                        Thread.sleep(slowMs); // a slow query: invalidations overtake it
                      }
                      return l;
                    });
                history.add(new Op(http ? "http-read" : "read", instance, key, start,
                    System.nanoTime(), got.version(), got.readAt()));
              } else if (dice < 85) {
                long start = System.nanoTime();
                long version;
                if (http) {
                  var put = app.send("PUT", path);
                  assertThat(put.statusCode()).as(put.body()).isEqualTo(200);
                  version = JSON.readValue(put.body(), Loaded.class).version();
                } else if (r.nextBoolean()) {
                  version = database.get(key).incrementAndGet();
                  cache.invalidate(key);
                } else {
                  version = database.get(key).incrementAndGet();
                  cache.invalidateTag(rowTag(key)); // the row's tag: every entry showing it
                }
                history.add(new Op(http ? "http-write" : "write", instance, key, start,
                    System.nanoTime(), version, 0));
              } else {
                long start = System.nanoTime();
                boolean byTag = false;
                Map<String, Long> versions = new java.util.HashMap<>();
                if (http) {
                  var post = app.send("POST", "/" + ns.substring("query:".length(),
                      ns.length() - 1));
                  assertThat(post.statusCode()).as(post.body()).isEqualTo(200);
                  JSON.readTree(post.body()).fields().forEachRemaining(
                      e -> versions.put(e.getKey(), e.getValue().asLong()));
                } else if (r.nextBoolean()) {
                  nsKeys.forEach(k -> versions.put(k, database.get(k).incrementAndGet()));
                  cache.invalidateMatching(ns + "*");
                } else {
                  nsKeys.forEach(k -> versions.put(k, database.get(k).incrementAndGet()));
                  cache.invalidateTag(nsTag(ns)); // a tag every row of the namespace carries
                  byTag = true;
                }
                long end = System.nanoTime();
                if (!byTag) {
                  patternInvalidations.computeIfAbsent(ns, x -> new AtomicLong())
                      .incrementAndGet();
                }
                versions.forEach((k, v) -> history.add(new Op("write-all", instance, k, start,
                    end, v, 0)));
              }
            }
            return null;
          }));
        }
      }
      for (Future<?> w : workers) {
        w.get(120, TimeUnit.SECONDS);
      }
      running.set(false);
      faults.get(10, TimeUnit.SECONDS);
    } finally {
      running.set(false);
      pool.shutdownNow();
      apps.forEach(dev.ratecache.testing.JettyApp::close);
      caches.forEach(QueryCache::close);
      connectors.forEach(RedisConnector::close);
    }

    List<String> violations = check(history);
    assertThat(violations).as("reads that returned what an invalidation that ended before they"
        + " began had removed (%d operations)", history.size()).isEmpty();
    if (stale) {
      long servedStale = caches.stream()
          .mapToLong(c -> c.staleServed(QueryCache.StaleReason.REVALIDATING)).sum();
      System.out.printf("%s, stale windows: %d reads served stale while refreshed%n", topology,
          servedStale);
      assertThat(servedStale).as("reads served stale (the path under test ran)").isPositive();
    }
    RedisServer owner = topology.equals("standalone") ? redis : cluster.ownerOf(
        JedisClusterCRC16.getSlot(Generations.HASH));
    Map<String, String> generations = owner.withClient(j -> j.hgetAll(Generations.HASH));
    for (String ns : NAMESPACES) {
      long made = patternInvalidations.getOrDefault(ns, new AtomicLong()).get();
      assertThat(generations.get(ns) == null ? 0 : Long.parseLong(generations.get(ns)))
          .as("generation of %s after %d pattern invalidations", ns, made).isEqualTo(made);
    }
  }

  /** Every read that returned an older version than a write to its key that ended before it. */
  static List<String> check(List<Op> history) {
    return check(history, (read, write) -> true);
  }

  /**
   * {@link #check(List)} of the reads and writes {@code applies} to (a read, and a write to its
   * key that ended before it began).
   */
  static List<String> check(List<Op> history, java.util.function.BiPredicate<Op, Op> applies) {
    Map<String, List<Op>> writesByKey = history.stream().filter(o -> o.kind().contains("write"))
        .collect(Collectors.groupingBy(Op::key));
    List<String> violations = new ArrayList<>();
    for (Op read : history) {
      if (!read.kind().endsWith("read")) {
        continue;
      }
      for (Op w : writesByKey.getOrDefault(read.key(), List.of())) {
        if (w.end() < read.start() && read.version() < w.version() && applies.test(read, w)) {
          violations.add(read + " returned v" + read.version() + ", but " + w
              + " had ended before it began; the key's history around it:\n    "
              + history.stream().filter(o -> o.key().equals(read.key())
                  && o.end() >= Math.min(read.readAt(), w.start()) && o.start() <= read.end())
                  .sorted(java.util.Comparator.comparingLong(Op::start))
                  .map(Op::toString).collect(Collectors.joining("\n    ")));
          break;
        }
      }
      if (violations.size() >= 3) {
        break;
      }
    }
    return violations;
  }
}
