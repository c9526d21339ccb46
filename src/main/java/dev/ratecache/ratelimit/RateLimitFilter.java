package dev.ratecache.ratelimit;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.FilterConfig;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A servlet filter that rate-limits requests whose path falls under a profile's prefix.
 *
 * <p>Three ways to use it:
 *
 * <ul>
 *   <li>in {@code web.xml} with {@code <init-param>}s only (see {@link InitParams} for the names;
 *       Redis settings come from the filter's init-params, then the context's
 *       {@code <context-param>}s, then the environment);
 *   <li>programmatically: {@code new RateLimitFilter(RateLimiter.builder()...build())} registered
 *       with {@code ServletContext.addFilter} or a Jetty {@code FilterHolder};
 *   <li>alongside {@link RateLimited @RateLimited} on JAX-RS resources through
 *       {@link RateLimitFeature}, which finds this filter's limiter in the servlet context, so both
 *       share buckets and a request is charged once per profile.
 * </ul>
 *
 * <p>Every response on a guarded route carries the rate-limit headers; a refused request gets
 * {@code 429} (or {@code 503} for a profile that fails closed while Redis is down) with
 * {@code Retry-After} and a problem+json body, written by the {@link RejectionHandler}.
 * Thread-safe after {@link #init}.
 */
public final class RateLimitFilter implements Filter {
  /** The servlet-context attribute under which the filter publishes its {@link RateLimiter}. */
  public static final String LIMITER_ATTRIBUTE = RateLimiter.class.getName();

  private volatile RateLimiter limiter;
  private boolean ownsLimiter;
  private final RejectionHandler rejectionHandler;

  /** For {@code web.xml}: the limiter is built from init-params in {@link #init}. */
  public RateLimitFilter() {
    this.rejectionHandler = null;
  }

  /** A filter around an existing limiter (not closed by the filter). */
  public RateLimitFilter(RateLimiter limiter) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.rejectionHandler = null;
  }

  /** A filter around an existing limiter with a custom rejection response. */
  public RateLimitFilter(RateLimiter limiter, RejectionHandler rejectionHandler) {
    this.limiter = Objects.requireNonNull(limiter, "limiter");
    this.rejectionHandler = Objects.requireNonNull(rejectionHandler, "rejectionHandler");
  }

  /**
   * Builds the limiter from init-params when none was given, and publishes it in the servlet
   * context for {@link RateLimitFeature}.
   *
   * @throws dev.ratecache.ConfigurationException naming the init-param if one is wrong; the
   *     container then fails the deployment
   */
  @Override
  public void init(FilterConfig config) throws ServletException {
    if (limiter == null) {
      Map<String, String> params = new LinkedHashMap<>();
      for (String name : Collections.list(config.getInitParameterNames())) {
        params.put(name, config.getInitParameter(name));
      }
      ServletContext context = config.getServletContext();
      limiter = InitParams.limiter(params, name -> {
        // Redis settings not given to the filter: the context's init-params, then the process
        // environment. Context-wide settings let several filters share one configuration.
        String value = context.getInitParameter(name);
        if (value == null) {
          value = context.getInitParameter(name.toLowerCase(java.util.Locale.ROOT).replace('_',
              '.'));
        }
        return value != null ? value : System.getenv(name);
      });
      ownsLimiter = true;
    }
    if (config.getServletContext().getAttribute(LIMITER_ATTRIBUTE) == null) {
      config.getServletContext().setAttribute(LIMITER_ATTRIBUTE, limiter);
    }
  }

  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    if (!(req instanceof HttpServletRequest request)
        || !(res instanceof HttpServletResponse response)) {
      chain.doFilter(req, res);
      return;
    }
    RateLimiter l = limiter;
    ServletRequestView view = new ServletRequestView(request);
    List<RateLimitProfile> profiles = l.route(view);
    if (profiles.isEmpty()) {
      chain.doFilter(req, res);
      return;
    }
    // Usually one profile; two when a method override could dispatch under another. The
    // response tells the tightest: a rejection, else the decision with the fewest left.
    RateLimitDecision decision = null;
    for (RateLimitProfile profile : profiles) {
      RateLimitDecision d = l.decideOnce(profile, l.costOf(profile, 0, request), view,
          request::getAttribute, request::setAttribute);
      if (decision == null || !d.allowed()
          || decision.allowed() && d.remaining() < decision.remaining()) {
        decision = d;
      }
      if (!d.allowed()) {
        break;
      }
    }
    RateLimitHeaders.apply(decision, l.headerStyle(), response::setHeader);
    if (decision.allowed()) {
      if (!l.settles()) {
        chain.doFilter(req, res);
        return;
      }
      SettlingRequest settling = new SettlingRequest(request, response, l);
      try {
        chain.doFilter(settling, res);
      } catch (IOException | ServletException | RuntimeException | Error e) {
        settling.settleAsFailure();
        throw e;
      }
      settling.settleIfSynchronous();
      return;
    }
    Problems.respond(request, response, view, decision, rejectionHandler, l.problemType());
  }

  /** The limiter in use (after {@link #init} for web.xml filters). */
  public RateLimiter limiter() {
    return limiter;
  }

  @Override
  public void destroy() {
    if (ownsLimiter && limiter != null) {
      limiter.close();
    }
  }
}
