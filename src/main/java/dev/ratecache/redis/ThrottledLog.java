package dev.ratecache.redis;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a recurring warning at most once per interval, saying how many were suppressed in
 * between, so an outage under load cannot fill a disk with log lines.
 *
 * <p>Thread-safe.
 */
public final class ThrottledLog {
  private final Logger logger;
  private final long intervalMillis;
  private final Clock clock;
  private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  /**
   * Creates a throttle.
   *
   * @param logger where to log
   * @param interval the least time between two lines
   * @param clock the time source
   */
  public ThrottledLog(Logger logger, Duration interval, Clock clock) {
    this.logger = logger;
    this.intervalMillis = interval.toMillis();
    this.clock = clock;
  }

  /**
   * Logs {@code message} at WARN unless a line was logged less than an interval ago. The
   * throwable, if any, is logged with its stack trace only at DEBUG.
   */
  public void warn(String message, Throwable error) {
    long now = clock.millis();
    long allowed = nextAllowed.get();
    if (now < allowed || !nextAllowed.compareAndSet(allowed, now + intervalMillis)) {
      suppressed.incrementAndGet();
      return;
    }
    long skipped = suppressed.getAndSet(0);
    String suffix = skipped > 0 ? " (" + skipped + " similar messages suppressed)" : "";
    logger.warn("{}{}", message, suffix);
    if (error != null && logger.isDebugEnabled()) {
      logger.debug("Details of: {}", message, error);
    }
  }
}
