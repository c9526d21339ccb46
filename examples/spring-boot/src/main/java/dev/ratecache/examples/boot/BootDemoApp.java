package dev.ratecache.examples.boot;

import dev.ratecache.cache.CacheKeys;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.ApiKeyVerifier;
import dev.ratecache.ratelimit.RateLimited;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.annotation.Bean;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The Spring Boot demo: the starter configures everything from application.properties; the
 * controllers only say which profile guards them and what to cache.
 */
@SpringBootApplication
@EnableCaching // Spring's caches are ratecache's: ratecache.spring-cache.enabled=true
public class BootDemoApp {
  public static void main(String[] args) {
    SpringApplication.run(BootDemoApp.class, args);
  }

  /**
   * Names the account a login tries (its {@code user} parameter) for the limiter: the login
   * profile is keyed by account and client ({@code ratecache.ratelimit.profile.login.key}), so
   * failed logins lock one account out from one address only, and the real user, elsewhere,
   * is not locked out.
   */
  @Bean
  jakarta.servlet.Filter loginAccount() {
    return new org.springframework.web.filter.OncePerRequestFilter() {
      @Override
      protected void doFilterInternal(jakarta.servlet.http.HttpServletRequest request,
          jakarta.servlet.http.HttpServletResponse response, jakarta.servlet.FilterChain chain)
          throws jakarta.servlet.ServletException, java.io.IOException {
        String user = request.getRequestURI().startsWith("/login")
            ? request.getParameter("user") : null;
        if (user != null) {
          request.setAttribute(dev.ratecache.ratelimit.ClientKeyResolver.ACCOUNT_ATTRIBUTE, user);
        }
        chain.doFilter(request, response);
      }
    };
  }

  /**
   * Which API keys are real and the plan each is on: the starter gives it to the limiter, and
   * {@code ratecache.ratelimit.profile.chat.limit.pro} is the pro plan's chat limit. (A real
   * application looks keys up in its own store, behind a cache.)
   */
  @Bean
  ApiKeyVerifier apiKeys() {
    return ApiKeyVerifier.withPlans(key -> switch (key) {
      case "demo-pro-key" -> new ApiKeyVerifier.Owner("acme", "pro");
      case "demo-free-key" -> new ApiKeyVerifier.Owner("bob", null);
      default -> null;
    });
  }

  /** Guarded by the filter: /api/chat is the chat profile's prefix. */
  @RestController
  static class Chat {
    @PostMapping("/api/chat")
    Map<String, String> send() {
      return Map.of("reply", "hello");
    }

    /** Guarded twice (prefix and annotation), charged once. */
    @RateLimited("chat")
    @PostMapping("/api/chat/annotated")
    Map<String, String> annotated() {
      return Map.of("reply", "hello again");
    }
  }

  /** Guarded by the annotation alone: no profile's prefix covers /reports. */
  @RestController
  @RateLimited("search")
  static class Reports {
    @GetMapping("/reports/{name}")
    Map<String, String> report(@PathVariable String name) {
      return Map.of("report", name);
    }
  }

  /** Cached through the auto-configured QueryCache. */
  @RestController
  static class Users {
    static final AtomicInteger LOADS = new AtomicInteger();
    private final QueryCache cache;

    Users(QueryCache cache) {
      this.cache = cache;
    }

    @GetMapping("/users/{id}")
    Map<?, ?> user(@PathVariable String id) {
      return cache.getOrLoad("query:user:id:" + CacheKeys.escape(id), Duration.ofMinutes(5),
          Map.class, () -> {
        LOADS.incrementAndGet();
        return Map.of("id", id, "name", "User " + id);
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

  /**
   * Counts failed logins only ({@code profile.login.count=failures}): a right password never
   * uses the limit, the fourth wrong one in 15 minutes gets 429. {@code /login/slow} answers
   * asynchronously (a {@code Callable}), settled when it completes.
   */
  @RestController
  static class LoginController {
    @RateLimited("login")
    @PostMapping("/login")
    org.springframework.http.ResponseEntity<String> login(
        @org.springframework.web.bind.annotation.RequestParam String pw) {
      return "right".equals(pw) ? org.springframework.http.ResponseEntity.ok("welcome")
          : org.springframework.http.ResponseEntity.status(401).body("wrong password");
    }

    @RateLimited("login")
    @PostMapping("/login/slow")
    java.util.concurrent.Callable<org.springframework.http.ResponseEntity<String>> slowLogin(
        @org.springframework.web.bind.annotation.RequestParam String pw) {
      return () -> login(pw);
    }
  }
}
