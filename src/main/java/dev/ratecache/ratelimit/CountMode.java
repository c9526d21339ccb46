package dev.ratecache.ratelimit;

/**
 * Which requests a profile counts. Every request is charged when it arrives (so concurrent
 * requests can never exceed the limit); one whose answer does not count is given its token back
 * when the response is known.
 */
public enum CountMode {
  /** Every request (the default). */
  ALL,
  /** Only answers of 400 or more (and requests that throw): a login route counting failed logins. */
  FAILURES,
  /** Only answers below 400. */
  SUCCESSES;

  /** Whether an answer with this status counts. */
  boolean counts(int status) {
    return switch (this) {
      case ALL -> true;
      case FAILURES -> status >= 400;
      case SUCCESSES -> status < 400;
    };
  }
}
