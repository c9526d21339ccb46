package dev.ratecache.ratelimit;

/** What a profile does while Redis is unavailable. */
public enum FallbackMode {
  /**
   * Keep limiting with buckets held in this instance's memory (the default). Each instance then
   * admits up to the limit on its own until Redis returns.
   */
  LOCAL,
  /** Admit every request. */
  OPEN,
  /** Reject every request with {@code 503 Service Unavailable}. */
  CLOSED
}
