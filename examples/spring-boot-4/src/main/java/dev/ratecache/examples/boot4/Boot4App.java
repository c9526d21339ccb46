package dev.ratecache.examples.boot4;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimited;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot 4 application: the starter configures everything from its properties. Its class
 * path has Jackson 3 only (Boot 4's default); ratecache brings no Jackson 2.
 */
@SpringBootApplication
public class Boot4App {
  public static void main(String[] args) {
    SpringApplication.run(Boot4App.class, args);
  }

  /** Guarded by the annotation; cached through the auto-configured QueryCache. */
  @RestController
  static class Reports {
    static final AtomicInteger LOADS = new AtomicInteger();
    private final QueryCache cache;

    Reports(QueryCache cache) {
      this.cache = cache;
    }

    @RateLimited("search")
    @GetMapping("/reports/{name}")
    Map<String, String> report(@PathVariable String name) {
      return Map.of("report", name);
    }

    /** A record cached as the application's own Jackson 3 mapper writes it. */
    record Profile(String displayName, Instant memberSince) {}

    @GetMapping("/profiles/{id}")
    Profile profile(@PathVariable String id) {
      return cache.getOrLoad("query:user:profile:" + id, Duration.ofMinutes(1), Profile.class,
          () -> new Profile("User " + id, Instant.parse("2026-01-02T03:04:05Z")));
    }

    @GetMapping("/users/{id}")
    Map<?, ?> user(@PathVariable String id) {
      return cache.getOrLoad("query:user:id:" + id, Duration.ofMinutes(1), Map.class, () -> {
        LOADS.incrementAndGet();
        return Map.of("id", id);
      });
    }
  }
}
