package dev.ratecache.examples.boot;

import dev.ratecache.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.springframework.test.context.DynamicPropertyRegistry;

/** What the Boot demo's tests share: their Redis under Boot's properties, and raw requests. */
final class BootTests {
  static final HttpClient HTTP = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).build();

  private BootTests() {}

  /**
   * Points {@code ratecache.redis.port} at {@code redis}, starting it first (Spring reads the
   * property before JUnit's extension would have started it).
   */
  static void redisPort(DynamicPropertyRegistry registry, RedisServer redis) {
    registry.add("ratecache.redis.port", () -> {
      if (!redis.isRunning()) {
        redis.start();
      }
      return redis.port();
    });
  }

  /** {@code method} on {@code rawPath} (sent as written, odd spellings included) at {@code port}. */
  static HttpResponse<String> send(int port, String method, String rawPath) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + rawPath))
        .timeout(Duration.ofSeconds(10)).method(method, HttpRequest.BodyPublishers.noBody())
        .build(), HttpResponse.BodyHandlers.ofString());
  }
}
