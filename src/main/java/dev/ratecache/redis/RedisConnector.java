package dev.ratecache.redis;

import dev.ratecache.internal.KeySpace;
import dev.ratecache.internal.ThrottledLog;
import dev.ratecache.internal.Time;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.AbstractPipeline;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.Connection;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.ConnectionProvider;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * The one way every feature reaches Redis: a lazily created, pooled Jedis client behind a
 * fail-fast health switch.
 *
 * <p>Creating a connector touches no network; the first {@link #execute} builds the client
 * (standalone, Sentinel or Cluster, as {@link RedisSettings#topology()} says) and connects. Every
 * call's outcome feeds {@link RedisHealth}: connection failures, timeouts, pool exhaustion,
 * {@code CLUSTERDOWN}/{@code LOADING}-type replies and calls slower than
 * {@link RedisSettings#slowCallThreshold()} count as failures, and enough of them in a row switch
 * the state to DOWN. While DOWN, {@link #execute} throws {@link RedisUnavailableException} at
 * once, without touching the network, so callers take their fallback path; a background probe
 * switches back to UP when Redis answers again, first dropping pooled connections that the
 * outage left stale.
 *
 * <p>Failures are logged once per transition by {@link RedisHealth} and otherwise at most once
 * per 30 seconds, never with a stack trace per request.
 *
 * <p>Use {@link #shared(RedisSettings)} to share one client among every feature of an
 * application that uses equal settings, or {@link #create(RedisSettings)} for a private one.
 * Thread-safe.
 *
 * <p>(Longer than most files here for a reason: every way in, single calls, pipelines, calls per
 * master, the probe, goes through one health switch and one lazily made client. What is pure
 * lives beside it: {@code Failures} (what a failure means), {@code ClusterNodes}, {@code
 * JedisClients} (building the client and its TLS), {@code KeySweep}.)
 */
public final class RedisConnector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisConnector.class);
  private static final Map<RedisSettings, RedisConnector> SHARED = new HashMap<>();

  private final RedisSettings settings;
  private final String name;
  private final Clock clock;
  private final ScheduledExecutorService scheduler;
  private final List<Consumer<String>> shardListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private final boolean ownsScheduler;
  private final RedisHealth health;
  private final ThrottledLog throttled;
  private final long slowCallNanos;
  private final RedisUnavailableException downException;
  private final RedisUnavailableException shardFailingException;
  private final ShardHealth shards;
  private final java.util.concurrent.atomic.AtomicBoolean shardCheckScheduled =
      new java.util.concurrent.atomic.AtomicBoolean();
  private final boolean sharedInstance;
  private final javax.net.ssl.SSLSocketFactory tlsSocketFactory;

  private final Object clientLock = new Object();
  private volatile Client client;
  private RedisEvents events;
  private volatile boolean closed;
  private int references = 1;

  /** The Jedis client and the provider whose pools it draws from. */
  record Client(UnifiedJedis jedis, ConnectionProvider provider) {}

  private volatile AutoPipeline autoPipeline;

  /**
   * Says once per JVM, on standard error, that nothing will be logged when SLF4J has no provider
   * (a WAR without one gets SLF4J's own NOP warning only, and then silence: outages included).
   */
  private static final java.util.concurrent.atomic.AtomicBoolean LOGGING_CHECKED =
      new java.util.concurrent.atomic.AtomicBoolean();

  static void checkLogging() {
    if (LOGGING_CHECKED.compareAndSet(false, true)
        && LoggerFactory.getILoggerFactory() instanceof org.slf4j.helpers.NOPLoggerFactory) {
      System.err.println("ratecache: no SLF4J provider is on the classpath, so Redis outages,"
          + " recoveries and errors will not be logged; add one (logback-classic,"
          + " slf4j-simple, log4j-slf4j2-impl or slf4j-jdk14)");
    }
  }

  private RedisConnector(RedisSettings settings, Clock clock, ScheduledExecutorService scheduler,
      boolean sharedInstance) {
    checkLogging();
    this.settings = Objects.requireNonNull(settings, "settings");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.sharedInstance = sharedInstance;
    this.name = settings.describe();
    JedisClients.checkJedis();
    this.tlsSocketFactory = JedisClients.tlsSocketFactory(settings);
    this.slowCallNanos = settings.slowCallThreshold().toNanos();
    this.downException = new RedisUnavailableException(
        "Redis " + name + " is unavailable; use the fallback", null);
    this.shardFailingException = new RedisUnavailableException("Redis " + name
        + ": the cluster master of this key is failing; use the fallback for its keys", null);
    this.shards = new ShardHealth(settings.probeBackoff(),
        () -> TimeUnit.MILLISECONDS.toNanos(clock.millis()));
    this.throttled = new ThrottledLog(log, Duration.ofSeconds(30), clock);
    this.ownsScheduler = scheduler == null;
    this.scheduler = scheduler != null ? scheduler : Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ratecache-redis-health");
      t.setDaemon(true);
      return t;
    });
    boolean enabled = settings.enabled();
    this.health = new RedisHealth(name,
        enabled ? RedisHealth.State.UP : RedisHealth.State.DOWN,
        settings.failureThreshold(), settings.probeBackoff(), this::probe, this.scheduler, clock,
        () -> ThreadLocalRandom.current().nextDouble(), enabled);
    // Whatever a shard's quarantine said before, a probe that found the cluster whole rules now.
    health.onTransition(transition -> shards.clear());
    if (!enabled) {
      log.info("Redis is switched off ({}=false); every feature uses its in-memory store",
          RedisSettings.Name.ENABLED);
    }
  }

  /**
   * Creates a private connector. No network I/O happens until the first call.
   *
   * @param settings where Redis is and how to behave
   */
  public static RedisConnector create(RedisSettings settings) {
    return new RedisConnector(settings, Clock.systemUTC(), null, false);
  }

  /**
   * Creates a private connector whose health timestamps and log throttling read {@code clock}.
   */
  public static RedisConnector create(RedisSettings settings, Clock clock) {
    return new RedisConnector(settings, clock, null, false);
  }

  /**
   * Creates a private connector that reads time only from {@code clock} and waits only through
   * {@code scheduler}: the health probe and its backoff, health listeners, the event
   * subscription's PING watchdog and its resubscription backoff all run as tasks there. Tests
   * pass a scheduler on virtual time and advance it; an application may pass its own. The
   * connector does not shut down a scheduler it was given.
   */
  public static RedisConnector create(RedisSettings settings, Clock clock,
      ScheduledExecutorService scheduler) {
    return new RedisConnector(settings, clock, Objects.requireNonNull(scheduler, "scheduler"),
        false);
  }

  /**
   * Returns the connector for these settings that every caller in this JVM shares, creating it on
   * first use. Each call must be matched by one {@link #close()}; the client is closed with the
   * last.
   */
  public static RedisConnector shared(RedisSettings settings) {
    synchronized (SHARED) {
      RedisConnector existing = SHARED.get(settings);
      if (existing != null) {
        synchronized (existing.clientLock) {
          existing.references++;
        }
        return existing;
      }
      RedisConnector created = new RedisConnector(settings, Clock.systemUTC(), null, true);
      SHARED.put(settings, created);
      return created;
    }
  }

  /** The settings this connector was made with. */
  public RedisSettings settings() {
    return settings;
  }

  /** The health switch; register listeners here. */
  public RedisHealth health() {
    return health;
  }

  /**
   * The invalidation events shared with other instances on this Redis; the subscription starts
   * with the first listener and ends with this connector.
   */
  public RedisEvents events() {
    synchronized (clientLock) {
      if (events == null) {
        events = new RedisEvents(this, Duration.ofSeconds(1));
      }
      return events;
    }
  }

  /** True while Redis is in use (not known to be down). */
  public boolean isAvailable() {
    return health.isUp();
  }

  /**
   * Runs {@code command} against Redis, or fails fast while Redis is down.
   *
   * <p>Errors Redis itself returns for this command (a wrong type, a script error) are rethrown as
   * they are and do not count against health; failures to reach Redis become
   * {@link RedisUnavailableException}.
   *
   * @param command what to do with the client; must not keep the client beyond the call
   * @return what {@code command} returned
   * @throws RedisUnavailableException if Redis is down, or this call could not reach it
   * @throws JedisDataException if Redis answered with an error
   */
  public <T> T execute(Function<? super UnifiedJedis, ? extends T> command) {
    return execute(null, command, true);
  }

  /**
   * {@link #execute} for a command on {@code key} alone. On a Cluster, a failure of the master
   * that serves the key's slot is that master's alone: calls for keys on it fail fast until it
   * serves again (their callers take the fallback), while keys on the other masters go on using
   * Redis, and the connector's health stays UP unless every master fails. Elsewhere it is {@link
   * #execute}.
   *
   * @throws RedisUnavailableException if Redis is down, the key's master is failing, or this call
   *     could not reach it
   */
  public <T> T execute(String key, Function<? super UnifiedJedis, ? extends T> command) {
    return execute(nodeFor(key), command, true);
  }

  /** {@link #execute(String, Function)} for a command with no result. */
  public void run(String key, Consumer<? super UnifiedJedis> command) {
    execute(key, jedis -> {
      command.accept(jedis);
      return null;
    });
  }

  /**
   * The masters of a cluster that are failing now (their keys take the fallback while the rest
   * use Redis), as {@code host:port}; empty when none is, and always for standalone and Sentinel.
   */
  public List<String> failingMasters() {
    return shards.failing();
  }

  /**
   * Tells {@code listener} (on the connector's scheduler, never on a caller's thread) each time
   * a failing cluster master's keys reach Redis again: the master serves again, or its slots
   * moved to a master that does. What could not be written to those keys meanwhile (an
   * invalidation kept for later) can be written now. Health transitions are announced apart,
   * by {@link RedisHealth#onTransition}.
   *
   * @param listener receives the master as {@code host:port}
   * @return closing it removes the listener
   */
  public AutoCloseable onShardRecovered(Consumer<String> listener) {
    Objects.requireNonNull(listener, "listener");
    shardListeners.add(listener);
    return () -> shardListeners.remove(listener);
  }

  /** A failing master's keys use Redis again: logged, and the listeners told. */
  private void servesAgain(HostAndPort node, String how) {
    log.info("Redis {}: cluster master {} {}; its keys use Redis", name, node, how);
    if (shardListeners.isEmpty() || closed) {
      return;
    }
    String master = node.toString();
    try {
      scheduler.execute(() -> {
        for (Consumer<String> l : shardListeners) {
          try {
            l.accept(master);
          } catch (RuntimeException | Error e) {
            log.error("A shard-recovery listener threw for {}; ignored", master, e);
          }
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      log.debug("Shard-recovery listeners not told of {}: connector closed", master);
    }
  }

  private <T> T execute(Function<? super UnifiedJedis, ? extends T> command, boolean timed) {
    return execute(null, command, timed);
  }

  /** {@code node}: the cluster master the command goes to, if known; its failure is its own. */
  private <T> T execute(HostAndPort node, Function<? super UnifiedJedis, ? extends T> command,
      boolean timed) {
    failIfDown();
    failIfShardFailing(node);
    long start = Time.monotonicNanos();
    T result;
    try {
      result = command.apply(client().jedis());
    } catch (RuntimeException e) {
      throw onFailure(node, e);
    }
    if (shards.recovered(node)) {
      servesAgain(node, "serves again");
    }
    long took = Time.monotonicNanos() - start;
    if (timed && took >= slowCallNanos) {
      String reason = "slow call: " + TimeUnit.NANOSECONDS.toMillis(took) + " ms (threshold "
          + settings.slowCallThreshold().toMillis() + " ms)";
      if (!health.recordFailure(reason)) {
        throttled.warn("slow call", "Redis " + name + " " + reason, null);
      }
    } else {
      health.recordSuccess();
    }
    return result;
  }

  /**
   * What {@link #executeReplicated} returns: the write's result, and whether the replicas
   * {@link RedisSettings#waitReplicas()} asks for acknowledged it (always true when it asks
   * for none).
   */
  public record Replicated<T>(T result, boolean acknowledged) {}

  /**
   * A write for one key that should survive its master's crash: {@code write} runs on the key's
   * master as {@link #execute(String, Function)} runs it and, when {@link
   * RedisSettings#waitReplicas()} is above 0, is followed on the same connection by {@code WAIT}
   * for that many replicas, up to {@link RedisSettings#waitReplicasTimeout()}. A write no
   * replica acknowledged may be lost if the master crashes now: the caller keeps what it needs
   * to make it again (see {@link #onShardRecovered}).
   *
   * @throws RedisUnavailableException if Redis is down or the key's master failing
   */
  public <T> Replicated<T> executeReplicated(String key,
      Function<? super redis.clients.jedis.commands.JedisCommands, ? extends T> write) {
    int replicas = settings.waitReplicas();
    if (replicas == 0) {
      return new Replicated<>(execute(key, write::apply), true);
    }
    long timeout = settings.waitReplicasTimeout().toMillis();
    HostAndPort node = nodeFor(key);
    return execute(node, jedis -> {
      ConnectionProvider provider = client().provider();
      try {
        return writeAndWait(provider, node, write, replicas, timeout);
      } catch (redis.clients.jedis.exceptions.JedisRedirectionException moved) {
        // The slot moved (a failover, a resharding): take the map afresh and try its master once.
        if (!(provider instanceof ClusterConnectionProvider cluster)) {
          throw moved;
        }
        cluster.renewSlotCache();
        return writeAndWait(provider, nodeFor(key), write, replicas, timeout);
      }
    }, false);
  }

  /** The write and {@code WAIT} on one connection: WAIT counts its own connection's writes. */
  private static <T> Replicated<T> writeAndWait(ConnectionProvider provider, HostAndPort node,
      Function<? super redis.clients.jedis.commands.JedisCommands, ? extends T> write,
      int replicas, long timeout) {
    try (Connection c = provider instanceof ClusterConnectionProvider cluster && node != null
        ? cluster.getConnection(node) : provider.getConnection()) {
      redis.clients.jedis.Jedis one = new redis.clients.jedis.Jedis(c);
      T result = write.apply(one);
      return new Replicated<T>(result, one.waitReplicas(replicas, timeout) >= replicas);
    }
  }

  /** {@link #execute} for a command with no result. */
  public void run(Consumer<? super UnifiedJedis> command) {
    execute(jedis -> {
      command.accept(jedis);
      return null;
    });
  }

  /**
   * Queues commands on a pipeline and sends them in one round trip per node: a plain pipeline for
   * standalone and Sentinel, a cluster pipeline (grouped by the node that owns each key's slot)
   * for Cluster. The pipeline is synchronised before this returns, so every {@code Response}
   * {@code queue} created can be read.
   *
   * @param queue queues commands and returns their responses
   * @throws RedisUnavailableException if Redis is down, or a node could not be reached
   */
  public <T> T pipelined(Function<? super AbstractPipeline, ? extends T> queue) {
    return execute(jedis -> sync(openPipeline(), queue));
  }

  /** A cluster pipeline (grouped by slot owner) on Cluster, else a plain one. */
  private AbstractPipeline openPipeline() {
    ConnectionProvider provider = client.provider();
    return provider instanceof ClusterConnectionProvider cluster
        ? dev.ratecache.internal.JedisVersions.clusterPipeline(cluster) : new Pipeline(provider.getConnection(), true);
  }

  /**
   * {@link #pipelined}, reading every response before it returns, so that an error Redis answers
   * to one of the commands (a refused key, a script error) is handled and thrown as {@link
   * #execute} handles it: an ACL refusal is recorded for the health report, never taken for an
   * outage.
   *
   * @param queue queues commands and returns their responses, in order
   * @return what each response holds, in the same order
   * @throws RedisUnavailableException if Redis is down, or a node could not be reached
   */
  public List<Object> pipelinedResults(
      Function<? super AbstractPipeline, ? extends List<? extends Response<?>>> queue) {
    return execute(jedis -> {
      List<? extends Response<?>> responses = sync(openPipeline(), queue);
      List<Object> results = new java.util.ArrayList<>(responses.size());
      for (Response<?> r : responses) {
        results.add(r.get());
      }
      return results;
    });
  }

  /** Queues on {@code pipeline}, sends it, and closes it (returning its connections). */
  private static <T> T sync(AbstractPipeline pipeline,
      Function<? super AbstractPipeline, ? extends T> queue) {
    try (pipeline) {
      T responses = queue.apply(pipeline);
      pipeline.sync();
      return responses;
    }
  }

  /** Throws the (shared, stack-less) fail-fast exception while Redis is known down. */
  void failIfDown() {
    if (!health.isUp()) {
      throw downException;
    }
  }

  /** Throws the (shared, stack-less) fail-fast exception while {@code node}'s shard is failing. */
  void failIfShardFailing(HostAndPort node) {
    if (shards.failsFast(node)) {
      throw shardFailingException;
    }
  }

  /**
   * The cluster node that serves {@code key}'s slot, as this client currently maps slots; null
   * for standalone and Sentinel, where one server serves every key.
   */
  HostAndPort nodeFor(byte[] key) {
    return client().provider() instanceof ClusterConnectionProvider cluster
        ? cluster.getNode(JedisClusterCRC16.getSlot(key)) : null;
  }

  /** {@link #nodeFor(byte[])} of a text key; no encoding on standalone and Sentinel. */
  private HostAndPort nodeFor(String key) {
    return client().provider() instanceof ClusterConnectionProvider cluster
        ? cluster.getNode(JedisClusterCRC16.getSlot(key)) : null;
  }

  /**
   * {@link #pipelined} on one connection: to {@code node} of a cluster, or to the one server when
   * {@code node} is null. One round trip, and no thread pool (a multi-node {@code ClusterPipeline}
   * starts one per sync).
   */
  <T> T pipelinedOn(HostAndPort node, Function<? super AbstractPipeline, ? extends T> queue) {
    return pipelinedOn(node, queue, () -> { });
  }

  /**
   * {@link #pipelinedOn}, running {@code checkReplies} after the round trip and before the call
   * counts as a success: it throws the reply error that means the server cannot serve (an
   * {@code OOM} or {@code READONLY} answer to a write), so that such a call counts as the failed
   * call it is. (Counted as a success, with the error counted after it, a full server never
   * reached the failure threshold: every write failed, one success reset the count each time.)
   */
  <T> T pipelinedOn(HostAndPort node, Function<? super AbstractPipeline, ? extends T> queue,
      Runnable checkReplies) {
    return execute(node, jedis -> {
      ConnectionProvider provider = client.provider();
      Connection c = node != null && provider instanceof ClusterConnectionProvider cluster
          ? cluster.getConnection(node) : provider.getConnection();
      T result = sync(new Pipeline(c, true), queue);
      checkReplies.run();
      return result;
    }, true);
  }

  /** Commands from concurrent callers, sent together (created on first use). */
  public AutoPipeline autoPipeline() {
    AutoPipeline p = autoPipeline;
    if (p == null) {
      synchronized (clientLock) {
        p = autoPipeline;
        if (p == null) {
          p = new AutoPipeline(this, AutoPipeline.MAX_BATCH, AutoPipeline.MAX_IN_FLIGHT);
          autoPipeline = p;
        }
      }
    }
    return p;
  }

  /**
   * Removes every key matching the glob {@code pattern} on every master ({@code SCAN MATCH} and
   * pipelined {@code UNLINK} in batches, never {@code KEYS}), then tells every instance listening on
   * {@link #events()} so that they drop local copies and remembered rejections of those keys.
   *
   * @param progress told the running total of keys scanned after each batch (may be a no-op)
   * @return how many keys were removed
   * @throws RedisUnavailableException if Redis is down or fails during the sweep
   */
  public long unlinkMatching(String pattern, LongConsumer progress) {
    return KeySweep.unlink(this, pattern, progress);
  }

  /**
   * Counts the keys matching the glob {@code pattern} on every master, without removing them.
   *
   * @throws RedisUnavailableException if Redis is down or fails during the count
   */
  public long countMatching(String pattern, LongConsumer progress) {
    return KeySweep.count(this, pattern, progress);
  }

  /**
   * Runs {@code command} once on each master (once on the server, for standalone and
   * Sentinel), for commands that are not routed by key such as {@code SCAN}, {@code INFO} or
   * {@code DBSIZE}. The whole run is not held to the slow-call threshold, since a sweep such as
   * {@code SCAN} makes many quick round trips; each round trip is still bounded by the socket
   * timeout.
   *
   * @return each master's address and what {@code command} returned there, in a stable order
   * @throws RedisUnavailableException if Redis is down, or a master could not be reached
   */
  public <T> Map<String, T> executeOnMasters(Function<? super Connection, ? extends T> command) {
    return execute(jedis -> {
      Map<String, T> results = new java.util.LinkedHashMap<>();
      Client c = client;
      if (c.provider() instanceof ClusterConnectionProvider cluster) {
        for (String node : ClusterNodes.masters(cluster)) {
          try (Connection conn = cluster.getConnection(HostAndPort.from(node))) {
            results.put(node, command.apply(conn));
          }
        }
      } else {
        try (Connection conn = c.provider().getConnection()) {
          results.put(name, command.apply(conn));
        }
      }
      return results;
    }, false);
  }

  /**
   * {@link #executeOnMasters}, leaving out the cluster masters that are failing (see {@link
   * #failingMasters()}): a master that fails during the run is recorded as failing and left out
   * too, so that one master down does not fail a health report or statistics about the others.
   *
   * @throws RedisUnavailableException if Redis is down, or every master failed
   */
  public <T> Map<String, T> executeOnServingMasters(
      Function<? super Connection, ? extends T> command) {
    if (!(client().provider() instanceof ClusterConnectionProvider cluster)) {
      return executeOnMasters(command); // one server: nothing to leave out
    }
    return execute(jedis -> {
      Map<String, T> results = new java.util.LinkedHashMap<>();
      for (String node : ClusterNodes.masters(cluster)) {
        HostAndPort master = HostAndPort.from(node);
        if (shards.failsFast(master)) {
          continue;
        }
        try (Connection conn = cluster.getConnection(master)) {
          results.put(node, command.apply(conn));
          if (shards.recovered(master)) {
            servesAgain(master, "serves again");
          }
        } catch (RuntimeException e) {
          if (Failures.classify(e) != Failures.Kind.UNAVAILABLE || !shardFailed(master, e)) {
            throw e;
          }
        }
      }
      if (results.isEmpty()) {
        throw new RedisUnavailableException("Redis " + name + ": no cluster master serves", null);
      }
      return results;
    }, false);
  }

  /**
   * Probes Redis now on the caller's thread (bounded by the connect and socket timeouts) and
   * switches the health state to what it finds. Use at start-up to learn at once whether Redis is
   * there, or from a health endpoint.
   *
   * @return true if Redis answered
   */
  public boolean checkNow() {
    if (!settings.enabled() || closed) {
      return false;
    }
    return health.probeNow();
  }

  /** Closes the client and stops the probe; for a shared connector, once the last user closes. */
  @Override
  public void close() {
    if (sharedInstance) {
      synchronized (SHARED) {
        synchronized (clientLock) {
          if (--references > 0) {
            return;
          }
        }
        SHARED.remove(settings, this);
      }
    }
    closed = true;
    RedisEvents subscription;
    synchronized (clientLock) {
      subscription = events;
    }
    if (subscription != null) {
      subscription.close();
    }
    health.stop();
    if (ownsScheduler) {
      scheduler.shutdownNow();
    }
    synchronized (clientLock) {
      Client c = client;
      client = null;
      if (c != null) {
        try {
          c.jedis().close();
        } catch (RuntimeException e) {
          log.debug("Error closing the Redis client for {}", name, e);
        }
      }
    }
  }

  @Override
  public String toString() {
    return "RedisConnector{" + name + ", " + health.state() + "}";
  }

  /**
   * Runs a light task of the library's (a retry of work kept for Redis) on the connector's
   * scheduler after {@code delay}; nothing once the connector is closed. The task must not block
   * for long: health probes and listeners share the thread.
   */
  public void later(Runnable task, Duration delay) {
    if (closed) {
      return;
    }
    try {
      scheduler.schedule(task, Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      log.debug("Task not scheduled: connector closed");
    }
  }

  // ------------------------------------------------------------------ internals

  /** The scheduler of the health probe, for other light periodic checks. */
  ScheduledExecutorService scheduler() {
    return scheduler;
  }

  /** The time source of health, logging and the event watchdog. */
  Clock clock() {
    return clock;
  }

  /**
   * A connection of the caller's own, for a long-lived use such as a subscription: to the
   * standalone server, the current Sentinel master, or any cluster node. The caller closes it.
   *
   * @throws RedisUnavailableException if Redis is down or cannot be reached
   */
  Connection dedicatedConnection() {
    if (!health.isUp()) {
      throw downException;
    }
    try {
      return client().provider().getConnection();
    } catch (RuntimeException e) {
      throw onFailure(e);
    }
  }

  private Client client() {
    Client c = client;
    if (c != null) {
      return c;
    }
    synchronized (clientLock) {
      if (closed) {
        throw new RedisUnavailableException("Redis connector for " + name + " is closed", null);
      }
      if (client == null) {
        client = JedisClients.create(settings, tlsSocketFactory);
        log.info("Redis client created for {}", name);
      }
      return client;
    }
  }


  /**
   * The probe: creates the client if needed, drops stale idle connections, then checks what the
   * features need, a write (a {@code PING} also succeeds on a replica or a server out of memory,
   * which refuse every write: probing with it switched such a server UP and DOWN again and again).
   */
  private void probe() {
    Client c = client();
    JedisClients.clearIdleConnections(c.provider());
    if (c.provider() instanceof ClusterConnectionProvider cluster) {
      ClusterNodes.probe(cluster);
      // The cluster serves every slot again: take its slot map now, not the one from before a
      // failover (whose dead master would fail the write below until Jedis renews it itself).
      cluster.renewSlotCache();
    }
    c.jedis().psetex(KeySpace.PROBE, 1000, "1"); // refused by a replica, OOM, MISCONF, NOREPLICAS
    c.jedis().del(KeySpace.PROBE); // and gone again: a probe leaves nothing behind
    if (!(c.provider() instanceof ClusterConnectionProvider)) {
      String info;
      try {
        info = c.jedis().info("memory");
      } catch (redis.clients.jedis.exceptions.JedisAccessControlException refused) {
        return; // a user without INFO: the write above is all the probe can check
      }
      String full = MemoryFacts.parse(info).nearlyFull();
      if (full != null) {
        // A server full under noeviction accepts a small write whenever an expiry frees a few
        // bytes, and refuses the next real ones: back UP only with headroom, or it flaps.
        throw new JedisDataException("OOM " + full);
      }
    }
  }

  /**
   * The server's memory limit and eviction policy ({@code INFO memory}, which managed services
   * and least-privilege users allow where {@code CONFIG GET} is refused); for a cluster, the
   * node that serves {@code key}'s slot. Runs now, on the caller's thread.
   *
   * @throws RedisUnavailableException if Redis is down, or this call could not reach it
   */
  /**
   * {@link #memoryFacts} on this connector's background thread, off the caller's path; the future
   * fails if Redis cannot answer.
   */
  public java.util.concurrent.CompletableFuture<MemoryFacts> memoryFactsInBackground(String key) {
    return java.util.concurrent.CompletableFuture.supplyAsync(() -> memoryFacts(key), scheduler);
  }

  public MemoryFacts memoryFacts(String key) {
    return MemoryFacts.parse(execute(jedis -> {
      HostAndPort node = nodeFor(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      if (node == null) {
        return jedis.info("memory");
      }
      try (redis.clients.jedis.Connection conn = ((ClusterConnectionProvider) client().provider())
          .getConnection(node)) {
        return conn.executeCommand(new redis.clients.jedis.CommandObject<>(
            new redis.clients.jedis.CommandArguments(redis.clients.jedis.Protocol.Command.INFO)
                .add("memory"), redis.clients.jedis.BuilderFactory.STRING));
      }
    }));
  }


  /**
   * Records {@code node}'s failure as its shard's.
   *
   * @return false if every master of the cluster is failing now: then it is the connector's
   *     failure, counted by its health as any other
   */
  private boolean shardFailed(HostAndPort node, RuntimeException e) {
    String reason = Failures.describe(e);
    if (shards.failed(node, reason)) {
      log.warn("Redis {}: cluster master {} failed ({}); its keys use the fallback until it, or"
          + " the replica that takes its slots, serves; the other masters' keys use Redis",
          name, node, reason);
    }
    scheduleShardCheck();
    java.util.Set<HostAndPort> masters = masters();
    return masters.isEmpty() || !shards.failingNodes().containsAll(masters);
  }

  /** The masters that serve slots in this client's slot map (empty if not a cluster). */
  private java.util.Set<HostAndPort> masters() {
    java.util.Set<HostAndPort> masters = new java.util.HashSet<>();
    if (client().provider() instanceof ClusterConnectionProvider cluster) {
      for (int slot = 0; slot < 16384; slot++) { // a cluster's hash slots
        HostAndPort owner = cluster.getNode(slot);
        if (owner != null) {
          masters.add(owner);
        }
      }
    }
    return masters;
  }

  /** One background check at a time, when the earliest quarantine ends. */
  private void scheduleShardCheck() {
    if (closed || !shardCheckScheduled.compareAndSet(false, true)) {
      return;
    }
    try {
      scheduler.schedule(this::checkShards, Math.max(1, shards.untilNextRetry().toMillis()),
          TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException stopped) {
      shardCheckScheduled.set(false);
    }
  }

  /**
   * Takes the cluster's slot map again (a promoted replica now serves the slots) and pings each
   * failing master that still serves slots: one that answers, or serves none any more, is
   * failing no longer.
   */
  private void checkShards() {
    shardCheckScheduled.set(false);
    if (closed || !(client().provider() instanceof ClusterConnectionProvider cluster)) {
      return;
    }
    try {
      cluster.renewSlotCache();
    } catch (RuntimeException e) {
      // no node answered: the pings below fail too, and the quarantines grow
    }
    java.util.Set<HostAndPort> masters = masters();
    for (HostAndPort node : shards.failingNodes()) {
      if (!masters.contains(node)) {
        if (shards.recovered(node)) {
          servesAgain(node, "no longer serves slots: they moved to another master");
        }
        continue;
      }
      try (Connection c = cluster.getConnection(node)) {
        c.executeCommand(new redis.clients.jedis.CommandObject<>(
            new redis.clients.jedis.CommandArguments(redis.clients.jedis.Protocol.Command.PING),
            redis.clients.jedis.BuilderFactory.STRING));
        if (shards.recovered(node)) {
          servesAgain(node, "answers again");
        }
      } catch (RuntimeException e) {
        shards.failed(node, Failures.describe(e));
      }
    }
    if (!shards.failing().isEmpty()) {
      scheduleShardCheck();
    }
  }

  /**
   * An error reply that one command of a shared pipeline received: if it says the server cannot
   * serve (READONLY, OOM, LOADING…), it counts towards health as a failed call would, and comes
   * back as {@link RedisUnavailableException}; an ACL refusal is logged and becomes the health
   * report's last error; any other error reply is the caller's alone.
   */
  RuntimeException replyFailed(RuntimeException e) {
    return Failures.classify(e) == Failures.Kind.UNAVAILABLE || Failures.refused(e)
        ? onFailure(e) : e;
  }

  private RuntimeException onFailure(RuntimeException e) {
    return onFailure(null, e);
  }

  /**
   * A failed call. When it went to a known cluster master and the other masters are not all
   * failing too, it is that master's failure (see {@link #execute(String, Function)}), not the
   * connector's.
   */
  private RuntimeException onFailure(HostAndPort node, RuntimeException e) {
    if (node != null && Failures.classify(e) == Failures.Kind.UNAVAILABLE
        && !(e instanceof RedisUnavailableException) && shardFailed(node, e)) {
      return new RedisUnavailableException("Redis " + name + " cluster master " + node
          + " failed: " + Failures.describe(e), e);
    }
    switch (Failures.classify(e)) {
      case UNAVAILABLE -> {
        String reason = Failures.describe(e);
        if (!(Failures.timedOut(e) ? health.recordTimeout(reason) : health.recordFailure(reason))) {
          throttled.warn("Redis " + name + " call failed: " + reason, e);
        }
        return e instanceof RedisUnavailableException u
            ? u : new RedisUnavailableException("Redis " + name + " call failed: " + reason, e);
      }
      case REDIS_ERROR -> {
        String reason = Failures.describe(e);
        if (Failures.refused(e)) {
          health.recordRefusal(reason); // the health report's last error names the command
          throttled.warn("Redis " + name + " refused a command: " + reason + " (the ACL user"
              + " lacks a permission ratecache needs; see 'Redis permissions' in ratecache's"
              + " docs/configuration.md)", e);
        } else {
          health.recordSuccess(); // Redis answered
          throttled.warn("Redis " + name + " returned an error: " + reason, e);
        }
        return e;
      }
      default -> {
        return e;
      }
    }
  }

}
