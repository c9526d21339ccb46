package dev.ratecache.ratelimit;

/**
 * Where a client stands under a profile, read without charging it.
 *
 * @param profile the profile name
 * @param clientKey the client's key
 * @param limit the first limit's capacity
 * @param remaining requests left now
 * @param resetSeconds whole seconds until the bucket is full again
 * @param backend where the bucket was read from
 */
public record RateLimitStatus(String profile, String clientKey, long limit, long remaining,
    long resetSeconds, RateLimitDecision.Backend backend) {}
