package dev.ratecache.ratelimit;

/** Which rate-limit response headers to send. */
public enum HeaderStyle {
  /**
   * {@code RateLimit-Policy} and {@code RateLimit} as in draft-ietf-httpapi-ratelimit-headers-11
   * (the default).
   */
  DRAFT,
  /** {@code X-RateLimit-Limit}, {@code X-RateLimit-Remaining}, {@code X-RateLimit-Reset}. */
  LEGACY,
  /** Both sets. */
  BOTH,
  /** Neither ({@code Retry-After} is still sent on rejections). */
  NONE
}
