package dev.ratecache.ratelimit;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * Writes the response for a refused request. The rate-limit headers and {@code Retry-After} are
 * already set when it is called; the default writes the status (429, or 503 for a closed profile
 * while Redis is down) and an {@code application/problem+json} body (RFC 9457).
 */
@FunctionalInterface
public interface RejectionHandler {
  void reject(HttpServletRequest request, HttpServletResponse response,
      RateLimitDecision decision) throws IOException;
}
