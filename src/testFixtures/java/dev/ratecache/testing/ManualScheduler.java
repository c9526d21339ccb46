package dev.ratecache.testing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ScheduledExecutorService} on virtual time: nothing runs until a test says so. {@link
 * #advance} moves a {@link MutableClock} forward and, on the calling thread, runs every task that
 * falls due on the way, in due order, with the clock set to each task's due time; {@link
 * #runDue()} runs what is due now ({@code execute}d tasks are due at once). So backoff, probes,
 * watchdogs and listeners are tested as a timeline, without sleeping (the idea of Caffeine's
 * {@code FakeTicker} and OkHttp's {@code TaskFaker}).
 *
 * <p>Other threads may schedule tasks at any time; {@link #queued()} tells a test that a task it
 * expects has been scheduled.
 */
public final class ManualScheduler extends AbstractExecutorService
    implements ScheduledExecutorService {
  private final MutableClock clock;
  private final Instant origin;
  private final PriorityQueue<Task<?>> queue = new PriorityQueue<>(
      (a, b) -> a.due != b.due ? Long.compare(a.due, b.due) : Long.compare(a.seq, b.seq));
  private long sequence;
  private boolean shutdown;

  /** Tasks run at the times of {@code clock}, which {@link #advance} moves. */
  public ManualScheduler(MutableClock clock) {
    this.clock = clock;
    this.origin = clock.instant();
  }

  /** The clock this scheduler moves. */
  public MutableClock clock() {
    return clock;
  }

  /**
   * Moves the clock forward by {@code d}, running each task that falls due on the way (tasks that
   * those tasks schedule within the interval included).
   */
  public void advance(Duration d) {
    long until = now() + d.toNanos();
    while (true) {
      Task<?> next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > until) {
          break;
        }
        queue.poll();
      }
      if (next.due > now()) {
        clock.advance(Duration.ofNanos(next.due - now()));
      }
      next.run();
    }
    if (until > now()) {
      clock.advance(Duration.ofNanos(until - now()));
    }
  }

  /** Runs every task due now, including those they make due now. */
  public void runDue() {
    advance(Duration.ZERO);
  }

  /** Tasks waiting to run (periodic ones count once). */
  public synchronized int queued() {
    return queue.size();
  }

  /** The delay until the next task is due, or null if none is queued. */
  public synchronized Duration nextDelay() {
    Task<?> next = queue.peek();
    return next == null ? null : Duration.ofNanos(Math.max(0, next.due - now()));
  }

  private long now() {
    return Duration.between(origin, clock.instant()).toNanos();
  }

  private synchronized <V> Task<V> enqueue(Task<V> task) {
    if (shutdown) {
      throw new RejectedExecutionException("shut down");
    }
    task.seq = sequence++;
    queue.add(task);
    return task;
  }

  private synchronized void requeue(Task<?> task) {
    if (!shutdown && !task.isCancelled()) {
      task.seq = sequence++;
      queue.add(task);
    }
  }

  @Override
  public void execute(Runnable command) {
    schedule(command, 0, TimeUnit.NANOSECONDS);
  }

  @Override
  public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
    return enqueue(new Task<>(() -> {
      command.run();
      return null;
    }, now() + unit.toNanos(Math.max(0, delay)), 0, false));
  }

  @Override
  public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) {
    return enqueue(new Task<>(callable, now() + unit.toNanos(Math.max(0, delay)), 0, false));
  }

  @Override
  public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay,
      long period, TimeUnit unit) {
    return periodic(command, initialDelay, period, unit, true);
  }

  @Override
  public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay,
      long delay, TimeUnit unit) {
    return periodic(command, initialDelay, delay, unit, false);
  }

  private ScheduledFuture<?> periodic(Runnable command, long initialDelay, long period,
      TimeUnit unit, boolean fixedRate) {
    if (period <= 0) {
      throw new IllegalArgumentException("period must be positive");
    }
    return enqueue(new Task<>(() -> {
      command.run();
      return null;
    }, now() + unit.toNanos(Math.max(0, initialDelay)), unit.toNanos(period), fixedRate));
  }

  @Override
  public synchronized void shutdown() {
    shutdown = true;
  }

  @Override
  public synchronized List<Runnable> shutdownNow() {
    shutdown = true;
    List<Runnable> pending = new ArrayList<>(queue);
    queue.clear();
    return pending;
  }

  @Override
  public synchronized boolean isShutdown() {
    return shutdown;
  }

  @Override
  public synchronized boolean isTerminated() {
    return shutdown;
  }

  @Override
  public boolean awaitTermination(long timeout, TimeUnit unit) {
    return isTerminated();
  }

  /** One task; periodic ones requeue themselves after each run. */
  private final class Task<V> implements ScheduledFuture<V>, Runnable {
    private final Callable<V> body;
    private final long period;
    private final boolean fixedRate;
    private long due;
    private long seq;
    private volatile boolean cancelled;
    private volatile boolean done;
    private V value;
    private Throwable failure;

    Task(Callable<V> body, long due, long period, boolean fixedRate) {
      this.body = body;
      this.due = due;
      this.period = period;
      this.fixedRate = fixedRate;
    }

    @Override
    public void run() {
      if (cancelled) {
        return;
      }
      try {
        V v = body.call();
        if (period == 0) {
          value = v;
          done = true;
        }
      } catch (Throwable t) {
        failure = t; // as a real executor: a periodic task that throws runs no more
        done = true;
        return;
      }
      if (period > 0) {
        due = fixedRate ? due + period : now() + period;
        requeue(this);
      }
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return unit.convert(due - now(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done) {
        return false;
      }
      cancelled = true;
      synchronized (ManualScheduler.this) {
        queue.remove(this);
      }
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public V get() throws ExecutionException {
      if (cancelled) {
        throw new CancellationException();
      }
      if (!done) {
        throw new IllegalStateException("not run yet: advance the ManualScheduler first");
      }
      if (failure != null) {
        throw new ExecutionException(failure);
      }
      return value;
    }

    @Override
    public V get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }
}
