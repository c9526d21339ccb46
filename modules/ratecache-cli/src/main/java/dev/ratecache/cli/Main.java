package dev.ratecache.cli;

import dev.ratecache.ConfigurationException;
import dev.ratecache.json.Jackson2Codec;
import dev.ratecache.json.JsonCodec;
import dev.ratecache.json.TypeToken;
import dev.ratecache.ops.FleetStats;
import dev.ratecache.ops.HealthCheck;
import dev.ratecache.ops.HealthReport;
import dev.ratecache.ops.InstanceStats;
import dev.ratecache.ops.Operations;
import dev.ratecache.ops.RedisServerStats;
import dev.ratecache.ops.WarmupReport;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisUnavailableException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.LongConsumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine;

/**
 * The management command line: {@code health}, {@code monitor}, {@code clear}, {@code warm} and
 * {@code stats}. Parsing is separate from running ({@link #run}), so both are tested without a
 * terminal.
 *
 * <p>Exit codes: 0 success (healthy); 1 unhealthy or the operation failed; 2 bad usage or
 * configuration; 3 Redis (or the application) unreachable.
 *
 * <p>(Longer than most files here for a reason: picocli wants each command as a nested class of
 * the one it belongs to; output formatting is {@code Format}, connection options
 * {@code ConnectionOptions}.)
 */
@Command(name = "ratecache", mixinStandardHelpOptions = true, version = "ratecache 0.1.0",
    description = "Operate ratecache's Redis data: health, live monitor, clearing, warm-up and"
        + " statistics.",
    subcommands = {Main.Health.class, Main.Monitor.class, Main.Clear.class, Main.Warm.class,
        Main.Stats.class, Main.OverrideCommand.class, Main.Explain.class, Main.Reset.class,
        Main.Audit.class, CommandLine.HelpCommand.class})
public final class Main implements Callable<Integer> {
  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int UNREACHABLE = 3;


  private static final JsonCodec JSON = Jackson2Codec.standard();

  final PrintStream out;
  final PrintStream err;
  final Map<String, String> env;
  final BufferedReader in;
  final boolean interactive;
  final Clock clock;

  Main(PrintStream out, PrintStream err, Map<String, String> env, InputStream in,
      boolean interactive, Clock clock) {
    this.out = out;
    this.err = err;
    this.env = env;
    this.in = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    this.interactive = interactive;
    this.clock = clock;
  }

  public static void main(String[] args) {
    // Before any logger exists: a command-line tool shows warnings, not the library's info lines.
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(run(args, System.out, System.err, System.getenv(), System.in,
        System.console() != null));
  }

  /** Parses and runs {@code args}; returns the exit code. */
  static int run(String[] args, PrintStream out, PrintStream err, Map<String, String> env,
      InputStream in, boolean interactive) {
    return commandLine(new Main(out, err, env, in, interactive, Clock.systemUTC())).execute(args);
  }

  static CommandLine commandLine(Main main) {
    CommandLine cl = new CommandLine(main);
    cl.setOut(new PrintWriter(main.out, true));
    cl.setErr(new PrintWriter(main.err, true));
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      if (e instanceof ConfigurationException) {
        main.err.println("error: " + e.getMessage());
        return USAGE;
      }
      if (e instanceof RedisUnavailableException) {
        main.err.println("error: Redis unreachable: " + e.getMessage());
        return UNREACHABLE;
      }
      main.err.println("error: " + e);
      return FAILED;
    });
    return cl;
  }

  @Override
  public Integer call() {
    CommandLine.usage(this, out);
    return USAGE;
  }

  /** Connects, or explains why not; {@code null} when Redis did not answer. */
  RedisConnector connect(ConnectionOptions connection) {
    RedisConnector c = RedisConnector.create(connection.settings(env));
    if (!c.checkNow()) {
      err.println("error: Redis unreachable at " + c.settings().describe() + ": "
          + c.health().snapshot().lastError());
      c.close();
      return null;
    }
    return c;
  }

  /** Progress on stderr for long sweeps, at most twice a second (a human's wall time). */
  LongConsumer progress(String verb) {
    long[] last = {System.nanoTime()};
    return scanned -> {
      long now = System.nanoTime();
      if (now - last[0] > 500_000_000L) {
        last[0] = now;
        err.println(verb + ": " + scanned + " keys scanned…");
      }
    };
  }

  @Command(name = "health", mixinStandardHelpOptions = true,
      description = "Print the health report; exit 0 when Redis is healthy, 1 otherwise.")
  static final class Health implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    ConnectionOptions connection;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() {
      try (RedisConnector c = RedisConnector.create(connection.settings(main.env))) {
        c.checkNow();
        HealthReport report = HealthCheck.check(c);
        main.out.print(json ? JSON.encode(report) + "\n" : Format.health(report,
            main.clock.instant()));
        return report.healthy() ? OK : FAILED;
      }
    }
  }

  @Command(name = "stats", mixinStandardHelpOptions = true,
      description = "Statistics of every instance that publishes to this Redis, and of Redis.")
  static final class Stats implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    ConnectionOptions connection;
    @Option(names = "--json", description = "print JSON")
    boolean json;
    @Option(names = "--scan-limit", defaultValue = "100000",
        description = "keys to scan per master when counting namespaces (default ${DEFAULT-VALUE})")
    long scanLimit;

    @Override
    public Integer call() {
      RedisConnector c = main.connect(connection);
      if (c == null) {
        return UNREACHABLE;
      }
      try (c) {
        List<InstanceStats> instances = FleetStats.instances(c);
        RedisServerStats redis = FleetStats.redis(c, scanLimit);
        if (json) {
          Map<String, Object> body = new LinkedHashMap<>();
          body.put("instances", instances);
          body.put("total", InstanceStats.total(instances));
          body.put("redis", redis);
          main.out.println(JSON.encode(body));
        } else {
          main.out.print(Format.stats(instances, redis));
        }
        return OK;
      }
    }
  }

  @Command(name = "monitor", mixinStandardHelpOptions = true,
      description = "A live view of hit ratio, rejections, Redis ops/s and memory, refreshed"
          + " every interval.")
  static final class Monitor implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    ConnectionOptions connection;
    @Option(names = "--interval", defaultValue = "2", paramLabel = "SECONDS",
        description = "seconds between refreshes (default ${DEFAULT-VALUE})")
    double interval;
    @Option(names = "--count", defaultValue = "0",
        description = "refreshes before exiting; 0 runs until interrupted")
    int count;

    @Override
    public Integer call() throws InterruptedException {
      if (interval <= 0 || count < 0) {
        main.err.println("error: --interval must be positive and --count not negative");
        return USAGE;
      }
      RedisConnector c = main.connect(connection);
      if (c == null) {
        return UNREACHABLE;
      }
      try (c) {
        for (int i = 0; count == 0 || i < count; i++) {
          if (i > 0) {
            Thread.sleep((long) (interval * 1000));
          }
          StringBuilder screen = new StringBuilder();
          screen.append("ratecache monitor  ").append(c.settings().describe()).append("  ")
              .append(main.clock.instant()).append("\n\n");
          try {
            screen.append(Format.stats(FleetStats.instances(c), FleetStats.redis(c, 10_000)));
          } catch (RedisUnavailableException e) {
            screen.append("Redis unreachable: ").append(e.getMessage()).append('\n');
          } catch (redis.clients.jedis.exceptions.JedisDataException e) {
            // An error reply, such as an ACL refusal of INFO: shown, and tried again next time.
            screen.append("Redis refused: ").append(e.getMessage()).append('\n');
          }
          main.out.print(main.interactive ? "\033[H\033[2J" + screen : screen + "\n");
          main.out.flush();
        }
        return OK;
      }
    }
  }

  @Command(name = "clear", mixinStandardHelpOptions = true,
      description = "Remove the library's keys (all its namespaces), or those matching"
          + " --pattern. Asks for confirmation unless --yes.")
  static final class Clear implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    ConnectionOptions connection;
    @Option(names = "--pattern", description = "a glob inside the library's namespaces,"
        + " e.g. 'query:user:*'")
    String pattern;
    @Option(names = {"-y", "--yes"}, description = "do not ask for confirmation")
    boolean yes;
    @Option(names = "--dry-run", description = "only count the keys that would be removed")
    boolean dryRun;

    @Override
    public Integer call() throws IOException {
      List<String> patterns;
      if (pattern == null) {
        patterns = Operations.OWNED_PATTERNS;
      } else {
        String problem = checkPattern(pattern);
        if (problem != null) {
          main.err.println("error: --pattern " + problem);
          return USAGE;
        }
        patterns = List.of(pattern);
      }
      RedisConnector c = main.connect(connection);
      if (c == null) {
        return UNREACHABLE;
      }
      try (c) {
        String what = String.join(", ", patterns);
        if (dryRun || !yes) {
          // Counting is a full sweep: only done to report or to ask, not before --yes.
          long matching = 0;
          for (String p : patterns) {
            matching += c.countMatching(p, main.progress("counting"));
          }
          if (dryRun) {
            main.out.println("would remove " + matching + " keys matching " + what);
            return OK;
          }
          if (matching == 0) {
            main.out.println("removed 0 keys matching " + what);
            return OK;
          }
          main.out.print("Remove " + matching + " keys matching " + what + "? [y/N] ");
          main.out.flush();
          String answer = main.in.readLine();
          if (answer == null || !(answer.trim().equalsIgnoreCase("y")
              || answer.trim().equalsIgnoreCase("yes"))) {
            main.err.println("aborted; nothing removed (use --yes to skip this question)");
            return FAILED;
          }
        }
        long removed = 0;
        for (String p : patterns) {
          removed += c.unlinkMatching(p, main.progress("removing"));
        }
        main.out.println("removed " + removed + " keys matching " + what);
        return OK;
      }
    }

    /** Why a pattern is refused, or {@code null}. Pure. */
    static String checkPattern(String pattern) {
      return Operations.checkPattern(pattern);
    }
  }

  @Command(name = "warm", mixinStandardHelpOptions = true,
      description = "Run warm-up in a running application through its admin endpoint.")
  static final class Warm implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    AppOptions app;
    @Option(names = "--json", description = "print JSON")
    boolean json;

    @Override
    public Integer call() throws InterruptedException {
      AdminCall.Result r = AdminCall.call(main.err, main.env, app.appUrl, app.token, "POST",
          "warm", Map.of(), Duration.ofMinutes(5));
      if (r.response() == null) {
        return r.exit();
      }
      HttpResponse<String> response = r.response();
      WarmupReport report = JSON.decode(response.body(), TypeToken.of(WarmupReport.class));
      main.out.print(json ? response.body() + "\n" : Format.warmup(report));
      return report.succeeded() ? OK : FAILED;
    }
  }

  @Command(name = "override", mixinStandardHelpOptions = true,
      description = "List, set or remove the rate limiter's runtime overrides (per-client and"
          + " per-plan limits, plans, timed denials) through a running application's admin"
          + " endpoint; every instance applies them.")
  static final class OverrideCommand implements Callable<Integer> {
    @ParentCommand
    Main main;
    @picocli.CommandLine.Parameters(index = "0", description = "list, set or remove")
    String action;
    @Mixin
    AppOptions app;
    @Option(names = "--kind", description = "limit, plan or deny")
    String kind;
    @Option(names = "--profile", description = "the profile of a limit")
    String profile;
    @Option(names = "--client", description = "the client: 203.0.113.7, user:<name>,"
        + " key:<owner>, client:<id>, app:<id>; plan:<name> for a plan's limit; a CIDR block to"
        + " deny")
    String client;
    @Option(names = "--value", description = "the limits (200/1m) or the plan (pro)")
    String value;
    @Option(names = "--ttl", description = "how long: 90s, 10m, 2h, 1d (default: until removed)")
    String ttl;

    @Override
    public Integer call() throws InterruptedException {
      Map<String, String> query = new java.util.LinkedHashMap<>();
      String method;
      switch (action) {
        case "list" -> method = "GET";
        case "set", "remove" -> {
          if (kind == null || client == null) {
            main.err.println("error: " + action + " needs --kind and --client");
            return USAGE;
          }
          method = action.equals("set") ? "POST" : "DELETE";
          query.put("kind", kind);
          query.put("profile", profile);
          query.put("subject", client);
          if (action.equals("set")) {
            query.put("value", value);
            query.put("ttl", ttl);
          }
        }
        default -> {
          main.err.println("error: unknown action '" + action + "'; use list, set or remove");
          return USAGE;
        }
      }
      return app.call(main, method, "overrides", query);
    }
  }

  /** The options every command that acts through a running application's admin endpoint has. */
  static final class AppOptions {
    @Option(names = "--app-url", required = true,
        description = "the application's JAX-RS base URL, e.g. http://localhost:8080")
    String appUrl;
    @Option(names = "--token", description = "admin token (env ADMIN_TOKEN)")
    String token;

    /** Calls the endpoint and prints its JSON answer; the exit code. */
    int call(Main main, String method, String path, Map<String, String> query)
        throws InterruptedException {
      AdminCall.Result r = AdminCall.call(main.err, main.env, appUrl, token, method, path, query,
          Duration.ofSeconds(30));
      if (r.response() != null) {
        main.out.println(r.response().body());
      }
      return r.exit();
    }
  }

  /** One client as an operator names it, and optionally its account and a profile. */
  static final class OneClient {
    @Option(names = "--client", required = true, description = "203.0.113.7, user:<name>,"
        + " key:<owner>, client:<id> or app:<id>")
    String client;
    @Option(names = "--account", description = "the account, for profiles keyed by account")
    String account;
    @Option(names = "--profile", description = "one profile (explain: instead of --path;"
        + " reset: default every profile)")
    String profile;

    Map<String, String> query() {
      Map<String, String> q = new LinkedHashMap<>();
      q.put("client", client);
      q.put("account", account);
      q.put("profile", profile);
      return q;
    }
  }

  @Command(name = "explain", mixinStandardHelpOptions = true,
      description = "What the rate limiter would do with one client's next request, and why:"
          + " the profile, the identity, the Redis key, the limits and where they come from,"
          + " the tokens left, any lock, override or list entry. Changes nothing.")
  static final class Explain implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    AppOptions app;
    @Option(names = "--path", description = "the request path, e.g. /api/auth/login")
    String path;
    @Option(names = "--method", defaultValue = "GET", description = "the HTTP method")
    String method;
    @Mixin
    OneClient who;
    @Option(names = "--plan", description = "the plan the client's API key is on")
    String plan;

    @Override
    public Integer call() throws InterruptedException {
      Map<String, String> q = who.query();
      q.put("path", path);
      q.put("method", method);
      q.put("plan", plan);
      return app.call(main, "GET", "explain", q);
    }
  }

  @Command(name = "reset", mixinStandardHelpOptions = true,
      description = "Reset one client's rate-limit buckets and lockouts on every instance.")
  static final class Reset implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    AppOptions app;
    @Mixin
    OneClient who;

    @Override
    public Integer call() throws InterruptedException {
      return app.call(main, "POST", "reset", who.query());
    }
  }

  @Command(name = "audit", mixinStandardHelpOptions = true,
      description = "The audit trail's latest records: first rejections, lockouts, operators'"
          + " actions (clients as hashes).")
  static final class Audit implements Callable<Integer> {
    @ParentCommand
    Main main;
    @Mixin
    AppOptions app;
    @Option(names = "--count", defaultValue = "50", description = "how many (at most 1000)")
    int count;

    @Override
    public Integer call() throws InterruptedException {
      return app.call(main, "GET", "audit", Map.of("count", Integer.toString(count)));
    }
  }
}
