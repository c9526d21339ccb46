package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.JettyApp;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import jakarta.servlet.DispatcherType;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 64 threads send 400 requests for one client at {@code chat} (20/min) through two independent
 * Jetty servers, each with its own filter, limiter and Redis client, sharing one Redis: exactly
 * 20 may pass.
 */
class RateLimitExactnessIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void exactlyTheLimitPassesAcrossTwoInstancesOnStandalone(RedisBucketProtocol protocol)
      throws Exception {
    redis.flushAll();
    Map<Integer, Integer> statuses = hammer(TestRedis.settings(redis).build(), protocol);
    assertThat(statuses).containsExactly(Map.entry(200, 20), Map.entry(429, 380));
  }

  @ParameterizedTest
  @EnumSource(RedisBucketProtocol.class)
  void exactlyTheLimitPassesAcrossTwoInstancesOnACluster(RedisBucketProtocol protocol)
      throws Exception {
    cluster.flushAll();
    Map<Integer, Integer> statuses = hammer(TestRedis.settings(cluster).build(), protocol);
    assertThat(statuses).containsExactly(Map.entry(200, 20), Map.entry(429, 380));
  }

  private static Map<Integer, Integer> hammer(RedisSettings settings,
      RedisBucketProtocol protocol) throws Exception {
    MutableClock clock = MutableClock.startingNow(); // both instances read one (synchronised) clock
    List<AutoCloseable> resources = new ArrayList<>();
    List<JettyApp> apps = new ArrayList<>();
    try {
      for (int i = 0; i < 2; i++) {
        RedisConnector connector = RedisConnector.create(settings);
        RateLimiter limiter = RateLimiter.builder().connector(connector).clock(clock)
            .redisBuckets(protocol).build();
        JettyApp app = JettyApp.start(c -> c.addFilter(new FilterHolder(
            new RateLimitFilter(limiter)), "/*", EnumSet.of(DispatcherType.REQUEST)));
        resources.add(app);
        resources.add(limiter);
        resources.add(connector);
        apps.add(app);
      }
      Map<Integer, AtomicInteger> counts = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(64);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
          JettyApp target = apps.get(i % 2);
          futures.add(pool.submit(() -> {
            int status = target.send("POST", "/api/chat", "X-API-Key", "one-client").statusCode();
            counts.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
            return null;
          }));
        }
        for (Future<?> f : futures) {
          f.get();
        }
      } finally {
        pool.shutdownNow();
      }
      for (int i = 1; i < resources.size(); i += 3) {
        RateLimiter l = (RateLimiter) resources.get(i);
        assertThat(l.stats().profiles().get("chat").fallback())
            .as("no decision may fall back to memory in this test").isZero();
      }
      Map<Integer, Integer> result = new TreeMap<>();
      counts.forEach((k, v) -> result.put(k, v.get()));
      return result;
    } finally {
      for (AutoCloseable r : resources) {
        r.close();
      }
    }
  }
}
