package dev.ratecache.ratelimit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code application/problem+json} bodies (RFC 9457) for refused requests. */
final class Problems {
  static final String CONTENT_TYPE = "application/problem+json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private Problems() {}

  /** The HTTP status for a refused decision: 429, or 503 for a closed profile without Redis. */
  static int status(RateLimitDecision d) {
    return d.outcome() == RateLimitDecision.Outcome.UNAVAILABLE ? 503 : 429;
  }

  static byte[] body(RateLimitDecision d, String type) {
    Map<String, Object> problem = new LinkedHashMap<>();
    RateLimitProfile p = d.profile();
    problem.put("type", type);
    if (d.outcome() == RateLimitDecision.Outcome.UNAVAILABLE) {
      problem.put("title", "Service Unavailable");
      problem.put("status", 503);
      problem.put("detail", "Rate limiting for '" + p.name()
          + "' is unavailable and this endpoint fails closed; retry in "
          + d.retryAfterSeconds() + " s.");
    } else {
      problem.put("title", "Too Many Requests");
      problem.put("status", 429);
      problem.put("detail", "Rate limit '" + p.name() + "' (" + p.limits().get(0)
          + ") exceeded; retry in " + d.retryAfterSeconds() + " s.");
    }
    problem.put("policy", p.name());
    problem.put("limits", p.limits().stream().map(Limit::toString).toList());
    problem.put("retryAfter", d.retryAfterSeconds());
    try {
      return JSON.writeValueAsBytes(problem);
    } catch (JsonProcessingException e) {
      // Only strings and numbers above: cannot happen, but never fail a response over it.
      return ("{\"status\":" + status(d) + "}").getBytes(StandardCharsets.UTF_8);
    }
  }
}
