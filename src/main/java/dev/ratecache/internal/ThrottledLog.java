package dev.ratecache.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a recurring warning at most once per interval <em>per kind</em>, saying how many of that
 * kind were suppressed in between, so an outage under load cannot fill a disk with log lines,
 * and one kind of trouble cannot hide another (an out-of-memory reply is logged even if a
 * timeout was logged a moment before). The kind is the error's class and the first word of its
 * message ({@code JedisDataException OOM}); at most {@value #MAX_KINDS} kinds are tracked, the
 * rest share one window.
 *
 * <p>Thread-safe.
 */
public final class ThrottledLog {
  static final int MAX_KINDS = 64;

  private final Logger logger;
  private final long intervalMillis;
  private final Clock clock;
  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

  /** One kind's throttle. */
  private static final class Window {
    final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    final AtomicLong suppressed = new AtomicLong();
  }

  /**
   * Creates a throttle.
   *
   * @param logger where to log
   * @param interval the least time between two lines of one kind
   * @param clock the time source
   */
  public ThrottledLog(Logger logger, Duration interval, Clock clock) {
    this.logger = logger;
    this.intervalMillis = interval.toMillis();
    this.clock = clock;
  }

  /**
   * Logs {@code message} at WARN unless a line of the same kind was logged less than an interval
   * ago. The throwable, if any, decides the kind (else the message's first words do) and is
   * logged with its stack trace only at DEBUG.
   *
   * @return true if the line was logged
   */
  public boolean warn(String message, Throwable error) {
    return warn(kind(message, error), message, error);
  }

  /** {@link #warn(String, Throwable)} of an explicitly named kind. */
  public boolean warn(String kind, String message, Throwable error) {
    Window w = window(kind);
    long now = clock.millis();
    long allowed = w.nextAllowed.get();
    if (now < allowed || !w.nextAllowed.compareAndSet(allowed, now + intervalMillis)) {
      w.suppressed.incrementAndGet();
      return false;
    }
    long skipped = w.suppressed.getAndSet(0);
    String suffix = skipped > 0 ? " (" + skipped + " similar messages suppressed)" : "";
    logger.warn("{}{}", message, suffix);
    if (error != null && logger.isDebugEnabled()) {
      logger.debug("Details of: {}", message, error);
    }
    return true;
  }

  private Window window(String kind) {
    Window w = windows.get(kind);
    if (w != null) {
      return w;
    }
    if (windows.size() >= MAX_KINDS) {
      return windows.computeIfAbsent("(other)", k -> new Window());
    }
    return windows.computeIfAbsent(kind, k -> new Window());
  }

  /** The error's innermost class and the first word of its message; or the message's start. */
  static String kind(String message, Throwable error) {
    if (error == null) {
      int cut = message.indexOf(':');
      return cut > 0 ? message.substring(0, cut) : message;
    }
    Throwable root = error;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String m = root.getMessage() == null ? "" : root.getMessage().strip();
    int space = m.indexOf(' ');
    return root.getClass().getSimpleName() + " " + (space > 0 ? m.substring(0, space) : m);
  }
}
