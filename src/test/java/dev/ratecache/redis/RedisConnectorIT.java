package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ratecache.redis.RedisHealth.State;
import dev.ratecache.redis.RedisHealth.Transition;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.ManualScheduler;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import redis.clients.jedis.Protocol;
import redis.clients.jedis.util.SafeEncoder;

/** The connection layer against a real standalone redis-server, including faults. */
class RedisConnectorIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  @RegisterExtension
  static final RedisServer secured = RedisServer.builder().password("pa ss:word").build();

  private RedisConnector connector;

  @BeforeEach
  void clean() {
    if (!redis.isRunning()) {
      redis.start();
    }
    redis.flushAll();
  }

  @AfterEach
  void closeConnector() {
    if (connector != null) {
      connector.close();
    }
  }

  private static long ratecacheClients(RedisServer server) {
    return server.withClient(j -> j.clientList().lines()
        .filter(l -> l.contains("name=ratecache")).count());
  }

  @Test
  void aSubscriptionIsLiveOnlyOnceItsListenersHaveForgottenWhatTheGapMadeStale()
      throws Exception {
    connector = RedisConnector.create(TestRedis.settings(redis).build());
    java.util.concurrent.CountDownLatch forgetting = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch forgotten = new java.util.concurrent.CountDownLatch(1);
    try (AutoCloseable listening = connector.events().subscribe(new RedisEvents.Listener() {
      @Override
      public void onInvalidation(Invalidation event) {}

      @Override
      public void onMissedEvents() {
        forgetting.countDown();
        try {
          forgotten.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    })) {
      assertThat(forgetting.await(30, TimeUnit.SECONDS)).as("subscribed").isTrue();
      assertThat(connector.events().isLive()).as("live while a listener still forgets")
          .isFalse();
      forgotten.countDown();
      dev.ratecache.testing.Await.until("live once it has forgotten",
          () -> connector.events().isLive());
    }
  }

  @Test
  void constructionDoesNoIoAndTheFirstCommandConnects() {
    connector = RedisConnector.create(TestRedis.settings(redis).build());
    assertThat(ratecacheClients(redis)).as("connections after create()").isZero();

    connector.run(j -> j.set("k", "v"));

    assertThat(ratecacheClients(redis)).as("connections after first command").isEqualTo(1);
    assertThat(redis.<String>withClient(j -> j.get("k"))).isEqualTo("v");
  }

  @Test
  void constructionAgainstNothingListeningDoesNotFail() {
    RedisSettings nowhere = RedisSettings.builder().host("127.0.0.1")
        .port(dev.ratecache.testing.Ports.free()).build();
    connector = RedisConnector.create(nowhere);
    assertThat(connector.isAvailable()).as("optimistic until a call fails").isTrue();
  }

  @Test
  void passwordAndDatabaseIndexAreUsed() {
    connector = RedisConnector.create(TestRedis.settings(secured).database(3).build());
    connector.run(j -> j.set("in-db-3", "yes"));

    String inDb3 = secured.<String>withClient(j -> {
      j.select(3);
      return j.get("in-db-3");
    });
    String inDb0 = secured.withClient(j -> j.get("in-db-3"));
    assertThat(inDb3).isEqualTo("yes");
    assertThat(inDb0).isNull();
  }

  @Test
  void redisUrlWithPasswordAndDatabaseWorksEndToEnd() {
    String url = "redis://:" + "pa%20ss%3Aword" + "@127.0.0.1:" + secured.port() + "/5";
    RedisSettings settings = RedisSettings.fromLookup(
        name -> name.equals(RedisSettings.Name.URL) ? url : null);
    connector = RedisConnector.create(settings);
    connector.run(j -> j.set("via-url", "1"));
    assertThat(secured.<String>withClient(j -> {
      j.select(5);
      return j.get("via-url");
    })).isEqualTo("1");
  }

  @Test
  void aclUserFromTheUrlIsUsed() {
    redis.withClient(j -> j.aclSetUser("app", "on", ">app-secret", "~*", "+@all"));
    try {
      connector = RedisConnector.create(RedisSettings.fromUrl(
          "redis://app:app-secret@127.0.0.1:" + redis.port()));
      connector.run(j -> j.set("acl", "1"));
      Object whoami = connector.execute(j -> j.sendCommand(Protocol.Command.ACL, "WHOAMI"));
      assertThat(SafeEncoder.encode((byte[]) whoami)).isEqualTo("app");
    } finally {
      redis.withClient(j -> j.aclDelUser("app"));
    }
  }

  @Test
  void wrongPasswordMakesRedisUnavailableNotAnError() {
    connector = RedisConnector.create(TestRedis.settings(secured).password("wrong")
        .failureThreshold(1).build());
    assertThatThrownBy(() -> connector.execute(j -> j.get("x")))
        .isInstanceOf(RedisUnavailableException.class)
        .hasMessageContaining("WRONGPASS");
    assertThat(connector.health().state()).isEqualTo(State.DOWN);
  }

  @Test
  void redisErrorsForACommandPropagateWithoutTrippingHealth() {
    connector = RedisConnector.create(TestRedis.settings(redis).failureThreshold(1).build());
    connector.run(j -> j.lpush("list", "a"));
    assertThatThrownBy(() -> connector.execute(j -> j.get("list")))
        .isInstanceOf(redis.clients.jedis.exceptions.JedisDataException.class)
        .hasMessageContaining("WRONGTYPE");
    assertThat(connector.isAvailable()).isTrue();
  }

  @Test
  void killGoesDownOnceFailsFastAndRecoversWithoutApplicationCalls() throws Exception {
    connector = RedisConnector.create(TestRedis.settings(redis).failureThreshold(2).build());
    List<Transition> heard = new CopyOnWriteArrayList<>();
    connector.health().onTransition(heard::add);
    connector.run(j -> j.set("before", "1"));

    redis.kill();
    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> connector.execute(j -> j.get("before")))
          .isInstanceOf(RedisUnavailableException.class);
    }
    assertThat(connector.health().state()).isEqualTo(State.DOWN);

    // While down, every call comes back at once: each throws the one shared exception, which
    // only the known-down path throws (a call that tried the network would make its own).
    int calls = 1_000;
    java.util.Set<RedisUnavailableException> thrown =
        java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    int unavailable = 0;
    for (int i = 0; i < calls; i++) {
      try {
        connector.execute(j -> j.get("before"));
      } catch (RedisUnavailableException e) {
        unavailable++;
        thrown.add(e);
      }
    }
    assertThat(unavailable).isEqualTo(calls);
    assertThat(thrown).as("the exceptions of %d calls while down", calls).hasSize(1);

    redis.restart(); // same port; nothing calls the connector from here on
    awaitState(connector, State.UP, Duration.ofSeconds(5));
    assertThat(connector.<String>execute(j -> j.set("after", "1"))).isEqualTo("OK");

    awaitListeners(heard, 2);
    assertThat(heard).extracting(Transition::to).containsExactly(State.DOWN, State.UP);
    assertThat(connector.health().snapshot().outages()).isEqualTo(1);
  }

  @Test
  void staleConnectionsAfterARestartDoNotTripTheSwitchAgain() throws Exception {
    connector = RedisConnector.create(TestRedis.settings(redis).failureThreshold(2).build());
    // Fill the pool with several idle connections.
    Thread[] threads = new Thread[8];
    for (int i = 0; i < threads.length; i++) {
      threads[i] = new Thread(() -> connector.run(j -> j.blpop(0.05, "nothing")));
      threads[i].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    redis.kill();
    for (int i = 0; i < 2; i++) {
      try {
        connector.execute(j -> j.get("x"));
      } catch (RedisUnavailableException expected) {
        // tripping the switch
      }
    }
    assertThat(connector.isAvailable()).isFalse();
    redis.restart();
    awaitState(connector, State.UP, Duration.ofSeconds(5));

    for (int i = 0; i < 20; i++) {
      connector.execute(j -> j.get("x"));
    }
    assertThat(connector.health().snapshot().outages()).isEqualTo(1);
  }

  @Test
  void frozenRedisCostsAtMostTheSocketTimeoutThenFailsFast() {
    connector = RedisConnector.create(TestRedis.settings(redis).socketTimeout(Duration.ofMillis(200))
        .failureThreshold(1).build());
    connector.run(j -> j.set("k", "v"));
    long gets = redis.commandCalls("get");
    redis.freeze();
    try {
      long start = System.nanoTime();
      assertThatThrownBy(() -> connector.execute(j -> j.get("k")))
          .isInstanceOf(RedisUnavailableException.class);
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // It waited for the socket timeout, not less; that it did not wait more (no retry on
      // a frozen server) is counted below, where a loaded machine cannot blur it.
      assertThat(tookMs).as("first call waits for the socket timeout").isGreaterThanOrEqualTo(150L);
      assertThat(connector.health().snapshot().lastError()).as("why it gave up")
          .containsIgnoringCase("timed out");

      // Later calls fail fast: the one shared exception, thrown without touching the network.
      RedisUnavailableException later = catchThrowableOfType(
          () -> connector.execute(j -> j.get("k")), RedisUnavailableException.class);
      assertThat(catchThrowableOfType(() -> connector.execute(j -> j.get("k")),
          RedisUnavailableException.class)).as("later calls fail fast").isSameAs(later);
    } finally {
      redis.thaw();
    }
    awaitState(connector, State.UP, Duration.ofSeconds(5));
    // A GET sent to the frozen server waits in its socket and runs on the thaw, before the
    // probe's write can succeed (unless the client's reset dropped it first, which Jedis's
    // zero-linger close may): one attempt at most, no retry, none from the fast failures.
    assertThat(redis.commandCalls("get") - gets).as("GETs that reached Redis")
        .isLessThanOrEqualTo(1);
  }

  @Test
  void oneTimedOutCallIsEnoughWhateverTheThreshold() {
    connector = RedisConnector.create(TestRedis.settings(redis).socketTimeout(Duration.ofMillis(200))
        .failureThreshold(3).build());
    connector.run(j -> j.set("k", "v"));
    redis.freeze();
    try {
      assertThatThrownBy(() -> connector.execute(j -> j.get("k")))
          .isInstanceOf(RedisUnavailableException.class);
      // A request's next call (the cache after the limiter, say) must not wait again.
      assertThat(connector.isAvailable()).as("down after one call that waited out the timeout")
          .isFalse();
      assertThat(connector.health().snapshot().lastError()).containsIgnoringCase("timed out");
    } finally {
      redis.thaw();
    }
    awaitState(connector, State.UP, Duration.ofSeconds(5));
  }

  @Test
  void slowCallsTripTheSwitch() {
    connector = RedisConnector.create(TestRedis.settings(redis).socketTimeout(Duration.ofSeconds(2))
        .slowCallThreshold(Duration.ofMillis(100)).failureThreshold(2).build());
    connector.run(j -> j.set("k", "v"));
    redis.pauseClients(Duration.ofMillis(250));
    assertThat(connector.<String>execute(j -> j.get("k"))).as("a slow call still answers").isEqualTo("v");
    redis.pauseClients(Duration.ofMillis(250));
    assertThat(connector.<String>execute(j -> j.get("k"))).isEqualTo("v");
    assertThat(connector.health().state()).isEqualTo(State.DOWN);
    assertThat(connector.health().snapshot().lastError()).contains("slow call");
    awaitState(connector, State.UP, Duration.ofSeconds(5));
  }

  @Test
  void checkNowReportsAbsenceAtStartUpWithoutWaitingForTraffic() {
    RedisSettings nowhere = TestRedis.settings(redis).port(dev.ratecache.testing.Ports.free()).build();
    connector = RedisConnector.create(nowhere);
    assertThat(connector.checkNow()).isFalse();
    assertThat(connector.health().state()).isEqualTo(State.DOWN);
    assertThatThrownBy(() -> connector.execute(j -> j.ping()))
        .isInstanceOf(RedisUnavailableException.class);
  }

  @Test
  void disabledRedisIsDownAndNeverProbed() {
    ManualScheduler time = new ManualScheduler(MutableClock.startingNow());
    connector = RedisConnector.create(TestRedis.settings(redis).enabled(false).build(), time.clock(), time);
    assertThat(connector.isAvailable()).isFalse();
    assertThat(time.queued()).as("no probe scheduled").isZero();
    time.advance(Duration.ofMinutes(10));
    assertThat(connector.health().snapshot().probeAttempts()).isZero();
    assertThat(ratecacheClients(redis)).isZero();
  }

  @Test
  void sharedConnectorsAreOnePerSettingsAndCloseWithTheLastUser() {
    RedisSettings s = TestRedis.settings(redis).build();
    RedisConnector a = RedisConnector.shared(s);
    RedisConnector b = RedisConnector.shared(TestRedis.settings(redis).build());
    assertThat(a).isSameAs(b);
    a.close();
    assertThat(b.<String>execute(j -> j.ping())).isEqualTo("PONG");
    b.close();
    RedisConnector c = RedisConnector.shared(s);
    try {
      assertThat(c).isNotSameAs(a);
    } finally {
      c.close();
    }
  }

  static void awaitState(RedisConnector c, State state, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (c.health().state() != state) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("state still " + c.health().state() + " after " + timeout
            + "; last error: " + c.health().snapshot().lastError());
      }
      sleep(10);
    }
  }

  /** Listeners hear of a transition after it happened, on the probe thread. */
  static void awaitListeners(List<?> heard, int count) {
    dev.ratecache.testing.Await.until(count + " transitions announced to listeners",
        () -> heard.size() >= count);
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
