package dev.ratecache.ratelimit;

import java.util.Map;

/**
 * Counters of rate-limit decisions since start, per profile; an immutable snapshot.
 *
 * @param profiles counters per profile name
 */
public record RateLimitStats(Map<String, ProfileStats> profiles) {

  /**
   * Decisions for one profile.
   *
   * @param allowed requests admitted
   * @param rejected requests refused with 429
   * @param fallback decisions taken without Redis (local buckets, open or closed)
   * @param unavailable requests refused with 503 because Redis was down and the profile fails
   *     closed
   * @param denied requests refused with 403: the client is on a deny list
   * @param allowlisted requests admitted uncharged: the client is on an allow list
   * @param wouldReject requests a profile in shadow mode admitted although its limit (or its
   *     closed fallback) would have refused them; counted in {@code allowed} too
   * @param refunded admitted requests given their token back: their answer did not count
   *     ({@link RateLimitProfile#count()})
   * @param blocked requests refused because their client was locked out; counted in {@code
   *     rejected} too
   * @param lockouts lockouts started ({@link RateLimitProfile#lockout()})
   */
  public record ProfileStats(long allowed, long rejected, long fallback, long unavailable,
      long denied, long allowlisted, long wouldReject, long refunded, long blocked,
      long lockouts) {
    /** Counters of a profile without lists, shadow mode, settlement or lockouts. */
    public ProfileStats(long allowed, long rejected, long fallback, long unavailable) {
      this(allowed, rejected, fallback, unavailable, 0, 0, 0, 0, 0, 0);
    }

    /** Rejected as a fraction of all decisions; 0 when there were none. */
    public double rejectionRate() {
      long total = allowed + rejected + unavailable + denied + allowlisted;
      return total == 0 ? 0 : (double) (rejected + unavailable) / total;
    }
  }

  public RateLimitStats {
    profiles = Map.copyOf(profiles);
  }
}
