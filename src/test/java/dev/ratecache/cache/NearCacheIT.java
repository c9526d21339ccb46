package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.Await;
import dev.ratecache.testing.ManualScheduler;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/**
 * The near cache of two instances sharing one real redis-server: copies served without a round
 * trip, dropped when the other instance changes a key, bounded by their TTL, and not trusted
 * while the event subscription is down.
 */
class NearCacheIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  private static final Duration NEAR_TTL = Duration.ofSeconds(30);

  private final MutableClock clock = MutableClock.startingNow();
  private RedisConnector connectorA;
  private RedisConnector connectorB;
  private QueryCache a;
  private QueryCache b;

  @BeforeEach
  void setUp() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
    connectorA = RedisConnector.create(TestRedis.settings(redis).build());
    connectorB = RedisConnector.create(TestRedis.settings(redis).build());
    a = QueryCache.builder().connector(connectorA).clock(clock).nearCache(NEAR_TTL).build();
    b = QueryCache.builder().connector(connectorB).clock(clock).nearCache(NEAR_TTL).build();
    assertThat(connectorA.events().state()).as("build() starts no thread").isEqualTo("unused");
    a.get("query:user:first-read", String.class); // the first read subscribes
    b.get("query:user:first-read", String.class);
    Await.until("both instances subscribed",
        () -> connectorA.events().isLive() && connectorB.events().isLive());
  }

  @AfterEach
  void tearDown() {
    a.close();
    b.close();
    connectorA.close();
    connectorB.close();
  }

  private static long gets() {
    return redis.commandCalls("get");
  }

  /**
   * Writes through A and waits until B has heard A's event for that key, so that no event of the
   * write can arrive after B has copied it. (Counting A's publishes is not enough: a PUBLISH whose
   * reply times out on a loaded machine counts as failed and is still delivered.)
   */
  private void putOnA(String key, String value) {
    java.util.Set<String> heardKeys = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (AutoCloseable listening = connectorB.events().subscribe(event -> {
      if (event instanceof dev.ratecache.redis.Invalidation.Key k) {
        heardKeys.add(k.key());
      } else if (event instanceof dev.ratecache.redis.Invalidation.Keys ks) {
        heardKeys.addAll(ks.keys());
      }
    })) {
      a.put(key, value, Duration.ofMinutes(3));
      Await.until("B hears A's write of " + key, () -> heardKeys.contains(key));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aCopyIsServedWithoutARoundTripUntilAnotherInstanceChangesTheKey() {
    putOnA("query:chat:id:1", "v1");
    assertThat(b.get("query:chat:id:1", String.class)).contains("v1"); // from Redis, copied

    long before = gets();
    for (int i = 0; i < 100; i++) {
      assertThat(b.get("query:chat:id:1", String.class)).contains("v1");
    }
    assertThat(gets() - before).as("GETs sent for 100 reads of a copy").isZero();
    assertThat(b.nearCacheHits()).isEqualTo(100);
    assertThat(b.stats().categories().get(CacheTtl.CHAT).hits()).isEqualTo(101);

    a.put("query:chat:id:1", "v2", Duration.ofMinutes(3));
    Await.until("B sees the new value",
        () -> b.get("query:chat:id:1", String.class).orElse("").equals("v2"));
  }

  @Test
  void invalidationOnOneInstanceDropsTheOthersCopies() {
    putOnA("query:user:email:x", "x");
    putOnA("query:chat:id:9", "nine");
    assertThat(b.get("query:user:email:x", String.class)).contains("x");
    assertThat(b.get("query:chat:id:9", String.class)).contains("nine");

    a.invalidateMatching(DefaultKeyScheme.USER_PATTERN);
    Await.until("user copy dropped", () -> b.get("query:user:email:x", String.class).isEmpty());

    long before = gets();
    assertThat(b.get("query:chat:id:9", String.class)).as("copy outside the pattern")
        .contains("nine");
    assertThat(gets() - before).isZero();

    a.invalidate("query:chat:id:9");
    Await.until("chat copy dropped", () -> b.get("query:chat:id:9", String.class).isEmpty());
  }

  @Test
  void writesFromAnInstanceWithoutANearCacheAreAnnouncedToo() {
    // A rolling deployment: an old instance without the near cache keeps writing.
    try (RedisConnector oldConnector = RedisConnector.create(TestRedis.settings(redis).build());
        QueryCache old = QueryCache.builder().connector(oldConnector)
            .nearCache(Duration.ZERO).build()) {
      old.putAll(Map.of("query:chat:id:10", "a1", "query:chat:id:11", "b1"),
          Duration.ofMinutes(3));
      old.put("query:chat:id:12", "c1", Duration.ofMinutes(3));
      assertThat(b.get("query:chat:id:10", String.class)).contains("a1");
      assertThat(b.get("query:chat:id:11", String.class)).contains("b1");
      assertThat(b.get("query:chat:id:12", String.class)).contains("c1");

      old.putAll(Map.of("query:chat:id:10", "a2", "query:chat:id:11", "b2"),
          Duration.ofMinutes(3));
      old.invalidate("query:chat:id:12");
      Await.until("B sees the batch and the removal",
          () -> b.get("query:chat:id:10", String.class).orElse("").equals("a2")
              && b.get("query:chat:id:11", String.class).orElse("").equals("b2")
              && b.get("query:chat:id:12", String.class).isEmpty());
    }
  }

  @Test
  void aWriteNobodyAnnouncedIsSeenOnceTheCopyExpires() {
    putOnA("query:chat:id:2", "old");
    assertThat(b.get("query:chat:id:2", String.class)).contains("old");
    redis.withClient(j -> j.set("query:chat:id:2", "\"new\"")); // another program, no event

    assertThat(b.get("query:chat:id:2", String.class)).as("within the near TTL").contains("old");
    clock.advance(NEAR_TTL.minusMillis(1));
    assertThat(b.get("query:chat:id:2", String.class)).contains("old");
    clock.advance(Duration.ofMillis(1));
    assertThat(b.get("query:chat:id:2", String.class)).as("after the near TTL").contains("new");
  }

  @Test
  void copiesAreNotTrustedWhileTheSubscriptionIsLostAndCopyingResumesAfter() {
    putOnA("query:chat:id:3", "old");
    assertThat(b.get("query:chat:id:3", String.class)).contains("old");

    // The server drops every subscriber connection: B may have missed events from now on.
    redis.withClient(j -> j.clientKill(ClientKillParams.clientKillParams()
        .type(ClientType.PUBSUB)));
    redis.withClient(j -> j.set("query:chat:id:3", "\"changed\""));
    Await.until("B reads Redis again",
        () -> b.get("query:chat:id:3", String.class).orElse("").equals("changed"));

    Await.until("B resubscribed", () -> connectorB.events().isLive());
    assertThat(b.get("query:chat:id:3", String.class)).contains("changed"); // copied again
    long before = gets();
    assertThat(b.get("query:chat:id:3", String.class)).contains("changed");
    assertThat(gets() - before).as("served from the new copy").isZero();
  }

  @Test
  void aSubscriptionThatStopsAnsweringIsDroppedByItsPingWatchdog() throws Exception {
    // C's watchdog runs on virtual time: a PING each second, dropped once the last reply is
    // more than three seconds old.
    ManualScheduler time = new ManualScheduler(MutableClock.startingNow());
    try (RedisConnector connectorC = RedisConnector.create(TestRedis.settings(redis).build(), time.clock(),
            time);
        QueryCache c = QueryCache.builder().connector(connectorC).clock(time.clock())
            .nearCache(NEAR_TTL).build()) {
      c.get("query:user:first-read", String.class); // the first read subscribes
      Await.until("C subscribed", () -> connectorC.events().isLive());
      time.advance(Duration.ofSeconds(1));
      java.time.Instant pinged = time.clock().instant();
      Await.until("C's first PING answered",
          () -> connectorC.events().lastHeard().toEpochMilli() == pinged.toEpochMilli());
      redis.freeze(); // connections stay open; nothing is answered, no call of C fails
      try {
        time.advance(Duration.ofSeconds(3));
        assertThat(connectorC.events().isLive()).as("3 s after the last reply: still trusted")
            .isTrue();
        time.advance(Duration.ofSeconds(1));
        assertThat(connectorC.events().isLive()).as("4 s after it: dropped").isFalse();
        assertThat(connectorC.isAvailable()).as("no command failed, so Redis is not marked down")
            .isTrue();
      } finally {
        redis.thaw();
      }
      // The thread resubscribes on its own, backing off on the scheduler while Redis was frozen.
      Await.until("C resubscribed after the thaw", () -> {
        time.advance(Duration.ofMillis(100));
        return connectorC.events().isLive();
      });
      assertThat(connectorC.events().state()).isEqualTo("live");
    }
  }

  @Test
  void whenRedisGoesDownCopiesStopAndTheMemoryFallbackServes() {
    putOnA("query:chat:id:4", "redis-value");
    assertThat(b.get("query:chat:id:4", String.class)).contains("redis-value");
    redis.kill();
    try {
      Await.until("B knows Redis is down", () -> {
        b.get("query:chat:id:5", String.class); // a call that notices the outage
        return !connectorB.isAvailable();
      });
      assertThat(connectorB.events().isLive()).isFalse();
      assertThat(b.get("query:chat:id:4", String.class)).as("no stale copy during the outage")
          .isEmpty();
    } finally {
      redis.start();
    }
  }

  @Test
  void aUserWithoutPubSubRightsGetsNoCopiesAndNoReconnectStorm() {
    redis.withClient(j -> j.aclSetUser("nopubsub", "on", ">secret-pw", "~*", "&*", "+@all",
        "-@pubsub"));
    ManualScheduler time = new ManualScheduler(MutableClock.startingNow());
    long refusedBefore = refusedSubscribes();
    try (RedisConnector limited = RedisConnector.create(TestRedis.settings(redis)
            .username("nopubsub").password("secret-pw").build(), time.clock(), time);
        QueryCache c = QueryCache.builder().connector(limited).clock(time.clock())
            .nearCache(NEAR_TTL).build()) {
      c.put("query:chat:id:8", "v", Duration.ofMinutes(1)); // its announcement is refused
      c.get("query:chat:id:8", String.class); // the first read opens the near cache's subscription
      // Each refused attempt waits on the scheduler before the next: 100, 200, 400, 800 ms…
      // Run the timeline task by task; after each, wait until the subscription thread has made
      // its attempt and scheduled its next wake-up (two tasks queued: that and the watchdog).
      Duration elapsed = Duration.ZERO;
      List<Long> attemptsAtMillis = new ArrayList<>();
      long seen = 0;
      while (true) {
        Await.until("the subscription thread waits on the scheduler", () -> time.queued() == 2);
        long refused = refusedSubscribes() - refusedBefore;
        for (; seen < refused; seen++) {
          attemptsAtMillis.add(elapsed.toMillis());
        }
        Duration next = time.nextDelay();
        if (elapsed.plus(next).compareTo(Duration.ofSeconds(2)) > 0) {
          break;
        }
        time.advance(next);
        elapsed = elapsed.plus(next);
      }
      assertThat(attemptsAtMillis).as("refused subscriptions in 2 s, backing off")
          .containsExactly(0L, 100L, 300L, 700L, 1500L);
      assertThat(limited.events().state()).isEqualTo("resubscribing");
      long before = gets();
      assertThat(c.get("query:chat:id:8", String.class)).contains("v");
      assertThat(c.get("query:chat:id:8", String.class)).contains("v");
      assertThat(gets() - before).as("no copies without a subscription").isEqualTo(2);
      assertThat(limited.isAvailable()).as("refused SUBSCRIBE is not an outage").isTrue();
    } finally {
      redis.withClient(j -> j.aclDelUser("nopubsub"));
    }
  }

  /** SUBSCRIBE calls the server refused (ACL), from {@code INFO commandstats}. */
  private static long refusedSubscribes() {
    String prefix = "cmdstat_subscribe:";
    return redis.<String>withClient(j -> j.info("commandstats")).lines()
        .filter(l -> l.startsWith(prefix)).findFirst()
        .map(l -> Long.parseLong(l.replaceAll(".*rejected_calls=(\\d+).*", "$1")))
        .orElse(0L);
  }


  @Test
  void offByDefaultAndMalformedSettingsFailNamingThem() {
    try (QueryCache plain = QueryCache.builder().connector(connectorA)
        .environment(Map.<String, String>of()::get).build()) {
      plain.put("query:chat:id:6", "v", Duration.ofMinutes(1));
      plain.get("query:chat:id:6", String.class);
      long before = gets();
      plain.get("query:chat:id:6", String.class);
      assertThat(gets() - before).as("every read goes to Redis").isEqualTo(1);
      assertThat(plain.nearCacheHits()).isZero();
    }
    assertThatThrownBy(() -> QueryCache.builder().connector(connectorA)
        .environment(Map.of("CACHE_NEAR_TTL_MS", "soon")::get).build())
        .isInstanceOfSatisfying(ConfigurationException.class,
            e -> assertThat(e.setting()).isEqualTo("CACHE_NEAR_TTL_MS"));
    assertThatThrownBy(() -> QueryCache.builder().connector(connectorA)
        .environment(Map.of("CACHE_NEAR_TTL_MS", "1000", "CACHE_NEAR_MAX_BYTES", "10")::get)
        .build())
        .isInstanceOfSatisfying(ConfigurationException.class,
            e -> assertThat(e.setting()).isEqualTo("CACHE_NEAR_MAX_BYTES"))
        .hasMessageContaining("at least 1024");
    try (QueryCache fromEnv = QueryCache.builder().connector(connectorA)
        .environment(Map.of("CACHE_NEAR_TTL_MS", "1000")::get).build()) {
      fromEnv.put("query:chat:id:7", "v", Duration.ofMinutes(1));
      fromEnv.get("query:chat:id:7", String.class);
      fromEnv.get("query:chat:id:7", String.class);
      assertThat(fromEnv.nearCacheHits()).isEqualTo(1);
    }
  }
}
