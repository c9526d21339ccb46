package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * Charges a servlet request against a named profile, for frameworks that route requests
 * themselves (a Spring MVC {@code HandlerInterceptor} honouring {@link RateLimited @RateLimited}
 * on controllers, say). A request is charged once per profile however many of {@link
 * RateLimitFilter}, {@link RateLimitFeature} and guards see it: they share the decision through
 * a request attribute. Headers are written by whoever charged first. Thread-safe.
 */
public final class ServletGuard {
  private final RateLimiter limiter;
  private final RejectionHandler rejectionHandler;

  /** A guard that answers a refusal with the default status and problem+json body. */
  public ServletGuard(RateLimiter limiter) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.rejectionHandler = null;
  }

  /** A guard with a custom rejection response. */
  public ServletGuard(RateLimiter limiter, RejectionHandler rejectionHandler) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.rejectionHandler = Objects.requireNonNull(rejectionHandler, "rejectionHandler");
  }

  /**
   * Checks that {@code profileName} is configured; call at start-up for every profile a route
   * names, so that a typo fails the deployment instead of a request.
   *
   * @throws ConfigurationException naming {@code where} and the configured profiles
   */
  public void requireProfile(String profileName, String where) {
    profile(profileName, " on " + where);
  }

  private RateLimitProfile profile(String profileName, String where) {
    return limiter.profile(profileName).orElseThrow(() -> new ConfigurationException(
        "@RateLimited", "unknown profile '" + profileName + "'" + where + "; configured: "
            + limiter.profiles().stream().map(RateLimitProfile::name).toList()));
  }

  /**
   * Charges {@code request} against {@code profileName} (unless already charged for it), adds the
   * rate-limit headers if this is the first charge, and on a refusal writes the 429 (or 503)
   * response.
   *
   * @return true if the request may proceed; false if the refusal has been written
   * @throws ConfigurationException if there is no such profile
   */
  public boolean enforce(String profileName, HttpServletRequest request,
      HttpServletResponse response) throws IOException {
    return enforce(profileName, 0, request, response);
  }

  /**
   * {@link #enforce(String, HttpServletRequest, HttpServletResponse)} for a route whose requests
   * cost {@code cost} tokens ({@code @RateLimited(cost = …)}; 0 for the profile's).
   */
  public boolean enforce(String profileName, long cost, HttpServletRequest request,
      HttpServletResponse response) throws IOException {
    RateLimitProfile profile = profile(profileName, "");
    Object earlier = request.getAttribute(RateLimiter.DECISION_ATTRIBUTE + profileName);
    ServletRequestView view = new ServletRequestView(request);
    RateLimitDecision decision =
        limiter.decideOnce(profile, limiter.costOf(profile, cost, request), view,
            request::getAttribute, request::setAttribute);
    if (earlier != decision) { // charged here (or topped up to this route's cost)
      RateLimitHeaders.apply(decision, limiter.headerStyle(), response::setHeader);
    }
    if (decision.allowed()) {
      return true;
    }
    Problems.respond(request, response, view, decision, rejectionHandler, limiter.problemType());
    return false;
  }

  /**
   * Settles the request's decisions when its answer is known (the MVC interceptor's {@code
   * afterCompletion}): {@code failure} non-null counts as a 500. Once per request and profile.
   */
  public void settle(HttpServletRequest request, HttpServletResponse response,
      Throwable failure) {
    if (limiter.settles()) {
      limiter.settleRequest(request::getAttribute, request::setAttribute,
          failure != null ? 500 : response.getStatus());
    }
  }
}
