package dev.ratecache.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * A real {@code redis-server} process on a free loopback port, for tests; also a JUnit 5
 * extension that starts it before a test class and stops it after:
 *
 * <pre>{@code
 * @RegisterExtension static final RedisServer redis = RedisServer.builder().build();
 * }</pre>
 *
 * <p>Faults on purpose: {@link #stop()} (clean shutdown), {@link #kill()} (SIGKILL),
 * {@link #restart()} (same port), {@link #freeze()}/{@link #thaw()} (SIGSTOP/SIGCONT: accepts
 * connections but never answers), {@link #pauseClients(Duration)} ({@code CLIENT PAUSE}) and
 * {@link #debugSleep(Duration)}. Every process started is killed by a JVM shutdown hook
 * ({@link ProcessReaper}) if a test leaves it running.
 *
 * <p>(Longer than most files here for a reason: one process's life and every fault it can be
 * put in; its nested Builder is API.)
 */
public final class RedisServer extends RedisFixture {
  private final int port;
  private final int tlsPort;
  private final String password;
  private final List<String> extraArgs;
  private final Path dir;
  private volatile Process process;

  private RedisServer(Builder b) {
    this.port = b.port != 0 ? b.port : Ports.free();
    this.password = b.password;
    List<String> args = new ArrayList<>(b.extraArgs);
    if (b.certificates != null) {
      this.tlsPort = Ports.free();
      args.addAll(List.of("--tls-port", String.valueOf(tlsPort),
          "--tls-cert-file", b.certificates.serverCert().toString(),
          "--tls-key-file", b.certificates.serverKey().toString(),
          "--tls-ca-cert-file", b.certificates.caCert().toString(),
          "--tls-auth-clients", b.clientCertificates ? "yes" : "no"));
    } else {
      this.tlsPort = -1;
    }
    this.extraArgs = List.copyOf(args);
    try {
      this.dir = Files.createTempDirectory("redis-test-" + port + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A builder for a server on a free port with no password. */
  public static Builder builder() {
    return new Builder();
  }

  /** Starts the process (if not running) and waits until it answers {@code PING}. */
  public synchronized RedisServer start() {
    if (isRunning()) {
      return this;
    }
    List<String> cmd = new ArrayList<>(List.of(RedisBinary.path().toString(),
        "--port", String.valueOf(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--daemonize", "no",
        "--protected-mode", "no",
        "--enable-debug-command", "local",
        "--dir", dir.toString(),
        "--logfile", dir.resolve("redis.log").toString()));
    if (password != null) {
      cmd.addAll(List.of("--requirepass", password));
    }
    cmd.addAll(extraArgs);
    try {
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(dir.resolve("stdout.log").toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot start " + cmd.get(0), e);
    }
    ProcessReaper.register(process);
    awaitReady(Duration.ofSeconds(15));
    return this;
  }

  private void awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    Exception last = null;
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("redis-server on port " + port + " exited with "
            + process.exitValue() + ":\n" + logTail());
      }
      try (Jedis j = client()) {
        String pong = j.ping();
        if ("PONG".equals(pong)) {
          return;
        }
      } catch (RuntimeException e) {
        last = e;
      }
      sleep(10);
    }
    throw new IllegalStateException("redis-server on port " + port + " did not answer within "
        + timeout + ": " + last + "\n" + logTail());
  }

  /** Stops cleanly ({@code SHUTDOWN NOSAVE}) and waits for the process to exit. */
  public synchronized void stop() {
    Process p = process;
    if (p == null || !p.isAlive()) {
      return;
    }
    try (Jedis j = client()) {
      j.shutdown(redis.clients.jedis.params.ShutdownParams.shutdownParams().nosave());
    } catch (RuntimeException expected) {
      // The connection closes as the server exits.
    }
    ProcessReaper.waitForExit(p);
  }

  /** Kills the process with SIGKILL and waits for it to exit. */
  public synchronized void kill() {
    Process p = process;
    if (p != null) {
      ProcessReaper.kill(p);
    }
  }

  /** Starts the process again on the same port, after {@link #stop()} or {@link #kill()}. */
  public synchronized RedisServer restart() {
    kill();
    return start();
  }

  /** Suspends the process (SIGSTOP): connections are accepted by the kernel, never answered. */
  public void freeze() {
    signal("-STOP");
  }

  /** Resumes a {@link #freeze() frozen} process (SIGCONT). */
  public void thaw() {
    signal("-CONT");
  }

  /** {@code CLIENT PAUSE ms ALL}: every client's commands stall for {@code duration}. */
  public void pauseClients(Duration duration) {
    withClient(j -> j.clientPause(duration.toMillis()));
  }

  /** {@code DEBUG SLEEP}: the server blocks for {@code duration}; returns at once. */
  public void debugSleep(Duration duration) {
    Thread t = new Thread(() -> {
      try (Jedis j = client()) {
        j.sendCommand(() -> "DEBUG".getBytes(java.nio.charset.StandardCharsets.US_ASCII), "SLEEP",
            String.format(java.util.Locale.ROOT, "%.3f", duration.toMillis() / 1000.0));
      } catch (RuntimeException ignored) {
        // The caller's test observes the effect, not this connection.
      }
    }, "redis-debug-sleep");
    t.setDaemon(true);
    t.start();
    sleep(50); // let the command reach the server before the caller's next step
  }

  /**
   * How many times the server ran {@code command} (lower case, e.g. {@code get}) since start or
   * {@code CONFIG RESETSTAT}, from {@code INFO commandstats}; this includes commands run inside
   * scripts.
   */
  public long commandCalls(String command) {
    String prefix = "cmdstat_" + command + ":calls=";
    return withClient(j -> j.info("commandstats")).lines()
        .filter(l -> l.startsWith(prefix)).findFirst()
        .map(l -> Long.parseLong(l.substring(prefix.length(), l.indexOf(',', prefix.length()))))
        .orElse(0L);
  }

  /** Deletes every key in every database. */
  public void flushAll() {
    withClient(Jedis::flushAll);
  }

  /** A new direct connection (authenticated); the caller closes it. */
  public Jedis client() {
    DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(1000).socketTimeoutMillis(5000);
    if (password != null) {
      config.password(password);
    }
    return new Jedis(new HostAndPort("127.0.0.1", port), config.build());
  }

  /** Runs {@code f} on a fresh direct connection. */
  public <T> T withClient(Function<Jedis, T> f) {
    try (Jedis j = client()) {
      return f.apply(j);
    }
  }

  public int port() {
    return port;
  }

  /**
   * The TLS port (the plain {@link #port()} stays open for the fixture's own use); -1 unless
   * built with {@link Builder#tls}.
   */
  public int tlsPort() {
    return tlsPort;
  }

  public String host() {
    return "127.0.0.1";
  }

  public String password() {
    return password;
  }

  /** {@code redis://[:password@]127.0.0.1:port}. */
  public String url() {
    return "redis://" + (password != null ? ":" + password + "@" : "") + "127.0.0.1:" + port;
  }

  public boolean isRunning() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** The process id, or -1 if not running. */
  public long pid() {
    Process p = process;
    return p != null && p.isAlive() ? p.pid() : -1;
  }

  /** The last lines of the server's log, for failure messages. */
  public String logTail() {
    try {
      Path log = dir.resolve("redis.log");
      if (!Files.exists(log)) {
        log = dir.resolve("stdout.log");
      }
      List<String> lines = Files.exists(log) ? Files.readAllLines(log) : Collections.emptyList();
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  RedisServer startAll() {
    return start();
  }

  /** Kills the process and forgets it. */
  @Override
  public void close() {
    destroyNow();
  }

  private void destroyNow() {
    Process p = process;
    if (p != null) {
      ProcessReaper.kill(p);
    }
  }

  private void signal(String signal) {
    long pid = pid();
    if (pid < 0) {
      throw new IllegalStateException("redis-server on port " + port + " is not running");
    }
    try {
      Process kill = new ProcessBuilder("kill", signal, String.valueOf(pid))
          .redirectErrorStream(true).start();
      if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
        throw new IllegalStateException("kill " + signal + " " + pid + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "RedisServer{127.0.0.1:" + port + (isRunning() ? " running" : " stopped") + "}";
  }

  /** Builds a {@link RedisServer}. Not thread-safe. */
  public static final class Builder {
    private int port;
    private String password;
    private final List<String> extraArgs = new ArrayList<>();
    private TestCertificates certificates;
    private boolean clientCertificates;

    private Builder() {}

    /** A fixed port (default: a free one). */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Requires this password ({@code requirepass}). */
    public Builder password(String password) {
      this.password = password;
      return this;
    }

    /** Extra {@code redis-server} arguments, such as {@code "--maxmemory", "10mb"}. */
    public Builder args(String... args) {
      extraArgs.addAll(List.of(args));
      return this;
    }

    /**
     * Also listens for TLS on {@link RedisServer#tlsPort()} with the server certificate of {@code
     * certificates}, requiring client certificates signed by its CA when {@code
     * clientCertificates}.
     */
    public Builder tls(TestCertificates certificates, boolean clientCertificates) {
      this.certificates = certificates;
      this.clientCertificates = clientCertificates;
      return this;
    }

    /** The server, not yet started. */
    public RedisServer build() {
      return new RedisServer(this);
    }
  }
}
