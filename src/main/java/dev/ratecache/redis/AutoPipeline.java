package dev.ratecache.redis;

import dev.ratecache.internal.JedisVersions;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import redis.clients.jedis.CommandObject;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Response;
import redis.clients.jedis.exceptions.JedisClusterOperationException;
import redis.clients.jedis.exceptions.JedisRedirectionException;

/**
 * Sends the commands that concurrent callers issue one at a time as shared pipelines, so that N
 * requests in flight cost about one round trip, one write and one read instead of N of each (the
 * idea behind Lettuce's and ioredis's auto-pipelining, on Jedis's blocking connections).
 *
 * <p>There is no extra thread. Commands queue per node (one queue for standalone and Sentinel;
 * one per master of a cluster, by the slot of the command's key). A caller queues its command; if
 * fewer than {@code maxInFlight} pipelines are on the wire to that node, it becomes a leader: it
 * takes up to {@code maxBatch} queued commands (the oldest, which may or may not include its own),
 * sends them in one pipeline on one pooled connection, hands every caller its reply, and leads
 * again while its own command is still queued. Otherwise it waits; a leader that finishes with
 * work left wakes the oldest waiter to lead next. Under light load a command goes out at once in a
 * pipeline of one; under heavy load batches grow by themselves.
 *
 * <p>Each command is still one atomic Redis command (a script stays a script), so batching
 * changes round trips, never results. A reply that redirects (a slot moving between cluster
 * nodes) is retried alone through the client, which follows redirects and refreshes its slot map.
 * Failures reach exactly the callers whose commands they affect, counted once by the connector's
 * health. Thread-safe.
 */
public final class AutoPipeline {
  /** Most commands in one pipeline. */
  static final int MAX_BATCH = 64;
  /** Most pipelines on the wire to one node at once (each holds a pooled connection). */
  static final int MAX_IN_FLIGHT = 2;

  private static final int WAITING = 0;
  private static final int LEAD = 1;
  private static final int DONE = 2;

  private final RedisConnector connector;
  private final int maxBatch;
  private final int maxInFlight;
  private final CommandObjects commands;
  private final Lane single = new Lane(null);
  private final ConcurrentHashMap<HostAndPort, Lane> lanes = new ConcurrentHashMap<>();
  private final LongAdder pipelines = new LongAdder();
  private final LongAdder commandCount = new LongAdder();

  /**
   * @param maxBatch most commands in one pipeline
   * @param maxInFlight most pipelines on the wire to one node at once
   */
  AutoPipeline(RedisConnector connector, int maxBatch, int maxInFlight) {
    this.connector = Objects.requireNonNull(connector, "connector");
    if (maxBatch < 1 || maxInFlight < 1) {
      throw new IllegalArgumentException("maxBatch and maxInFlight must be at least 1");
    }
    this.maxBatch = maxBatch;
    this.maxInFlight = maxInFlight;
    this.commands = connector.settings().topology() instanceof RedisTopology.Cluster
        ? JedisVersions.clusterCommandObjects() : JedisVersions.commandObjects();
  }

  /**
   * Builds the commands to pass to {@link #execute}, in the form this connector's client takes
   * (a command retried through a cluster client must be built for a cluster).
   */
  public CommandObjects commands() {
    return commands;
  }

  /**
   * Runs one command, sharing a round trip with whatever other callers send to the same node at
   * the same time.
   *
   * @param key the key the command acts on, which picks the cluster node
   * @param command built by {@link #commands()}
   * @throws RedisUnavailableException if Redis is known down or could not be reached
   * @throws redis.clients.jedis.exceptions.JedisDataException if Redis answered with an error
   */
  public <T> T execute(byte[] key, CommandObject<T> command) {
    connector.failIfDown();
    HostAndPort node = connector.nodeFor(key);
    connector.failIfShardFailing(node); // one master's failure is its keys' alone
    Lane lane = node == null ? single : lanes.computeIfAbsent(node, Lane::new);
    Op<T> op = new Op<>(command, Thread.currentThread());
    lane.queue.add(op);
    boolean interrupted = false;
    while (true) {
      lane.lead(op);
      int s = op.awaitDoneOrLead();
      if (s < 0) {
        interrupted = true;
        continue;
      }
      if (s == DONE) {
        break;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (op.failure instanceof JedisRedirectionException
        || op.failure instanceof JedisClusterOperationException) {
      return connector.execute(j -> j.executeCommand(command));
    }
    if (op.failure != null) {
      // A reply of its own (not a failed pipeline, which the connector has counted already).
      throw op.replyError ? connector.replyFailed(op.failure) : op.failure;
    }
    return op.value;
  }

  /**
   * What was sent since start.
   *
   * @param pipelines pipelines sent (round trips)
   * @param commands commands they carried ({@code commands / pipelines} is the mean batch size)
   */
  public record Counts(long pipelines, long commands) {}

  /** What was sent since start. */
  public Counts counts() {
    return new Counts(pipelines.sum(), commandCount.sum());
  }

  /** Commands waiting for a pipeline, on every node (for tests: sent ones are in counts()). */
  int queued() {
    int n = single.queue.size();
    for (Lane lane : lanes.values()) {
      n += lane.queue.size();
    }
    return n;
  }

  /** The commands queued for one node, and the pipelines on the wire to it. */
  private final class Lane {
    final HostAndPort node;
    final ConcurrentLinkedQueue<Op<?>> queue = new ConcurrentLinkedQueue<>();
    final AtomicInteger inFlight = new AtomicInteger();

    Lane(HostAndPort node) {
      this.node = node;
    }

    /** Sends batches while {@code own} is queued and a pipeline slot is free. */
    private void lead(Op<?> own) {
      while (own.state != DONE && !queue.isEmpty()) {
        int n = inFlight.get();
        if (n >= maxInFlight) {
          return; // a finishing leader will wake the oldest waiter
        }
        if (!inFlight.compareAndSet(n, n + 1)) {
          continue;
        }
        try {
          List<Op<?>> batch = new ArrayList<>(Math.min(maxBatch, 16));
          for (Op<?> op; batch.size() < maxBatch && (op = queue.poll()) != null; ) {
            batch.add(op);
          }
          if (!batch.isEmpty()) {
            send(batch);
          }
        } finally {
          inFlight.decrementAndGet();
        }
      }
      if (!queue.isEmpty()) {
        wakeOldest();
      }
    }

    /** Asks the oldest queued caller to lead (used by a leader whose own command is done). */
    private void wakeOldest() {
      for (Op<?> head; (head = queue.peek()) != null && inFlight.get() < maxInFlight; ) {
        int s = head.state;
        if (s == LEAD || (s == WAITING && head.promote())) {
          return;
        }
        // DONE: taken and answered since the peek; look again
      }
    }

    /** One pipeline, one round trip; every caller in it gets its reply or the failure. */
    private void send(List<Op<?>> batch) {
      pipelines.increment();
      commandCount.add(batch.size());
      try {
        connector.pipelinedOn(node, p -> {
          for (Op<?> op : batch) {
            op.queueOn(p);
          }
          return null;
        }, () -> {
          for (Op<?> op : batch) {
            op.throwIfServerCannotServe();
          }
        });
        for (Op<?> op : batch) {
          op.takeReply();
        }
      } catch (RuntimeException | Error e) {
        RuntimeException failure = e instanceof RuntimeException r ? r
            : new RedisUnavailableException("pipeline failed: " + e, e);
        for (Op<?> op : batch) {
          if (op.state != DONE) {
            op.fail(failure);
          }
        }
        if (e instanceof Error error) {
          throw error;
        }
      }
    }
  }

  /** One caller's command, its reply, and the caller to wake. */
  private static final class Op<T> {
    private static final VarHandle STATE;

    static {
      try {
        STATE = MethodHandles.lookup().findVarHandle(Op.class, "state", int.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    final CommandObject<T> command;
    final Thread caller;
    volatile int state = WAITING;
    Response<T> response;
    T value;
    RuntimeException failure;
    /** The failure is this command's own error reply. */
    boolean replyError;

    Op(CommandObject<T> command, Thread caller) {
      this.command = command;
      this.caller = caller;
    }

    void queueOn(redis.clients.jedis.AbstractPipeline pipeline) {
      response = pipeline.executeCommand(command);
    }

    /** Throws this command's reply error if it says the server cannot serve (OOM, READONLY…). */
    void throwIfServerCannotServe() {
      try {
        response.get();
      } catch (RuntimeException e) {
        if (Failures.classify(e) == Failures.Kind.UNAVAILABLE) {
          throw e;
        }
      }
    }

    void takeReply() {
      try {
        value = response.get();
      } catch (RuntimeException e) {
        failure = e;
        replyError = true;
      }
      finish();
    }

    void fail(RuntimeException e) {
      failure = e;
      finish();
    }

    private void finish() {
      state = DONE; // the volatile write publishes value and failure
      LockSupport.unpark(caller);
    }

    boolean promote() {
      if (STATE.compareAndSet(this, WAITING, LEAD)) {
        LockSupport.unpark(caller);
        return true;
      }
      return false;
    }

    /** DONE, or LEAD (now back to waiting, to lead), or -1 if interrupted (flag cleared). */
    int awaitDoneOrLead() {
      while (true) {
        int s = state;
        if (s == DONE) {
          return DONE;
        }
        if (s == LEAD) {
          if (STATE.compareAndSet(this, LEAD, WAITING)) {
            return LEAD;
          }
          continue;
        }
        LockSupport.park(this);
        if (Thread.interrupted()) {
          return -1;
        }
      }
    }
  }
}
