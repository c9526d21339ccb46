package dev.ratecache.redis;

import dev.ratecache.internal.KeySpace;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.clients.jedis.Connection;
import redis.clients.jedis.JedisPubSub;

/**
 * {@link Invalidation} events between the instances sharing a Redis, over the pub/sub channel
 * {@value #CHANNEL}: "this key changed", "keys matching this pattern were removed", "this cache
 * namespace moved to a new generation".
 *
 * <p>Pub/sub delivers at most once, so a consumer may trust what it holds only while the
 * subscription is {@link #isLive() live} and has not been re-established since it took the copy
 * (compare {@link #epoch()}). The subscription counts as lost as soon as Redis is known down, a
 * read on its connection fails, or a {@code PING} on it goes unanswered for three intervals; every
 * loss and every new subscription advances the epoch.
 *
 * <p>Nothing runs until the first {@link #subscribe}; one daemon thread then holds one dedicated
 * connection. Publishing is best effort and never throws. Thread-safe.
 *
 * <p>(Longer than most files here for a reason: the subscription's life (start, watchdog,
 * resubscription with backoff, epochs) is one state machine on one thread and reads best whole.
 * The wire form is {@code EventCodec}.)
 */
public final class RedisEvents implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RedisEvents.class);

  /** The channel every instance publishes to and listens on. */
  public static final String CHANNEL = KeySpace.EVENTS_CHANNEL;
  /**
   * Receives the events of every instance: those of others over the subscription (on its
   * thread), and this process's own at once, on the thread that publishes them (so a clear
   * made here is heard here even while Redis or the subscription is away). Must be thread-safe
   * and quick.
   */
  @FunctionalInterface
  public interface Listener {
    /** Something changed on some instance (this one included). */
    void onInvalidation(Invalidation event);

    /**
     * The subscription has just been (re-)established, so events published before it, or while
     * it was lost, never arrived: drop whatever those events would have corrected. Called on the
     * subscription thread before any event of the new subscription is delivered, and before
     * {@link RedisEvents#isLive()} says the subscription is live.
     */
    default void onMissedEvents() {}
  }

  /**
   * Between failed attempts to subscribe while Redis is up: 100 ms doubling (the loop counts at
   * most six failures, so 3.2 s at most; the cap is Backoff's safety net).
   */
  private static final Backoff RESUBSCRIBE =
      Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), 2.0, 0.0);

  private final RedisConnector connector;
  private final Duration pingInterval;
  private final String sender = UUID.randomUUID().toString();
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private final AtomicLong epoch = new AtomicLong();
  private final AtomicLong published = new AtomicLong();
  private final AtomicLong publishFailures = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final Object lock = new Object();
  private volatile boolean live;
  private volatile boolean closed;
  private volatile Connection connection;
  private volatile Subscriber subscriber;
  private volatile long lastPongMillis;
  /** Released when Redis comes back UP, to wake a subscription thread waiting for it. */
  private final java.util.concurrent.Semaphore redisUp = new java.util.concurrent.Semaphore(0);
  private Thread thread;
  private ScheduledFuture<?> watchdog;
  private AutoCloseable healthRegistration;

  RedisEvents(RedisConnector connector, Duration pingInterval) {
    this.connector = Objects.requireNonNull(connector, "connector");
    this.pingInterval = pingInterval;
  }

  /**
   * Adds a listener, starting the subscription on first use.
   *
   * @return closing it removes the listener
   */
  public AutoCloseable subscribe(Listener listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    start();
    return () -> listeners.remove(listener);
  }

  /**
   * Whether this instance is subscribed right now, so that it hears every event: false from the
   * moment Redis is known down (the subscription's own thread and the health listener that drop
   * it act a moment later, and advance the epoch then).
   */
  public boolean isLive() {
    return live && connector.isAvailable();
  }

  /**
   * {@code unused} (nothing listens in this process), {@code live}, or {@code resubscribing}
   * (lost; near copies are not served until it is back).
   */
  public String state() {
    synchronized (lock) {
      if (thread == null) {
        return "unused";
      }
    }
    return isLive() ? "live" : "resubscribing";
  }

  /**
   * When the subscription last heard from Redis (its confirmation or a reply to its {@code PING}),
   * on the connector's clock; {@link java.time.Instant#EPOCH} if never.
   */
  public java.time.Instant lastHeard() {
    return java.time.Instant.ofEpochMilli(lastPongMillis);
  }

  /** Advances whenever the subscription is lost or re-established. */
  public long epoch() {
    return epoch.get();
  }

  /**
   * What this instance has sent and heard since start.
   *
   * @param published events published
   * @param publishFailures publish attempts that could not reach Redis
   * @param received events received from other instances
   */
  public record Counts(long published, long publishFailures, long received) {}

  /** What this instance has sent and heard since start. */
  public Counts counts() {
    return new Counts(published.get(), publishFailures.get(), received.get());
  }

  /**
   * Tells the other instances that {@code keys} changed: one {@link Invalidation.Key} for a single
   * key, else {@link Invalidation.Keys} of up to 1,000 keys each (keys containing a line break
   * go alone). Best effort, as {@link #publish}.
   */
  public void publishKeys(java.util.Collection<String> keys) {
    if (keys.size() == 1) {
      publish(new Invalidation.Key(keys.iterator().next()));
      return;
    }
    List<String> batch = new java.util.ArrayList<>();
    for (String key : keys) {
      if (key.indexOf('\n') >= 0) {
        publish(new Invalidation.Key(key));
        continue;
      }
      batch.add(key);
      if (batch.size() == 1000) {
        publish(new Invalidation.Keys(batch));
        batch.clear();
      }
    }
    if (!batch.isEmpty()) {
      publish(new Invalidation.Keys(batch));
    }
  }

  /**
   * Tells this process's listeners at once, then the other instances; the latter is best effort
   * (false if Redis could not be reached, which is logged by the connector's health, not thrown).
   */
  public boolean publish(Invalidation event) {
    java.util.Objects.requireNonNull(event, "event");
    tellListeners(l -> l.onInvalidation(event), () -> "on this instance's own " + event);
    if (!connector.settings().enabled()) {
      return false; // no Redis, so nobody to tell
    }
    if (!connector.isAvailable()) {
      publishFailures.incrementAndGet();
      return false;
    }
    try {
      connector.run(j -> j.publish(CHANNEL, EventCodec.encode(sender, event)));
      published.incrementAndGet();
      return true;
    } catch (RuntimeException e) {
      publishFailures.incrementAndGet();
      return false;
    }
  }

  private void start() {
    synchronized (lock) {
      if (thread != null || closed || !connector.settings().enabled()) {
        return;
      }
      healthRegistration = connector.health().onTransition(t -> {
        if (t.to() == RedisHealth.State.DOWN) {
          drop("Redis is down");
        } else {
          redisUp.release();
        }
      });
      long every = pingInterval.toMillis();
      watchdog = connector.scheduler().scheduleWithFixedDelay(this::checkAlive, every, every,
          TimeUnit.MILLISECONDS);
      thread = new Thread(this::loop, "ratecache-redis-events");
      thread.setDaemon(true);
      thread.start();
    }
  }

  /**
   * Subscribes whenever Redis is up; returns only when closed. Attempts that end without a
   * subscription (refused connection, an ACL without pub/sub rights) back off exponentially, from
   * 100 ms to 5 s, so that a broken setup costs at most one attempt every few seconds. Every wait
   * goes through the connector's scheduler (a backoff is a scheduled wake-up; Redis coming back
   * is a health transition), so a test on virtual time drives this loop without sleeping.
   */
  private void loop() {
    int failures = 0;
    while (!closed) {
      if (!connector.isAvailable()) {
        awaitRedisUp();
        continue;
      }
      long epochBefore = epoch.get();
      Connection c = null;
      try {
        c = connector.dedicatedConnection();
        Subscriber s = new Subscriber();
        connection = c;
        subscriber = s;
        if (!closed) {
          s.proceed(c, CHANNEL);
        }
      } catch (RuntimeException e) {
        if (!closed) {
          log.debug("Event subscription on {} ended: {}", connector, e.toString());
        }
      } finally {
        drop(null);
        connection = null;
        subscriber = null;
        if (c != null) {
          c.setBroken(); // never hand a subscribed connection back to the pool for reuse
          try {
            c.close();
          } catch (RuntimeException ignored) {
            // already broken
          }
        }
      }
      boolean wasSubscribed = epoch.get() != epochBefore;
      failures = wasSubscribed ? 0 : Math.min(failures + 1, 6);
      if (failures > 0) {
        pause(RESUBSCRIBE.delay(failures - 1, 0.5).toMillis());
      }
    }
  }

  /** Blocks until a health transition says Redis is up (or this is closed). */
  private void awaitRedisUp() {
    redisUp.drainPermits();
    if (connector.isAvailable() || closed) {
      return; // it came back before the drain: no transition left to wait for
    }
    try {
      redisUp.acquire();
    } catch (InterruptedException e) {
      // closing interrupts the thread; the loop checks closed
    }
  }

  /** Pings the subscription; if pongs stopped coming, drops it. */
  private void checkAlive() {
    Subscriber s = subscriber;
    if (!live || s == null) {
      return;
    }
    if (connector.clock().millis() - lastPongMillis > 3 * pingInterval.toMillis()) {
      drop("no reply to PING on the event subscription");
      return;
    }
    try {
      s.ping();
    } catch (RuntimeException e) {
      drop("PING on the event subscription failed: " + e.getMessage());
    }
  }

  /** Marks the subscription lost and closes its socket, which ends the blocked read. */
  private void drop(String reason) {
    if (live) {
      live = false;
      epoch.incrementAndGet();
      if (reason != null) {
        log.info("Event subscription on {} lost ({}); resubscribing when Redis answers",
            connector, reason);
      }
    }
    Connection c = connection;
    if (reason != null && c != null) {
      try {
        // Broken first, so nothing returns it to a pool; then the socket goes (disconnect, not
        // forceDisconnect, which Jedis 6, as Spring Boot manages it, does not have).
        c.setBroken();
        c.disconnect();
      } catch (RuntimeException ignored) {
        // the reader sees the closed socket either way
      }
    }
  }

  /** Waits {@code millis} on the connector's scheduler (or until closed). */
  private void pause(long millis) {
    java.util.concurrent.CountDownLatch woken = new java.util.concurrent.CountDownLatch(1);
    ScheduledFuture<?> wakeUp;
    try {
      wakeUp = connector.scheduler().schedule(woken::countDown, millis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException shutDown) {
      return; // the connector is closing
    }
    try {
      woken.await();
    } catch (InterruptedException e) {
      wakeUp.cancel(false); // closing interrupts the thread; the loop checks closed
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (lock) {
      if (watchdog != null) {
        watchdog.cancel(false);
      }
      if (healthRegistration != null) {
        try {
          healthRegistration.close();
        } catch (Exception ignored) {
          // closing a listener registration does not fail
        }
      }
    }
    drop("closed");
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  private final class Subscriber extends JedisPubSub {
    @Override
    public void onSubscribe(String channel, int subscribedChannels) {
      lastPongMillis = connector.clock().millis();
      epoch.incrementAndGet();
      // Listeners forget what the gap may have made stale before anyone sees the subscription
      // live: whoever observes isLive() and the new epoch also observes the forgetting.
      tellListeners(Listener::onMissedEvents, () -> "after resubscribing");
      live = true;
      log.debug("Subscribed to {} on {}", CHANNEL, connector);
    }

    @Override
    public void onPong(String message) {
      lastPongMillis = connector.clock().millis();
    }

    @Override
    public void onMessage(String channel, String message) {
      String[] parts = message.split("\n", 3);
      if (parts.length < 3 || parts[0].equals(sender)) {
        return;
      }
      received.incrementAndGet();
      Invalidation event = EventCodec.decode(parts[1], parts[2]);
      if (event == null) {
        log.debug("Ignored an event of unknown kind '{}' (a newer instance?)", parts[1]);
        return;
      }
      tellListeners(l -> l.onInvalidation(event), () -> "on " + event);
    }
  }

  /** Calls every listener; one that throws is logged and does not stop the others. */
  private void tellListeners(java.util.function.Consumer<Listener> call,
      java.util.function.Supplier<String> when) {
    for (Listener l : listeners) {
      try {
        call.accept(l);
      } catch (RuntimeException e) {
        log.warn("An event listener failed {}", when.get(), e);
      }
    }
  }
}
