package dev.ratecache.ratelimit;

import dev.ratecache.internal.JsonText;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** {@code application/problem+json} bodies (RFC 9457) for refused requests. */
final class Problems {
  static final String CONTENT_TYPE = "application/problem+json";

  private Problems() {}

  /**
   * Answers a refused servlet request: {@code Connection: close} where keeping it would invite
   * more of the same, then {@code handler}'s response, or by default the status and problem+json
   * body. The rate-limit headers are already set.
   */
  static void respond(HttpServletRequest request, HttpServletResponse response, RequestView view,
      RateLimitDecision decision, RejectionHandler handler, String type) throws IOException {
    if (closesConnection(view)) {
      response.setHeader("Connection", "close");
    }
    if (handler != null) {
      handler.reject(request, response, decision);
      return;
    }
    byte[] body = body(decision, type);
    response.setStatus(status(decision));
    response.setContentType(CONTENT_TYPE);
    response.setContentLength(body.length);
    response.getOutputStream().write(body);
  }

  /**
   * Whether a refusal must close the connection. A refused request's body is never read (an
   * upload over its limit must not cost its transfer), and a container that finds unread body
   * bytes after the response has gone drops the connection without saying so; a client that
   * then reuses it for its next request sees it die. Saying {@code Connection: close} up front
   * (RFC 9112 section 9.6) makes the client open a new one instead. Requests without a body keep
   * their connection, so a rejection storm of GETs costs no new handshakes.
   */
  static boolean closesConnection(RequestView request) {
    return request.declaresBody();
  }

  /** The HTTP status for a refused decision: 429, or 503 for a closed profile without Redis. */
  static int status(RateLimitDecision d) {
    return switch (d.outcome()) {
      case UNAVAILABLE -> 503;
      case DENIED -> 403;
      default -> 429;
    };
  }

  /**
   * The body: a fixed shape, so it is written directly rather than through a general-purpose
   * JSON mapper (this runs for every rejected request). Every string is escaped.
   */
  static byte[] body(RateLimitDecision d, String type) {
    // A rejection storm repeats the same body until Retry-After ticks over: reuse it.
    String key = d.profile().name() + '|' + d.outcome() + '|' + d.reason();
    Built last = RECENT.get(key);
    if (last != null && last.profile == d.profile() && last.retryAfter == d.retryAfterSeconds()
        && last.type.equals(type)) {
      return last.bytes;
    }
    byte[] bytes = build(d, type);
    if (RECENT.size() < 1024) { // profiles × outcomes: small, and bounded regardless
      RECENT.put(key, new Built(d.profile(), d.retryAfterSeconds(), type, bytes));
    }
    return bytes;
  }

  /** The last body built per profile and outcome. */
  private record Built(RateLimitProfile profile, long retryAfter, String type, byte[] bytes) {}

  private static final java.util.concurrent.ConcurrentHashMap<String, Built> RECENT =
      new java.util.concurrent.ConcurrentHashMap<>();

  private static byte[] build(RateLimitDecision d, String type) {
    RateLimitProfile p = d.profile();
    if (d.outcome() == RateLimitDecision.Outcome.DENIED) {
      StringBuilder b = new StringBuilder(192);
      b.append("{\"type\":");
      string(b, type);
      b.append(",\"title\":\"Forbidden\",\"status\":403,\"detail\":");
      string(b, "This client is denied by the rate-limit policy '" + p.name() + "'.");
      b.append(",\"policy\":");
      string(b, p.name());
      b.append(",\"reason\":\"denied\"}");
      return b.toString().getBytes(StandardCharsets.UTF_8);
    }
    boolean closed = d.outcome() == RateLimitDecision.Outcome.UNAVAILABLE;
    StringBuilder b = new StringBuilder(256);
    b.append("{\"type\":");
    string(b, type);
    b.append(",\"title\":").append(closed ? "\"Service Unavailable\"" : "\"Too Many Requests\"");
    b.append(",\"status\":").append(closed ? 503 : 429);
    b.append(",\"detail\":");
    string(b, closed
        ? "Rate limiting for '" + p.name() + "' is unavailable and this endpoint fails closed;"
            + " retry in " + d.retryAfterSeconds() + " s."
        : d.reason() == RateLimitDecision.Reason.BLOCKED
        ? "Locked out of '" + p.name() + "' after its limit (" + p.limits().get(0)
            + ") was exceeded; retry in " + d.retryAfterSeconds() + " s."
        : "Rate limit '" + p.name() + "' (" + p.limits().get(0) + ") exceeded; retry in "
            + d.retryAfterSeconds() + " s.");
    b.append(",\"policy\":");
    string(b, p.name());
    b.append(",\"limits\":[");
    for (int i = 0; i < p.limits().size(); i++) {
      if (i > 0) {
        b.append(',');
      }
      string(b, p.limits().get(i).toString());
    }
    b.append("],\"retryAfter\":").append(d.retryAfterSeconds());
    b.append(",\"reason\":\"").append(d.reason().name().toLowerCase(java.util.Locale.ROOT))
        .append("\"}");
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Appends {@code s} as a JSON string (RFC 8259 escaping). */
  static void string(StringBuilder b, String s) {
    JsonText.quote(b, s);
  }

}
