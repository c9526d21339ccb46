package dev.ratecache.examples.nobom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.cache.CachedQuery;
import dev.ratecache.cache.CachedQueryFeature;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.Jackson2Codec;
import dev.ratecache.redis.RedisSettings;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.glassfish.jersey.jackson.JacksonFeature;
import org.glassfish.jersey.server.ResourceConfig;
import org.glassfish.jersey.servlet.ServletContainer;
import org.junit.jupiter.api.Test;

/**
 * A Jersey application whose only Jackson is Jersey's (Jackson 2; ratecache's is optional), with
 * no BOM: it starts, a {@code @CachedQuery} resource serves JSON from Jersey's provider and then
 * from the cache, and {@code QueryCache}'s typed values go through the same Jackson 2 (the
 * in-memory store: this is about the class path, not about Redis).
 */
class JerseyWithoutBomIT {
  static final AtomicInteger CALLS = new AtomicInteger();

  @Path("/items")
  public static class Items {
    @GET
    @Path("{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @CachedQuery(value = "query:chat:id:{id}", shared = true)
    public Map<String, Object> item(@PathParam("id") long id) {
      CALLS.incrementAndGet();
      return Map.of("id", id, "name", "item " + id);
    }
  }

  @Test
  void startsAndServesCachedJsonWithTheJacksonMavenPicked() throws Exception {
    try (QueryCache cache = QueryCache.builder()
        .redis(RedisSettings.builder().enabled(false).build()).build()) {
      ResourceConfig config = new ResourceConfig(Items.class)
          .register(JacksonFeature.class)
          .register(new CachedQueryFeature(cache));
      Server server = new Server();
      ServerConnector http = new ServerConnector(server);
      http.setHost("127.0.0.1");
      http.setPort(0);
      server.addConnector(http);
      ServletContextHandler context = new ServletContextHandler("/");
      context.addServlet(new ServletHolder(new ServletContainer(config)), "/*");
      server.setHandler(context);
      server.start();
      try {
        HttpClient client = HttpClient.newHttpClient();
        URI uri = URI.create("http://127.0.0.1:" + http.getLocalPort() + "/items/7");
        HttpResponse<String> miss = client.send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> hit = client.send(HttpRequest.newBuilder(uri).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(miss.statusCode()).as(miss.body()).isEqualTo(200);
        assertThat(miss.body()).contains("\"name\":\"item 7\"");
        assertThat(miss.headers().firstValue("X-Cache")).hasValue("MISS");
        assertThat(hit.statusCode()).isEqualTo(200);
        assertThat(hit.headers().firstValue("X-Cache")).hasValue("HIT");
        assertThat(hit.body()).isEqualTo(miss.body());
        assertThat(CALLS.get()).isEqualTo(1);
        assertThat(cache.codec()).isInstanceOf(Jackson2Codec.class);
        cache.put("query:chat:typed", Map.of("n", 1), java.time.Duration.ofMinutes(1));
        assertThat(cache.get("query:chat:typed", Map.class)).contains(Map.of("n", 1));
        assertThatThrownBy(() -> Class.forName("tools.jackson.databind.ObjectMapper"))
            .as("no Jackson 3 came with ratecache").isInstanceOf(ClassNotFoundException.class);
      } finally {
        server.stop();
      }
    }
  }
}
