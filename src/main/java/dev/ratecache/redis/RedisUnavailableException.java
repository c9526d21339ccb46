package dev.ratecache.redis;

/**
 * Redis cannot be used for this call: it is known to be down, or this call just failed to reach
 * it. Callers take their fallback path.
 *
 * <p>Thrown on the fail-fast path many thousand times a second during an outage, so it carries no
 * stack trace; {@link #getCause()} holds the Jedis exception when there is one.
 */
public final class RedisUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message why Redis cannot be used
   * @param cause the underlying failure, or {@code null} on the fail-fast path
   */
  public RedisUnavailableException(String message, Throwable cause) {
    super(message, cause, false, false);
  }
}
