package dev.ratecache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.QueryCache;
import dev.ratecache.ratelimit.RateLimitDecision;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.ratelimit.RedisBucketProtocol;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Redis ACL docs/configuration.md gives for an application's user is enough for every feature, and
 * nothing in it is to spare for the library's own keys: rate limiting (both protocols), the
 * query cache with pattern invalidation and a near cache (events), health, statistics and
 * warm-up all work as that user, with no call refused.
 */
class LeastPrivilegeIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  /** The documented rule (docs/configuration.md, "Redis permissions"), word for word. */
  static final String APPLICATION_ACL = "~rate_limit:* ~query:* ~auth:* ~ratecache:*"
      + " &ratecache:* -@all +@read +@write +@scripting -script|flush -script|kill"
      + " +ping +publish +subscribe +info +client|setname";

  /** What a Cluster needs besides: the slot map, its masters (health) and its state (probe). */
  static final String CLUSTER_ACL = " +cluster|slots +cluster|nodes +cluster|info";

  private final List<RedisServer> servers = new java.util.ArrayList<>();

  @AfterEach
  void dropUser() {
    for (RedisServer server : servers) {
      server.withClient(j -> j.aclDelUser("app"));
    }
  }

  private static RedisConnector asApp(RedisSettings.Builder settings) {
    return RedisConnector.create(settings.username("app").password("app-pw").build());
  }

  /** Creates the user on {@code nodes} with {@code rule}, and counts refusals from now on. */
  private void user(List<RedisServer> nodes, String rule) {
    for (RedisServer server : nodes) {
      servers.add(server);
      server.withClient(j -> j.aclSetUser("app", ("on >app-pw resetkeys resetchannels " + rule)
          .split(" ")));
      server.withClient(j -> j.configResetStat());
    }
  }

  @Test
  void theReadmeGivesTheseRules() throws java.io.IOException {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("docs", "configuration.md"));
    assertThat(readme).contains(APPLICATION_ACL).contains(CLUSTER_ACL.trim());
  }

  @Test
  void everyFeatureWorksAsTheApplicationsUserOnStandalone() {
    redis.flushAll();
    user(List.of(redis), APPLICATION_ACL);
    everyFeatureWorks(TestRedis.settings(redis));
  }

  @Test
  void everyFeatureWorksAsTheApplicationsUserOnACluster() {
    cluster.flushAll();
    user(cluster.nodes(), APPLICATION_ACL + CLUSTER_ACL);
    everyFeatureWorks(TestRedis.settings(cluster));
  }

  @Test
  void aMissingPermissionIsNamedAndIsNoOutage() {
    redis.flushAll();
    user(List.of(redis), APPLICATION_ACL.replace(" +@scripting", ""));
    try (RedisConnector connector = asApp(TestRedis.settings(redis));
        RateLimiter limiter = RateLimiter.builder().connector(connector).build()) {
      // One hot client: after its bucket is created (SET NX GET, allowed), every swap is an
      // EVALSHA the server refuses.
      for (int i = 0; i < 20; i++) {
        limiter.tryAcquire("chat", "hot");
      }
      assertThat(limiter.stats().profiles().get("chat").fallback())
          .as("decided in memory: Redis refused them").isEqualTo(19);
      namedAndNoOutage(connector, "evalsha");
    }
  }

  @Test
  void aKeyOutsideTheUsersPatternsIsNamedAndIsNoOutage() {
    redis.flushAll();
    user(List.of(redis), APPLICATION_ACL.replace(" ~query:*", ""));
    try (RedisConnector connector = asApp(TestRedis.settings(redis));
        QueryCache cache = QueryCache.builder().connector(connector).build()) {
      // Each read a refused GET: counted as failures, three in a row would switch Redis DOWN,
      // the probe (a write it may do) UP again, and so on for as long as it lasts.
      for (int i = 0; i < 20; i++) {
        cache.get("query:user:email:" + i, String.class);
      }
      namedAndNoOutage(connector, "one of the keys");
    }
  }

  private void everyFeatureWorks(RedisSettings.Builder settings) {
    try (RedisConnector connector = asApp(settings)) {
      everyFeatureWorks(connector);
    }
    for (RedisServer server : servers) {
      assertThat(rejectedCalls(server)).as("calls %s refused to this user", server).isEmpty();
    }
  }

  private static void everyFeatureWorks(RedisConnector connector) {
    for (RedisBucketProtocol protocol : RedisBucketProtocol.values()) {
      try (RateLimiter limiter = RateLimiter.builder().connector(connector)
          .redisBuckets(protocol).build()) {
        for (int i = 0; i < 5; i++) {
          RateLimitDecision d = limiter.tryAcquire("auth", "acl-" + protocol);
          assertThat(d.allowed()).isTrue();
          assertThat(d.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
        }
        assertThat(limiter.tryAcquire("auth", "acl-" + protocol).allowed()).isFalse();
        assertThat(limiter.stats().profiles().get("auth").fallback()).isZero();
      }
    }
    try (QueryCache cache = QueryCache.builder().connector(connector)
        .nearCache(Duration.ofSeconds(30)).build();
        Operations ops = Operations.builder(connector).cache(cache).build()) {
      cache.put("query:user:email:a", "A", Duration.ofMinutes(1));
      assertThat(cache.get("query:user:email:a", String.class)).contains("A");
      assertThat(cache.getOrLoad("query:chat:id:1", String.class, () -> "one")).isEqualTo("one");
      Await.until("events subscribed", () -> connector.events().isLive());
      assertThat(cache.getAll(List.of("query:user:email:a", "query:chat:id:1"), String.class))
          .containsEntry("query:user:email:a", "A");
      cache.invalidate("query:user:email:a");
      cache.invalidateMatching("query:chat:*");
      assertThat(cache.get("query:chat:id:1", String.class)).isEmpty();
      assertThat(cache.stats().total().errors()).isZero();
      assertThat(cache.stats().total().fallback()).isZero();

      HealthReport health = ops.health();
      assertThat(health.status()).as("%s", health).isEqualTo("UP");
      assertThat(ops.publishNow()).as("statistics published").isTrue();
      assertThat(ops.fleet()).hasSize(1);
      assertThat(ops.redisStats().totalKeys()).isPositive();
      assertThat(ops.warm().succeeded()).isTrue();
      assertThat(ops.clear("query:*", n -> { })).isGreaterThanOrEqualTo(0);
    }
    assertThat(connector.checkNow()).as("the health probe's write and delete").isTrue();
    assertThat(connector.health().snapshot().outages()).isZero();

  }

  /** Redis stayed in use, and the health report's last error names what was refused. */
  private static void namedAndNoOutage(RedisConnector connector, String refused) {
    assertThat(connector.health().snapshot().outages()).as("outages").isZero();
    assertThat(connector.isAvailable()).isTrue();
    assertThat(HealthCheck.check(connector).lastError()).as("the health report's last error")
        .contains("NOPERM").contains(refused);
  }

  /** Commands with rejected calls (ACL refusals count there), from INFO commandstats. */
  private static Map<String, String> rejectedCalls(RedisServer server) {
    return server.<String>withClient(j -> j.info("commandstats")).lines()
        .filter(l -> l.startsWith("cmdstat_") && !l.contains("rejected_calls=0"))
        .collect(java.util.stream.Collectors.toMap(l -> l.substring(0, l.indexOf(':')),
            l -> Arrays.stream(l.split(",")).filter(p -> p.startsWith("rejected_calls"))
                .findFirst().orElse("")));
  }
}
