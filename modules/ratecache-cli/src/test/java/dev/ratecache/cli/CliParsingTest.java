package dev.ratecache.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.ops.HealthReport;
import dev.ratecache.ops.InstanceStats;
import dev.ratecache.ops.RedisServerStats;
import dev.ratecache.ops.WarmupReport;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisSettings.Endpoint;
import dev.ratecache.redis.RedisTopology;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/** Argument parsing and output formatting, without Redis. */
class CliParsingTest {
  /** Runs the CLI in-process and captures what it prints. */
  record Run(int exit, String out, String err) {
    static Run of(Map<String, String> env, String input, String... args) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8), env,
          new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), false);
      return new Run(exit, out.toString(StandardCharsets.UTF_8),
          err.toString(StandardCharsets.UTF_8));
    }

    static Run of(String... args) {
      return of(Map.of(), "", args);
    }
  }

  private static ConnectionOptions parse(String... args) {
    Main.Health health = new Main.Health();
    new CommandLine(health).parseArgs(args);
    return health.connection;
  }

  @Test
  void connectionOptionsDefaultToTheEnvironment() {
    RedisSettings s = parse().settings(Map.of("REDIS_HOST", "envhost", "REDIS_PORT", "7000",
        "REDIS_PASSWORD", "pw", "UNRELATED", "x"));
    assertThat(s.endpoints()).containsExactly(new Endpoint("envhost", 7000));
    assertThat(s.password()).isEqualTo("pw");
    assertThat(s.failureThreshold()).isEqualTo(1);
  }

  @Test
  void explicitTopologyOptionsReplaceTheEnvironments() {
    Map<String, String> env = Map.of("REDIS_URL", "redis://envurl:1/2",
        "REDIS_CLUSTER_NODES", "a:1");
    RedisSettings host = parse("--host", "h", "--port", "6380", "--db", "3").settings(env);
    assertThat(host.topology()).isInstanceOf(RedisTopology.Standalone.class);
    assertThat(host.endpoints()).containsExactly(new Endpoint("h", 6380));
    assertThat(host.database()).isEqualTo(3);
    RedisSettings cluster = parse("--cluster", "c1:7000,c2:7001").settings(env);
    assertThat(cluster.topology()).isInstanceOf(RedisTopology.Cluster.class);
    assertThat(cluster.endpoints()).hasSize(2);
    RedisSettings url = parse("--url", "rediss://u:p@x:9/1").settings(Map.of(
        "REDIS_CLUSTER_NODES", "a:1"));
    assertThat(url.tls()).isTrue();
    assertThat(url.topology()).isInstanceOf(RedisTopology.Standalone.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"health", "monitor", "clear", "warm", "stats"})
  void everyCommandHasHelp(String command) {
    Run r = Run.of(command, "--help");
    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Usage: ratecache " + command);
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertThat(Run.of().exit()).isEqualTo(2);
    Run unknown = Run.of("health", "--colour");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("Unknown option: '--colour'");
    Run badPort = Run.of("health", "--port", "eighty");
    assertThat(badPort.exit()).isEqualTo(2);
    Run badEnv = Run.of(Map.of("REDIS_PORT", "abc"), "", "health");
    assertThat(badEnv.exit()).isEqualTo(2);
    assertThat(badEnv.err()).contains("REDIS_PORT: must be a whole number");
    Run noToken = Run.of("warm", "--app-url", "http://localhost:1");
    assertThat(noToken.exit()).isEqualTo(2);
    assertThat(noToken.err()).contains("ADMIN_TOKEN");
    Run badUrl = Run.of("warm", "--app-url", "ftp://x", "--token", "t");
    assertThat(badUrl.exit()).isEqualTo(2);
    Run badPattern = Run.of("clear", "--pattern", "*");
    assertThat(badPattern.exit()).isEqualTo(2);
    assertThat(badPattern.err()).contains("never removes keys it does not own");
  }

  @Test
  void patternsMustStayInsideTheLibrarysNamespaces() {
    assertThat(Main.Clear.checkPattern("query:user:*")).isNull();
    assertThat(Main.Clear.checkPattern("rate_limit:chat:*")).isNull();
    assertThat(Main.Clear.checkPattern("auth:*")).isNull();
    assertThat(Main.Clear.checkPattern("*")).contains("outside");
    assertThat(Main.Clear.checkPattern("session:*")).contains("outside");
    assertThat(Main.Clear.checkPattern(" ")).contains("empty");
    assertThat(Main.Clear.checkPattern("query:a b")).contains("spaces");
  }

  @Test
  void healthAgainstNothingListeningExitsOneAndSaysWhy() {
    Run r = Run.of("health", "--host", "127.0.0.1", "--port",
        String.valueOf(dev.ratecache.testing.Ports.free()));
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("status:     DEGRADED").contains("last error:")
        .contains("Connection");
    Run stats = Run.of("stats", "--host", "127.0.0.1", "--port",
        String.valueOf(dev.ratecache.testing.Ports.free()));
    assertThat(stats.exit()).isEqualTo(3);
    assertThat(stats.err()).contains("Redis unreachable");
  }

  @Test
  void formatsHealth() {
    Instant since = Instant.parse("2026-11-25T10:00:00Z");
    HealthReport r = new HealthReport("UP", "redis", since, 0.42, "7.0.15", "cluster",
        "cluster[a:1]", List.of(new HealthReport.Node("a:1", "master", "ok")), 2_097_152, 0,
        null, null, 2, Duration.ofSeconds(75), "live", List.of());
    String text = Format.health(r, since.plusSeconds(3600));
    assertThat(text).contains("status:     UP\n")
        .contains("since 2026-11-25T10:00:00Z (60 min 0 s)")
        .contains("ping:       0.42 ms")
        .contains("memory:     2.0 MiB used of no limit")
        .contains("node:       a:1 master ok")
        .contains("outages:    2 (75.0 s on fallback)")
        .contains("events:     live\n")
        .doesNotContain("last error").doesNotContain("failing");
    HealthReport partly = new HealthReport("UP", "redis", since, 0.42, "7.0.15", "cluster",
        "cluster[a:1]", List.of(), 0, 0, null, null, 0, Duration.ZERO, "live", List.of("b:2"));
    assertThat(Format.health(partly, since)).contains(
        "failing:    b:2 (their keys use the fallback)\n");
  }

  @Test
  void formatsStatsPerInstanceAndInTotal() {
    Instant t = Instant.parse("2026-11-25T10:00:00Z");
    InstanceStats a = new InstanceStats("a", t, "redis", Map.of("cache.user.hits", 3L,
        "cache.user.misses", 1L, "ratelimit.chat.allowed", 20L, "ratelimit.chat.rejected", 5L,
        "near.hits", 2L, "events.published", 4L, "events.received", 6L));
    InstanceStats b = new InstanceStats("b", t, "memory", Map.of("cache.user.hits", 1L,
        "cache.user.misses", 3L, "ratelimit.chat.allowed", 10L));
    RedisServerStats redis = new RedisServerStats(120, 1024 * 1024, 0, 0, 4, 1000,
        Map.of("query:user", 10L, "other", 990L), false);
    String text = Format.stats(List.of(a, b), redis);
    assertThat(text).containsPattern("a\\s+redis\\s+75\\.0%\\s+3\\s+1\\s+20\\s+5")
        .containsPattern("b\\s+memory\\s+25\\.0%\\s+1\\s+3\\s+10\\s+0")
        .containsPattern("total\\s+memory\\s+50\\.0%\\s+4\\s+4\\s+30\\s+5")
        .containsPattern("chat\\s+30\\s+5\\s+0\\s+0")
        .doesNotContainPattern("(?m)^near\\s+[0-9.]+%")  // not a category: counted in user's hits
        .contains("near cache: 2 hits served from memory; events: 4 published, 6 received")
        .contains("redis: 120 ops/s, 1.0 MiB used of no limit, 1000 keys");
  }

  @Test
  void formatsWarmup() {
    WarmupReport r = new WarmupReport(Instant.EPOCH, Duration.ofMillis(30), List.of(
        new WarmupReport.Result("users", 12, Duration.ofMillis(10), null),
        new WarmupReport.Result("docs", 0, Duration.ofMillis(20), "java.io.IOException: db")));
    assertThat(Format.warmup(r)).containsPattern("users\\s+12\\s+10 ms\\s+ok")
        .containsPattern("docs\\s+0\\s+20 ms\\s+FAILED: java.io.IOException: db")
        .contains("12 entries in 30 ms");
    assertThat(Format.bytes(512)).isEqualTo("512 B");
    assertThat(Format.duration(Duration.ofHours(3).plusMinutes(5))).isEqualTo("3 h 5 min");
  }
}
