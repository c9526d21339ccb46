package dev.ratecache.ratelimit;

/** Whether a profile refuses what its limit refuses, or only counts it. */
public enum EnforcementMode {
  /** Over the limit: 429 (the default). */
  ENFORCE,
  /**
   * Every decision is computed and counted ({@code would_reject} in metrics) but nothing is
   * refused and no rate-limit headers are sent: a new limit tried on production traffic first.
   */
  SHADOW
}
