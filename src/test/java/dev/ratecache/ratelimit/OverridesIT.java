package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisUnavailableException;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.MutableClock;
import dev.ratecache.testing.RedisCluster;
import dev.ratecache.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Plans and operators' runtime overrides on real Redis, with two instances (separate
 * connectors): one that hears every event, and, where the claim is "at once", one that never
 * hears any (an instance the event has not reached yet), so that only the buckets in Redis can
 * make it obey.
 */
class OverridesIT {
  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();
  @RegisterExtension
  static final RedisCluster cluster = new RedisCluster();

  private final MutableClock clock = MutableClock.startingNow();
  private final List<AutoCloseable> open = new ArrayList<>();

  @BeforeEach
  void clean() {
    redis.start();
    redis.flushAll();
  }

  @AfterEach
  void close() throws Exception {
    Collections.reverse(open);
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  static Stream<String> topologies() {
    return Stream.of("standalone", "cluster");
  }

  private RedisSettings settings(String topology) {
    if (topology.equals("cluster")) {
      cluster.flushAll();
      return TestRedis.patient(TestRedis.settings(cluster));
    }
    return TestRedis.patient(TestRedis.settings(redis));
  }

  /** An instance: chat 10/1h (pro 20/1h), its own connector. */
  private RateLimiter instance(RedisSettings settings, boolean hears) {
    RedisConnector connector = RedisConnector.create(settings, clock);
    RateLimiter limiter = RateLimiter.builder().connector(connector).clock(clock)
        .profiles(List.of(RateLimitProfile.builder("chat").limit(Limit.of(10, Duration.ofHours(1)))
            .planLimits("pro", List.of(Limit.of(20, Duration.ofHours(1)))).prefix("/chat")
            .build()))
        .hearOverrides(hears).build();
    open.add(connector);
    open.add(limiter);
    return limiter;
  }

  private static int admitted(RateLimiter limiter, String client, String plan, int tries) {
    int n = 0;
    for (int i = 0; i < tries; i++) {
      RateLimitDecision d = plan == null ? limiter.tryAcquire("chat", client)
          : limiter.tryAcquire("chat", client, plan);
      assertThat(d.backend()).isEqualTo(RateLimitDecision.Backend.REDIS);
      if (d.allowed()) {
        n++;
      }
    }
    return n;
  }

  /** Waits (bounded) for what an event makes true on another instance. */
  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("topologies")
  void aClientsOverrideBindsAnInstanceThatHasNotHeardOfIt(String topology) {
    RedisSettings settings = settings(topology);
    RateLimiter operator = instance(settings, true);
    RateLimiter deaf = instance(settings, false);

    assertThat(admitted(deaf, "x", null, 2)).isEqualTo(2); // 8 left under 10/1h

    LimitOverrides.Entry set = operator.overrides().setLimit("chat", "app:x",
        List.of(Limit.of(3, Duration.ofHours(1))), null);
    assertThat(set.revision()).isPositive();
    assertThat(deaf.overrides().revision()).as("never heard of it").isZero();
    // The tokens left are kept up to the new capacity: 8 -> 3, on the instance that never heard.
    RateLimitDecision first = deaf.tryAcquire("chat", "x");
    assertThat(first.allowed()).isTrue();
    assertThat(first.remaining()).isEqualTo(2);
    assertThat(admitted(deaf, "x", null, 5)).isEqualTo(2);
    assertThat(admitted(operator, "x", null, 3)).isZero();

    // A client with no bucket yet: the operator's write makes one under the new limit.
    operator.overrides().setLimit("chat", "app:fresh", List.of(Limit.of(2, Duration.ofHours(1))),
        null);
    assertThat(admitted(deaf, "fresh", null, 5)).isEqualTo(2);

    // Raised: no tokens at once, but the new refill rate (100/1h: one token in 36 s), one token
    // between both instances. (The deaf one may remember x over its old limit and refuse it
    // until it hears: it may under-admit, never over-admit.)
    operator.overrides().setLimit("chat", "app:x", List.of(Limit.of(100, Duration.ofHours(1))),
        null);
    assertThat(admitted(operator, "x", null, 3)).isZero();
    clock.advance(Duration.ofSeconds(37));
    assertThat(admitted(deaf, "x", null, 3) + admitted(operator, "x", null, 3)).isEqualTo(1);
    assertThat(operator.tryAcquire("chat", "x").profile().limits())
        .as("the headers of an instance that heard report the override")
        .containsExactly(Limit.of(100, Duration.ofHours(1)));

    // A plan put on a client at run time: its plan's limit (20/1h), on the deaf instance too.
    operator.overrides().assignPlan("app:y", "pro", null);
    assertThat(admitted(deaf, "y", null, 25)).isEqualTo(20);

    // Removed: the instance that heard decides under the profile's limit again, and its bucket
    // then binds the deaf one as well.
    assertThat(operator.overrides().remove(LimitOverrides.Kind.LIMIT, "chat", "app:x")).isTrue();
    assertThat(operator.overrides().remove(LimitOverrides.Kind.LIMIT, "chat", "app:x")).isFalse();
    // 30 minutes refill 50 tokens at 100/1h; the profile's 10/1h keeps 10 of them.
    clock.advance(Duration.ofMinutes(30));
    assertThat(operator.tryAcquire("chat", "x").profile().limits())
        .containsExactly(Limit.of(10, Duration.ofHours(1)));
    assertThat(admitted(deaf, "x", null, 12)).isEqualTo(9);
  }

  @Test
  void plansComeFromTheIdentityAndAPlansOverrideReachesEveryInstanceThatHears()
      throws Exception {
    RedisSettings settings = settings("standalone");
    RateLimiter a = instance(settings, true);
    RateLimiter b = instance(settings, true);

    assertThat(admitted(b, "free", null, 12)).isEqualTo(10);
    assertThat(admitted(b, "paid", "pro", 25)).isEqualTo(20);
    assertThat(admitted(b, "unknown-plan", "gold", 12)).as("a plan no profile names")
        .isEqualTo(10);

    LimitOverrides.Entry e = a.overrides().setLimit("chat", "plan:pro",
        List.of(Limit.of(30, Duration.ofHours(1))), Duration.ofMinutes(10));
    await(() -> b.overrides().revision() >= e.revision(), "b to hear of the plan's limit");
    assertThat(admitted(b, "paid-2", "pro", 35)).isEqualTo(30);
    assertThat(a.overrides().list()).extracting(LimitOverrides.Entry::subject)
        .containsExactly("plan:pro");

    // Expired after 10 minutes, on each instance by its own clock: the plan's configured limit.
    clock.advance(Duration.ofMinutes(11));
    assertThat(admitted(b, "paid-3", "pro", 25)).isEqualTo(20);
    assertThat(a.overrides().list()).isEmpty();
  }

  @Test
  void aTimedDenialRefusesEveryInstanceThatHearsItAndEndsOnItsOwn() throws Exception {
    RedisSettings settings = settings("standalone");
    RateLimiter a = instance(settings, true);
    RateLimiter b = instance(settings, true);

    LimitOverrides.Entry e = a.overrides().deny("app:bad", Duration.ofMinutes(1));
    RateLimitDecision refused = a.tryAcquire("chat", "bad");
    assertThat(refused.outcome()).isEqualTo(RateLimitDecision.Outcome.DENIED);
    assertThat(refused.reason()).isEqualTo(RateLimitDecision.Reason.DENIED);
    await(() -> b.overrides().revision() >= e.revision(), "b to hear of the denial");
    assertThat(b.tryAcquire("chat", "bad").outcome()).isEqualTo(RateLimitDecision.Outcome.DENIED);
    assertThat(b.tryAcquire("chat", "good").allowed()).isTrue();
    assertThat((boolean) redis.withClient(j -> j.exists("rate_limit:chat:app:bad")))
        .as("nothing charged while denied").isFalse();

    clock.advance(Duration.ofSeconds(61));
    assertThat(a.tryAcquire("chat", "bad").allowed()).isTrue();
    assertThat(b.tryAcquire("chat", "bad").allowed()).isTrue();
    assertThat(b.stats().profiles().get("chat").denied()).isEqualTo(1);
  }

  @Test
  void overridesGoOnApplyingWhileRedisIsDownAndWritesThenFailClearly() {
    RateLimiter a = instance(settings("standalone"), true);
    a.overrides().setLimit("chat", "app:x", List.of(Limit.of(3, Duration.ofHours(1))), null);
    a.overrides().deny("app:bad", null);
    redis.kill();
    int admitted = 0;
    for (int i = 0; i < 6; i++) {
      RateLimitDecision d = a.tryAcquire("chat", "x");
      assertThat(d.backend()).isNotEqualTo(RateLimitDecision.Backend.REDIS);
      admitted += d.allowed() ? 1 : 0;
    }
    assertThat(admitted).as("the override's 3/1h on the local fallback").isEqualTo(3);
    assertThat(a.tryAcquire("chat", "bad").outcome()).isEqualTo(RateLimitDecision.Outcome.DENIED);
    assertThatThrownBy(() -> a.overrides().deny("app:other", null))
        .isInstanceOf(RedisUnavailableException.class);
    assertThat(a.overrides().list()).as("listed as held").hasSize(2);
  }

  @Test
  void theStoreIsBoundedAndRefusesWhatIsMalformed() {
    RedisConnector connector = RedisConnector.create(settings("standalone"), clock);
    open.add(connector);
    RateLimiter a = RateLimiter.builder().connector(connector).clock(clock).maxOverrides(2)
        .build();
    open.add(a);
    LimitOverrides o = a.overrides();
    o.deny("198.51.100.0/24", Duration.ofMinutes(1));
    o.assignPlan("user:alice", "pro", null);
    assertThatThrownBy(() -> o.deny("app:third", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("overrides-max");
    o.assignPlan("user:alice", "partner", null); // replacing an entry is no new entry
    clock.advance(Duration.ofMinutes(2)); // the denial expired: dropped to make room
    o.deny("app:third", null);
    assertThat(o.list()).extracting(LimitOverrides.Entry::subject)
        .containsExactlyInAnyOrder("user:alice", "app:third");

    assertThatThrownBy(() -> o.setLimit("nope", "app:x", List.of(Limit.of(1,
        Duration.ofMinutes(1))), null)).hasMessageContaining("unknown rate-limit profile");
    assertThatThrownBy(() -> o.setLimit("chat", "plan:Pro", List.of(Limit.of(1,
        Duration.ofMinutes(1))), null)).hasMessageContaining("not a plan name");
    assertThatThrownBy(() -> o.assignPlan("plan:pro", "pro", null))
        .hasMessageContaining("only a limit can name a plan");
    assertThatThrownBy(() -> o.deny("nobody", null)).hasMessageContaining("names no client");
    assertThatThrownBy(() -> o.deny("app:a|b", null)).hasMessageContaining("is not a client");
    assertThatThrownBy(() -> o.assignPlan("app:a", "Gold!", null))
        .hasMessageContaining("plan 'Gold!'");
    assertThatThrownBy(() -> o.deny("app:a", Duration.ofSeconds(-1)))
        .hasMessageContaining("negative");

    // An entry written by hand that does not parse is ignored; the rest applies.
    redis.withClient(j -> j.hset(LimitOverrides.KEY, "limit|chat|app:z", "9|0|lots"));
    assertThat(o.list()).hasSize(2);
  }

  @Test
  void entriesWrittenByHandThatDoNotParseAreIgnoredAndTheRestApplies() {
    RateLimiter a = instance(settings("standalone"), true);
    a.overrides().deny("app:bad", null);
    redis.withClient(j -> j.hset(LimitOverrides.KEY, "limit|chat|app:z", "9|0|lots"));
    redis.withClient(j -> j.hset(LimitOverrides.KEY, "deny|*|not-a-client", "10|0|"));
    redis.withClient(j -> j.hset(LimitOverrides.KEY, "plan|*|app:w", "x|y"));
    redis.withClient(j -> j.hset(LimitOverrides.KEY, "#rev", "11"));
    a.overrides().assignPlan("app:p", "pro", null); // a write: every instance reloads
    assertThat(a.tryAcquire("chat", "bad").outcome()).isEqualTo(RateLimitDecision.Outcome.DENIED);
    assertThat(a.tryAcquire("chat", "p").profile().limits())
        .containsExactly(Limit.of(20, Duration.ofHours(1)));
    assertThat(a.overrides().revision()).isEqualTo(12);
  }

  @Test
  void revisionsNeverGoBackWhenTheHashIsLost() {
    RedisSettings settings = settings("standalone");
    RateLimiter a = instance(settings, true);
    RateLimiter deaf = instance(settings, false);
    a.overrides().setLimit("chat", "app:x", List.of(Limit.of(3, Duration.ofHours(1))), null);
    LimitOverrides.Entry second = a.overrides().assignPlan("app:y", "pro", null);
    redis.withClient(j -> j.del(LimitOverrides.KEY)); // lost: a failover, a clear of ratecache:*
    assertThat(a.overrides().list()).isEmpty();
    assertThat(a.overrides().revision()).isEqualTo(second.revision());
    LimitOverrides.Entry next = a.overrides().setLimit("chat", "app:x",
        List.of(Limit.of(2, Duration.ofHours(1))), null);
    assertThat(next.revision()).isGreaterThan(second.revision());
    // Written under the newer revision, so it binds the instance that never heard, as before.
    assertThat(admitted(deaf, "x", null, 5)).isEqualTo(2);
  }

  /**
   * The history: two instances, four threads each, charge one client under 100,000/1h while an
   * operator lowers its limit to 5/1h through the instance that hears; the other never hears.
   * Every decision's start and end is recorded: those that started after the write returned are
   * all under the new limit on both instances, so together they admit at most 5 (the bucket kept
   * at most the new capacity; the hour's refill adds nothing in the run's seconds).
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("topologies")
  void everyDecisionStartedAfterAnOverrideReturnedIsUnderIt(String topology) throws Exception {
    RedisSettings settings = settings(topology);
    RateLimiter hears = instance(settings, true);
    RateLimiter deaf = instance(settings, false);
    RateLimiter[] instances = {hears, deaf};
    hears.overrides().setLimit("chat", "app:h",
        List.of(Limit.of(100_000, Duration.ofHours(1))), null);
    record Decision(long start, long end, boolean allowed) {}
    List<Decision> history = Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch running = new CountDownLatch(8);
    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<?>> threads = new ArrayList<>();
    for (int t = 0; t < 8; t++) {
      RateLimiter limiter = instances[t % 2];
      threads.add(pool.submit(() -> {
        running.countDown();
        while (!stop.get()) {
          long start = System.nanoTime();
          boolean allowed = limiter.tryAcquire("chat", "h").allowed();
          history.add(new Decision(start, System.nanoTime(), allowed));
        }
      }));
    }
    running.await();
    while (history.size() < 200) {
      Thread.sleep(1);
    }
    long writeStart = System.nanoTime();
    hears.overrides().setLimit("chat", "app:h", List.of(Limit.of(5, Duration.ofHours(1))), null);
    long writeEnd = System.nanoTime();
    int before = history.size();
    while (history.size() < before + 400) {
      Thread.sleep(1);
    }
    stop.set(true);
    for (Future<?> f : threads) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();

    List<Decision> after;
    List<Decision> before2;
    synchronized (history) {
      after = history.stream().filter(d -> d.start() > writeEnd).toList();
      before2 = history.stream().filter(d -> d.end() < writeStart).toList();
    }
    assertThat(before2.stream().filter(Decision::allowed).count()).as("before the write")
        .isEqualTo(before2.size());
    assertThat(after.size()).isGreaterThanOrEqualTo(300);
    assertThat(after.stream().filter(Decision::allowed).count())
        .as("admitted among the decisions started after the write returned").isLessThanOrEqualTo(5);
  }
}
