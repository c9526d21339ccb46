package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import jakarta.servlet.ServletContext;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.core.Response;
import java.lang.reflect.Method;
import java.security.Principal;
import java.util.List;

/**
 * Applies {@link RateLimited @RateLimited} to JAX-RS resources. Annotations are read once, at
 * deploy time; an unknown profile name fails the deployment with the method's name.
 *
 * <p>Register {@code new RateLimitFeature(limiter)}, or the class alone to use the limiter a
 * {@link RateLimitFilter} published in the servlet context (declare the filter so that it
 * initialises before the JAX-RS servlet). Guards run after authentication, so the principal is
 * known.
 */
public final class RateLimitFeature implements DynamicFeature {
  private final RateLimiter limiter;

  @Context
  private ServletContext servletContext;

  /**
   * A proxy to the current request, injected into this feature: Jersey does not inject the
   * guards it is handed as instances, so they read the peer address through this.
   */
  @Context
  private HttpServletRequest servletRequest;

  /** Uses the limiter published by a {@link RateLimitFilter} in the servlet context. */
  public RateLimitFeature() {
    this.limiter = null;
  }

  /** Uses {@code limiter}. */
  public RateLimitFeature(RateLimiter limiter) {
    this.limiter = java.util.Objects.requireNonNull(limiter, "limiter");
  }

  @Override
  public void configure(ResourceInfo resourceInfo, FeatureContext context) {
    Method method = resourceInfo.getResourceMethod();
    RateLimited annotation = method.getAnnotation(RateLimited.class);
    if (annotation == null) {
      annotation = resourceInfo.getResourceClass().getAnnotation(RateLimited.class);
    }
    if (annotation == null) {
      return;
    }
    String where = resourceInfo.getResourceClass().getName() + "." + method.getName();
    RateLimiter l = resolveLimiter(where);
    String name = annotation.value();
    RateLimitProfile profile = l.profile(name).orElseThrow(() -> new ConfigurationException(
        "@RateLimited", "unknown profile '" + name + "' on " + where + "; configured: "
            + l.profiles().stream().map(RateLimitProfile::name).toList()));
    if (annotation.cost() < 0 || annotation.cost() > 1_000_000) {
      throw new ConfigurationException("@RateLimited", "cost " + annotation.cost() + " on "
          + where + " must be 0 (the profile's) to 1000000");
    }
    context.register(new Guard(l, profile, annotation.cost(), () -> servletRequest),
        Priorities.AUTHENTICATION + 500);
  }

  private RateLimiter resolveLimiter(String where) {
    if (limiter != null) {
      return limiter;
    }
    Object published = servletContext == null ? null
        : servletContext.getAttribute(RateLimitFilter.LIMITER_ATTRIBUTE);
    if (published instanceof RateLimiter l) {
      return l;
    }
    throw new ConfigurationException("RateLimitFeature", "no RateLimiter for @RateLimited on "
        + where + ": pass one to new RateLimitFeature(limiter), or declare RateLimitFilter so"
        + " that it initialises before the JAX-RS application");
  }

  /** The per-method filter: charges the request, aborts when refused, adds headers. */
  static final class Guard implements ContainerRequestFilter, ContainerResponseFilter {
    private static final String OWN_DECISION = "dev.ratecache.ratelimit.jaxrs.decision";
    private final RateLimiter limiter;
    private final RateLimitProfile profile;
    private final long cost;

    private final java.util.function.Supplier<HttpServletRequest> servletRequest;

    Guard(RateLimiter limiter, RateLimitProfile profile, long cost,
        java.util.function.Supplier<HttpServletRequest> servletRequest) {
      this.limiter = limiter;
      this.profile = profile;
      this.cost = cost;
      this.servletRequest = servletRequest;
    }

    @Override
    public void filter(ContainerRequestContext request) {
      HttpServletRequest servlet = currentServletRequest();
      String attribute = RateLimiter.DECISION_ATTRIBUTE + profile.name();
      Object earlier = servlet != null ? servlet.getAttribute(attribute)
          : request.getProperty(attribute);
      View view = new View(request, servlet);
      RateLimitDecision decision = limiter.decideOnce(profile,
          limiter.costOf(profile, cost, servlet), view,
          servlet != null ? servlet::getAttribute : request::getProperty,
          servlet != null ? servlet::setAttribute : request::setProperty);
      if (earlier != decision) {
        // This guard charged the request (or topped it up to this route's cost), so it owns the
        // headers: the filter set none, or set them before the top-up.
        request.setProperty(OWN_DECISION, decision);
      }
      if (!decision.allowed()) {
        Response.ResponseBuilder r = Response.status(Problems.status(decision))
            .type(Problems.CONTENT_TYPE)
            .entity(Problems.body(decision, limiter.problemType()));
        if (earlier != decision) {
          RateLimitHeaders.apply(decision, limiter.headerStyle(), r::header);
        }
        if (Problems.closesConnection(view)) {
          r.header("Connection", "close");
        }
        request.abortWith(r.build());
      }
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
      if (request.getProperty(OWN_DECISION) instanceof RateLimitDecision d && d.allowed()) {
        RateLimitHeaders.apply(d, limiter.headerStyle(),
            (name, value) -> response.getHeaders().putSingle(name, value));
      }
      if (limiter.settles()) {
        // The answer is known (an exception became its mapped response, 500 if unmapped).
        HttpServletRequest servlet = currentServletRequest();
        limiter.settleRequest(servlet != null ? servlet::getAttribute : request::getProperty,
            servlet != null ? servlet::setAttribute : request::setProperty,
            response.getStatus());
      }
    }

    private HttpServletRequest currentServletRequest() {
      try {
        HttpServletRequest r = servletRequest.get();
        if (r != null) {
          r.getMethod(); // a proxy outside a request scope throws here
        }
        return r;
      } catch (RuntimeException notInRequest) {
        return null;
      }
    }
  }

  /** A {@link RequestView} of a JAX-RS request, with the servlet request for the peer address. */
  private record View(ContainerRequestContext request, HttpServletRequest servlet)
      implements RequestView {
    @Override
    public String method() {
      return request.getMethod();
    }

    @Override
    public String path() {
      return "/" + request.getUriInfo().getPath(false);
    }

    @Override
    public String principal() {
      if (request.getSecurityContext() == null) {
        return null;
      }
      Principal p = request.getSecurityContext().getUserPrincipal();
      return p == null ? null : p.getName();
    }

    @Override
    public List<String> headers(String name) {
      List<String> values = request.getHeaders().get(name);
      return values == null ? List.of() : values;
    }

    @Override
    public Object attribute(String name) {
      return servlet != null ? servlet.getAttribute(name) : request.getProperty(name);
    }

    @Override
    public String remoteAddress() {
      return servlet != null ? servlet.getRemoteAddr() : "unknown";
    }
  }
}
