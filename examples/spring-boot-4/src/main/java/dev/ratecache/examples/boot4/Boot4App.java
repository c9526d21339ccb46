package dev.ratecache.examples.boot4;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimited;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot 4 application: the starter configures everything from its properties. Its class
 * path has Jackson 3 only (Boot 4's default); ratecache brings no Jackson 2.
 */
@SpringBootApplication
@EnableCaching // Spring's caches are ratecache's: ratecache.spring-cache.enabled=true
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

    /** The Java this runs on, and whether this request is handled on a virtual thread. */
    @GetMapping("/platform")
    Map<String, Object> platform() {
      return Map.of("java", Runtime.version().feature(), "virtual", isVirtual(Thread.currentThread()));
    }

    private static boolean isVirtual(Thread t) {
      try { // Thread.isVirtual() is Java 21; the demo is built for 17
        return (Boolean) Thread.class.getMethod("isVirtual").invoke(t);
      } catch (ReflectiveOperationException onJava17) {
        return false;
      }
    }

    @GetMapping("/users/{id}")
    Map<?, ?> user(@PathVariable String id) {
      return cache.getOrLoad("query:user:id:" + id, Duration.ofMinutes(1), Map.class, () -> {
        LOADS.incrementAndGet();
        return Map.of("id", id);
      });
    }
  }

  /** Spring's cache annotations, over ratecache (Redis, with the memory fallback). */
  @Service
  public static class Prices {
    static final AtomicInteger LOADS = new AtomicInteger();

    /** A price as the database would give it. */
    public record Price(String symbol, long cents) {}

    @Cacheable("prices")
    public Price price(String symbol) {
      LOADS.incrementAndGet();
      return new Price(symbol, 100L * symbol.length());
    }

    @CacheEvict("prices")
    public void changed(String symbol) {}
  }

  @RestController
  static class PriceEndpoints {
    private final Prices prices;

    PriceEndpoints(Prices prices) {
      this.prices = prices;
    }

    @GetMapping("/prices/{symbol}")
    Prices.Price price(@PathVariable String symbol) {
      return prices.price(symbol);
    }

    @DeleteMapping("/prices/{symbol}")
    void changed(@PathVariable String symbol) {
      prices.changed(symbol);
    }
  }
}
