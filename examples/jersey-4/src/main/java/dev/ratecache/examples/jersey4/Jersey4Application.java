package dev.ratecache.examples.jersey4;

import dev.ratecache.cache.CachedQueryFeature;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimitFeature;
import dev.ratecache.ratelimit.RateLimitFilter;
import dev.ratecache.ratelimit.RateLimiter;
import jakarta.servlet.ServletContext;
import jakarta.ws.rs.core.Context;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.server.spi.AbstractContainerLifecycleListener;
import org.glassfish.jersey.server.spi.Container;

/**
 * The Jersey 4 application that web.xml names: its resources, {@code @RateLimited} on the limiter
 * the {@link RateLimitFilter} published (one limiter, one Redis connection pool), and {@code
 * @CachedQuery} through a {@link QueryCache} on that same connector, closed with the application.
 */
public class Jersey4Application extends ResourceConfig {
  public Jersey4Application(@Context ServletContext servletContext) {
    RateLimiter limiter = (RateLimiter) servletContext.getAttribute(
        RateLimitFilter.LIMITER_ATTRIBUTE);
    if (limiter == null) {
      throw new IllegalStateException("RateLimitFilter must be declared in web.xml (it publishes"
          + " the limiter this application uses)");
    }
    QueryCache cache = QueryCache.builder().connector(limiter.connector()).build();
    register(Resources.Items.class);
    register(Resources.Search.class);
    register(Resources.Exports.class);
    register(Resources.Platform.class);
    register(JacksonFeature.class);
    register(RateLimitFeature.class);
    register(new CachedQueryFeature(cache));
    register(new AbstractContainerLifecycleListener() {
      @Override
      public void onShutdown(Container container) {
        cache.close();
      }
    });
  }
}
