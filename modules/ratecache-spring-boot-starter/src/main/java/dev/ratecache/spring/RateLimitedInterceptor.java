package dev.ratecache.spring;

import dev.ratecache.ratelimit.RateLimited;
import dev.ratecache.ratelimit.ServletGuard;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.lang.reflect.Method;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.web.method.HandlerMethod;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerMapping;

/**
 * Honours {@link RateLimited @RateLimited} on Spring MVC controllers (on the method, else on the
 * class): charges the request against the profile before the handler runs, once per request
 * however many of the filter and the interceptor see it, and answers a refusal with 429 (or 503)
 * and problem+json itself, so Spring's error handling never rewrites it. Every annotated
 * handler's profile is checked when the application starts.
 */
public final class RateLimitedInterceptor implements HandlerInterceptor, SmartInitializingSingleton,
    BeanFactoryAware {
  /** A handler's profile and cost; {@link #NONE} for a handler without the annotation. */
  private record Route(String profile, long cost) {}

  private static final Route NONE = new Route("", 0);
  private final ServletGuard guard;
  private final Map<Method, Route> profiles = new ConcurrentHashMap<>();
  private BeanFactory beanFactory;

  public RateLimitedInterceptor(ServletGuard guard) {
    this.guard = guard;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  /** Fails the start-up if a handler names a profile that is not configured. */
  @Override
  public void afterSingletonsInstantiated() {
    if (!(beanFactory instanceof ListableBeanFactory factory)) {
      return;
    }
    for (RequestMappingHandlerMapping mapping
        : factory.getBeansOfType(RequestMappingHandlerMapping.class).values()) {
      for (HandlerMethod handler : mapping.getHandlerMethods().values()) {
        Route route = routeOf(handler);
        if (route != NONE) {
          String where = handler.getBeanType().getName() + "." + handler.getMethod().getName();
          guard.requireProfile(route.profile(), where);
          if (route.cost() < 0 || route.cost() > 1_000_000) {
            throw new dev.ratecache.ConfigurationException("@RateLimited", "cost "
                + route.cost() + " on " + where + " must be 0 (the profile's) to 1000000");
          }
        }
      }
    }
  }

  @Override
  public boolean preHandle(HttpServletRequest request, HttpServletResponse response,
      Object handler) throws Exception {
    if (handler instanceof HandlerMethod method) {
      Route route = routeOf(method);
      if (route != NONE) {
        return guard.enforce(route.profile(), route.cost(), request, response);
      }
    }
    return true;
  }

  /**
   * Settles a profile that counts only failures (or successes) once the answer is known: after
   * the handler and its exception handling, and for an asynchronous handler ({@code
   * DeferredResult}, {@code Callable}) at the end of its async dispatch. An exception that
   * escaped counts as a failure.
   */
  @Override
  public void afterCompletion(HttpServletRequest request, HttpServletResponse response,
      Object handler, Exception ex) {
    guard.settle(request, response, ex);
  }

  private Route routeOf(HandlerMethod handler) {
    return profiles.computeIfAbsent(handler.getMethod(), m -> {
      RateLimited a = AnnotatedElementUtils.findMergedAnnotation(m, RateLimited.class);
      if (a == null) {
        a = AnnotatedElementUtils.findMergedAnnotation(handler.getBeanType(), RateLimited.class);
      }
      return a == null ? NONE : new Route(a.value(), a.cost());
    });
  }
}
