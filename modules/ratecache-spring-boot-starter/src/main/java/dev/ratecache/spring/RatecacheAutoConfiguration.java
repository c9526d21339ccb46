package dev.ratecache.spring;

import dev.ratecache.cache.LookupObserver;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.Jackson2Codec;
import dev.ratecache.json.Jackson3Codec;
import dev.ratecache.json.JsonCodec;
import dev.ratecache.ops.Operations;
import dev.ratecache.ops.RatecacheMetrics;
import dev.ratecache.ratelimit.ApiKeyVerifier;
import dev.ratecache.ratelimit.DecisionObserver;
import dev.ratecache.ratelimit.RateLimitFilter;

import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.ratelimit.ServletGuard;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.core.env.Environment;
import org.springframework.web.servlet.HandlerInterceptor;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;

/**
 * Spring Boot auto-configuration of ratecache from {@code ratecache.*} properties: one {@link
 * RedisConnector}, a {@link RateLimiter} with its {@link RateLimitFilter} (URL prefixes) and an
 * MVC interceptor ({@code @RateLimited} on controllers), a {@link QueryCache} whose JSON is written
 * by the application's own Jackson mapper (Boot 4's Jackson 3 {@code JsonMapper}, or Boot 3's
 * Jackson 2 {@code ObjectMapper}: see {@link Jackson3Json}), an Actuator health
 * indicator named {@code ratecache} and Micrometer metrics. Every bean backs off when the
 * application defines its own; {@code ratecache.enabled=false} switches all of it off, and
 * {@code ratecache.filter.enabled}, {@code ratecache.interceptor.enabled}, {@code
 * ratecache.cache.enabled} each part. Settings are read and validated at start-up: a wrong one
 * fails the application, naming it.
 */
@AutoConfiguration(beforeName = {
    "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration", // Boot 4
    "org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration"}, // Boot 3
    afterName = {
    "org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration", // Boot 4
    "org.springframework.boot.autoconfigure.jackson.JacksonAutoConfiguration", // Boot 3
    "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration", // Boot 4
    "org.springframework.boot.autoconfigure.data.redis.RedisAutoConfiguration"}) // Boot 3
@ConditionalOnProperty(prefix = "ratecache", name = "enabled", matchIfMissing = true)
public class RatecacheAutoConfiguration {

  /** Checks the names under {@code ratecache.} first: a typo fails the start, named. */
  public RatecacheAutoConfiguration(Environment env) {
    SpringSettings.checkNames(env);
  }

  /**
   * The shared connector for the settings under {@code ratecache.redis.} (or REDIS_*); when
   * those name no server, Spring's own Redis settings (its connection details bean, or {@code
   * spring.data.redis.*}: see {@link SpringRedis}).
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public RedisConnector ratecacheRedisConnector(Environment env,
      org.springframework.beans.factory.config.ConfigurableListableBeanFactory beans) {
    return RedisConnector.shared(RedisSettings.fromLookup(SpringRedis.lookup(
        SpringSettings.lookup(env, "REDIS_", "ratecache.redis."), env,
        SpringRedis.connectionDetails(beans, beans.getBeanClassLoader()))));
  }

  /** The limiter, from {@code ratecache.ratelimit.*} named as the filter's init-params. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public RateLimiter ratecacheRateLimiter(RedisConnector connector, Environment env,
      ObjectProvider<DecisionObserver> observer, ObjectProvider<ApiKeyVerifier> verifier) {
    RateLimiter.Builder b = RateLimiter.builder().connector(connector);
    // An ApiKeyVerifier bean serves unless ratecache.ratelimit.api-key-verifier names a class.
    verifier.ifUnique(b::apiKeyVerifier);
    b.params(SpringSettings.rateLimitParams(env));
    observer.ifUnique(b::observer);
    return b.build();
  }

  /** The query cache; TTLs and the rest from {@code ratecache.cache.*} (or CACHE_*). */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @ConditionalOnProperty(prefix = "ratecache.cache", name = "enabled", matchIfMissing = true)
  public QueryCache ratecacheQueryCache(RedisConnector connector, Environment env,
      ObjectProvider<JsonCodec> codec, ObjectProvider<LookupObserver> observer) {
    QueryCache.Builder b = QueryCache.builder().connector(connector)
        .environment(SpringSettings.lookup(env, "CACHE_", "ratecache.cache."));
    codec.ifAvailable(b::codec);
    observer.ifUnique(b::observer);
    return b.build();
  }

  /**
   * The cache's JSON through Spring Boot 4's Jackson 3 {@code JsonMapper} (so {@code
   * spring.jackson.*} and the application's modules apply to cached values too). Taken before
   * {@link Jackson2Json}: a Boot 4 application that also has Jackson 2 writes its HTTP JSON with
   * Jackson 3. Without either mapper bean the cache uses {@link JsonCodec#standard()}.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "tools.jackson.databind.json.JsonMapper")
  @Order(1)
  static class Jackson3Json {
    @Bean
    @ConditionalOnMissingBean(JsonCodec.class)
    @ConditionalOnSingleCandidate(type = "tools.jackson.databind.json.JsonMapper")
    public JsonCodec ratecacheJackson3Codec(tools.jackson.databind.json.JsonMapper mapper) {
      return Jackson3Codec.using(mapper);
    }
  }

  /** The cache's JSON through Spring Boot 3's Jackson 2 {@code ObjectMapper}. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "com.fasterxml.jackson.databind.ObjectMapper")
  @Order(2)
  static class Jackson2Json {
    @Bean
    @ConditionalOnMissingBean(JsonCodec.class)
    @ConditionalOnSingleCandidate(type = "com.fasterxml.jackson.databind.ObjectMapper")
    public JsonCodec ratecacheJackson2Codec(com.fasterxml.jackson.databind.ObjectMapper mapper) {
      return Jackson2Codec.using(mapper);
    }
  }

  /**
   * Spring's cache abstraction over the query cache ({@code @Cacheable}, {@code @CacheEvict}),
   * when {@code ratecache.spring-cache.enabled=true} and the application defines no {@code
   * CacheManager} of its own (see {@link SpringCacheSettings}).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.cache.CacheManager")
  @ConditionalOnProperty(prefix = "ratecache.spring-cache", name = "enabled",
      havingValue = "true")
  static class SpringCache {
    @Bean
    @ConditionalOnMissingBean(org.springframework.cache.CacheManager.class)
    public RatecacheCacheManager cacheManager(ObjectProvider<QueryCache> cache, Environment env,
        org.springframework.beans.factory.config.ConfigurableListableBeanFactory beans) {
      return SpringCacheSettings.manager(cache.getIfAvailable(), env, beans);
    }
  }

  /** The servlet parts: the filter on URL prefixes, and {@code @RateLimited} on controllers. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
  static class Web {
    /**
     * The filter on every path (it charges only the profiles' prefixes), after Spring Security's
     * chain (order -100) so that principals are known; {@code ratecache.filter.order} moves it.
     */
    @Bean
    @ConditionalOnMissingBean(name = "ratecacheRateLimitFilter")
    @ConditionalOnProperty(prefix = "ratecache.filter", name = "enabled", matchIfMissing = true)
    public FilterRegistrationBean<RateLimitFilter> ratecacheRateLimitFilter(RateLimiter limiter,
        Environment env) {
      FilterRegistrationBean<RateLimitFilter> r =
          new FilterRegistrationBean<>(new RateLimitFilter(limiter));
      r.setName("ratecacheRateLimitFilter");
      r.addUrlPatterns("/*");
      r.setOrder(env.getProperty("ratecache.filter.order", Integer.class, -90));
      return r;
    }

    /** {@code @RateLimited} on Spring MVC controllers and their methods. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HandlerInterceptor.class)
    @ConditionalOnProperty(prefix = "ratecache.interceptor", name = "enabled",
        matchIfMissing = true)
    static class Mvc {
      @Bean
      @ConditionalOnMissingBean
      public RateLimitedInterceptor ratecacheRateLimitedInterceptor(RateLimiter limiter) {
        return new RateLimitedInterceptor(new ServletGuard(limiter));
      }

      @Bean
      public WebMvcConfigurer ratecacheInterceptorRegistration(
          RateLimitedInterceptor interceptor) {
        return new WebMvcConfigurer() {
          @Override
          public void addInterceptors(InterceptorRegistry registry) {
            registry.addInterceptor(interceptor);
          }
        };
      }
    }
  }

  /**
   * The Actuator health indicator {@code ratecache} on Spring Boot 3 (its health API, {@code
   * org.springframework.boot.actuate.health}, is gone in Boot 4: this is skipped there, and
   * {@link Boot4Health} applies instead).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
  static class Health {
    @Bean
    @ConditionalOnMissingBean(name = "ratecacheHealthIndicator")
    public org.springframework.boot.actuate.health.HealthIndicator ratecacheHealthIndicator(
        RedisConnector connector, Environment env) {
      return new RatecacheHealthIndicator(connector,
          env.getProperty(HealthState.FALLBACK_STATUS_PROPERTY, "DOWN"));
    }
  }

  /** The Actuator health indicator {@code ratecache} on Spring Boot 4 ({@code spring-boot-health}). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
  static class Boot4Health {
    @Bean
    @ConditionalOnMissingBean(name = "ratecacheHealthIndicator")
    public org.springframework.boot.health.contributor.HealthIndicator ratecacheHealthIndicator(
        RedisConnector connector, Environment env) {
      return new RatecacheBoot4HealthIndicator(connector,
          env.getProperty(HealthState.FALLBACK_STATUS_PROPERTY, "DOWN"));
    }
  }

  /**
   * Decisions and lookups as Micrometer Observations ({@code rate_limit.decision}, {@code
   * ratecache.cache.lookup}) on the application's {@code ObservationRegistry}, so traces show
   * them; {@code ratecache.observations.enabled=false} switches them off.
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "io.micrometer.observation.ObservationRegistry")
  @ConditionalOnProperty(prefix = "ratecache.observations", name = "enabled",
      matchIfMissing = true)
  static class Observations {
    @Bean
    @ConditionalOnMissingBean(DecisionObserver.class)
    public DecisionObserver ratecacheDecisionObservations(
        ObjectProvider<io.micrometer.observation.ObservationRegistry> registry) {
      return new RatecacheObservations(registry::getIfUnique).decisions();
    }

    @Bean
    @ConditionalOnMissingBean(LookupObserver.class)
    public LookupObserver ratecacheLookupObservations(
        ObjectProvider<io.micrometer.observation.ObservationRegistry> registry) {
      return new RatecacheObservations(registry::getIfUnique).lookups();
    }
  }

  /**
   * The Actuator endpoint {@code ratecache} (see {@link RatecacheEndpoint}), over {@link
   * Operations}, which publishes this instance's counters for the fleet view every {@code
   * ratecache.endpoint.publish-interval} (30 s; 0 for never).
   */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.springframework.boot.actuate.endpoint.annotation.Endpoint")
  static class ActuatorEndpoint {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public Operations ratecacheOperations(RedisConnector connector,
        ObjectProvider<RateLimiter> limiter, ObjectProvider<QueryCache> cache, Environment env) {
      Operations.Builder b = Operations.builder(connector);
      limiter.ifAvailable(b::rateLimiter);
      cache.ifAvailable(b::cache);
      Operations operations = b.build();
      java.time.Duration every = SpringSettings.duration(env, "ratecache.endpoint.publish-interval",
          java.time.Duration.ofSeconds(30));
      if (!every.isZero()) {
        operations.publishEvery(every);
      }
      return operations;
    }

    @Bean
    @ConditionalOnMissingBean
    public RatecacheEndpoint ratecacheEndpoint(Operations operations) {
      return new RatecacheEndpoint(operations);
    }
  }

  /** Micrometer: bound to the application's registry by Boot, as every MeterBinder bean. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(MeterRegistry.class)
  static class Metrics {
    @Bean
    @ConditionalOnMissingBean
    public RatecacheMetrics ratecacheMetrics(RedisConnector connector,
        ObjectProvider<RateLimiter> limiter, ObjectProvider<QueryCache> cache) {
      return new RatecacheMetrics(connector, limiter.getIfAvailable(), cache.getIfAvailable());
    }
  }
}
