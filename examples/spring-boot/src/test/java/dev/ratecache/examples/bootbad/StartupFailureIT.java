package dev.ratecache.examples.bootbad;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.ratelimit.RateLimited;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A wrong setting or an unknown profile fails the application's start, naming it. */
class StartupFailureIT {
  @SpringBootApplication
  static class App {
    @RestController
    static class Reports {
      @RateLimited("serach") // a typo
      @GetMapping("/reports")
      String reports() {
        return "ok";
      }
    }
  }

  /** Starts the app with {@code properties} as arguments, above application.properties. */
  private static ConfigurableApplicationContext start(String... properties) {
    String[] args = new String[properties.length + 2];
    args[0] = "--server.port=0";
    args[1] = "--ratecache.redis.port=1"; // nothing listens there
    for (int i = 0; i < properties.length; i++) {
      args[i + 2] = "--" + properties[i];
    }
    return new SpringApplicationBuilder(App.class).run(args);
  }

  private static ConfigurationException configurationError(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ConfigurationException e) {
        return e;
      }
    }
    throw new AssertionError("no ConfigurationException in the causes of " + t, t);
  }

  @Test
  void anUnknownProfileOnAControllerFailsTheStartNamingTheMethod() {
    assertThatThrownBy(() -> start().close()).satisfies(t -> {
      ConfigurationException e = configurationError(t);
      assertThat(e.getMessage()).contains("serach").contains("Reports.reports")
          .contains("chat");
    });
  }

  @Test
  void aMalformedSettingFailsTheStartNamingIt() {
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.ratelimit.headers=sideways").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("headers");
          assertThat(e.getMessage()).contains("sideways").contains("draft");
        });
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.redis.port=http").close()).satisfies(t ->
            assertThat(configurationError(t).setting()).isEqualTo("REDIS_PORT"));
  }

  @Test
  void aMistypedPropertyNameFailsTheStartNamingIt() {
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.ratelimt.profile.chat.limit=20/1m").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("ratecache.ratelimt.profile.chat.limit");
          assertThat(e.getMessage()).contains("ratecache.ratelimit.*");
        });
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.redis.hots=redis.internal").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("ratecache.redis.hots");
          assertThat(e.getMessage()).contains("ratecache.redis.host");
        });
  }

  @Test
  void aMalformedListOrModeFailsTheStartNamingIt() {
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.ratelimit.deny=10.0.0.0/8,example.com").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("deny");
          assertThat(e.getMessage()).contains("example.com").contains("CIDR");
        });
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.ratelimit.profile.chat.mode=dry-run").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("profile.chat.mode");
          assertThat(e.getMessage()).contains("shadow");
        });
  }

  @Test
  void aWrongSpringCacheSettingFailsTheStartNamingIt() {
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.spring-cache.ttls.prices=1m").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("ratecache.spring-cache.ttls.prices");
          assertThat(e.getMessage()).contains("ratecache.spring-cache.ttl");
        });
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.spring-cache.enabled=true", "ratecache.spring-cache.ttl.prices=soon").close())
        .satisfies(t -> assertThat(configurationError(t).setting())
            .isEqualTo("ratecache.spring-cache.ttl"));
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.spring-cache.enabled=true", "ratecache.spring-cache.ttl.prices=-1s").close())
        .satisfies(t -> assertThat(configurationError(t).getMessage()).contains("positive"));
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.spring-cache.enabled=true", "spring.cache.type=simple").close())
        .satisfies(t -> assertThat(configurationError(t).getMessage())
            .contains("spring.cache.type=simple"));
    assertThatThrownBy(() -> start("ratecache.interceptor.enabled=false",
        "ratecache.spring-cache.enabled=true", "ratecache.spring-cache.cache-names=users",
        "ratecache.spring-cache.ttl.prices=1m").close()).satisfies(t -> {
          ConfigurationException e = configurationError(t);
          assertThat(e.setting()).isEqualTo("ratecache.spring-cache.cache-names");
          assertThat(e.getMessage()).contains("prices");
        });
  }

  @Test
  void everythingCanBeSwitchedOff() {
    try (ConfigurableApplicationContext context = start("ratecache.enabled=false")) {
      assertThat(context.getBeansOfType(dev.ratecache.ratelimit.RateLimiter.class)).isEmpty();
      assertThat(context.getBeansOfType(dev.ratecache.redis.RedisConnector.class)).isEmpty();
    }
  }
}
