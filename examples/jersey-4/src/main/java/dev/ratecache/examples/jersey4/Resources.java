package dev.ratecache.examples.jersey4;

import dev.ratecache.cache.CachedQuery;
import dev.ratecache.ratelimit.RateLimited;
import jakarta.servlet.ServletContext;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** The demo's resources. */
public final class Resources {
  private Resources() {}

  /** Loads made by {@link Items} (what the cache saves). */
  public static final AtomicInteger ITEM_LOADS = new AtomicInteger();

  /** A cached read: the first request loads, the next ones are served from Redis. */
  @Path("/items")
  public static class Items {
    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @CachedQuery(value = "query:item:{id}", ttlSeconds = 300, shared = true)
    public Map<String, Object> item(@PathParam("id") long id) {
      ITEM_LOADS.incrementAndGet();
      return Map.of("id", id, "name", "item " + id);
    }
  }

  /** Guarded by the filter's prefix {@code /api/search}. */
  @Path("/search")
  public static class Search {
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> search(@QueryParam("q") String q) {
      return Map.of("q", q == null ? "" : q, "hits", 0);
    }
  }

  /** Guarded by {@code @RateLimited("export")}. */
  @Path("/exports")
  public static class Exports {
    @GET
    @RateLimited("export")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> export() {
      return Map.of("rows", 0);
    }
  }

  /** What the application runs on: the Servlet and Jersey versions. */
  @Path("/platform")
  public static class Platform {
    @Context
    ServletContext servlet;

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, Object> platform() {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("servlet", servlet.getMajorVersion() + "." + servlet.getMinorVersion());
      out.put("webapp", servlet.getEffectiveMajorVersion() + "." + servlet.getEffectiveMinorVersion());
      out.put("container", servlet.getServerInfo());
      out.put("jersey", org.glassfish.jersey.internal.Version.getVersion());
      out.put("rest", jakarta.ws.rs.core.Application.class.getPackage().getSpecificationVersion());
      return out;
    }
  }
}
