package dev.ratecache.ratelimit;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The tokens a request costs, worked out from the request ({@code profile.<name>.cost-function},
 * {@link RateLimitProfile.Builder#costFunction}): a bulk endpoint that costs one token per ten
 * rows asked for, say. Called on the request thread before the decision, wherever the request is
 * a servlet request (the filter, the Spring MVC interceptor, the JAX-RS feature in a servlet
 * container); keep it cheap. A route's {@code @RateLimited(cost = …)} wins over it.
 *
 * <p>The result is held to 1..1,000,000; a function that throws is logged (throttled) and the
 * profile's {@code cost} is charged. The client must not be able to choose a low cost: base it
 * on what the server will do (the rows it will return, capped), never on a header the client
 * could leave out. In {@code web.xml}, name a class with a public no-argument constructor.
 */
@FunctionalInterface
public interface CostFunction {
  /** The tokens {@code request} costs. */
  long cost(HttpServletRequest request);
}
