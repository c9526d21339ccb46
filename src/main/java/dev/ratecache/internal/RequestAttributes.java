package dev.ratecache.internal;

/** Request attributes one part of the library sets for another. */
public final class RequestAttributes {
  private RequestAttributes() {}

  /**
   * Set (to {@code Boolean.TRUE}) when the response cache answered the request from a stored
   * entry: the rate limiter then charges a profile's {@code cost-on-hit}.
   */
  public static final String CACHE_HIT = "dev.ratecache.cache.hit";
}
