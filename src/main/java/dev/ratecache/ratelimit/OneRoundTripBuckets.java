package dev.ratecache.ratelimit;

import dev.ratecache.internal.InvalidationGuard;
import dev.ratecache.redis.AutoPipeline;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ClientSideConfig;
import io.github.bucket4j.distributed.remote.MutableBucketEntry;
import io.github.bucket4j.distributed.remote.commands.CreateInitialStateAndExecuteCommand;
import io.github.bucket4j.distributed.remote.commands.EstimateAbilityToConsumeCommand;
import io.github.bucket4j.distributed.remote.commands.TryConsumeAndReturnRemainingTokensCommand;
import io.github.bucket4j.distributed.versioning.Version;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;

/**
 * Bucket4j's compare-and-swap protocol in one Redis round trip per decision, with concurrent
 * requests for one bucket sharing it (the {@code one-round-trip} protocol, the default).
 *
 * <p><b>Decisions are Bucket4j's.</b> Each request is decided by Bucket4j's own commands ({@code
 * CreateInitialStateAndExecuteCommand} around {@code TryConsumeAndReturnRemainingTokensCommand})
 * on Bucket4j's own serialized state, exactly as its compare-and-swap proxy managers do, and the
 * state is written back only if Redis still holds what the decision started from. So the limit is
 * exact across every instance sharing the Redis, and this protocol and Bucket4j's Jedis proxy
 * manager can share buckets (a fleet can change protocol one instance at a time).
 *
 * <p><b>One round trip.</b> Bucket4j's proxy manager reads a bucket ({@code GET}) and then swaps
 * it ({@code EVAL}). This one starts from the state this instance last wrote ({@link
 * RememberedStates}, at most {@code rememberFor} old), or, for a bucket it does not remember,
 * from "absent" ({@link BucketSwaps}: a plain {@code SET ... NX GET} creates it, a script swaps
 * a remembered one). If Redis holds something else (another instance wrote, the key expired, an
 * operator cleared it), the script decides there, from what it holds, with Bucket4j's arithmetic
 * ({@code bucket-swap.lua}, positions from {@link StateLayout}), and answers the outcome in the
 * same round trip; every such decision is checked here against Bucket4j's own on the same state
 * and time, and replaced if they differ. Where the script does not decide (another
 * configuration, a bucket last refilled 52 days or more ago, a wait of 104 days or more: counted
 * as declined) or the bucket was found by {@code SET NX GET},
 * the reply carries what Redis holds and Bucket4j decides again from that: a second round trip,
 * still no {@code GET}. A decision that changes nothing, a rejection computed from a remembered
 * state, costs no round trip: a remembered state can only be staler towards <em>fewer</em>
 * tokens, except after a reset, which is why a clear must {@link #forget} (the {@link
 * InvalidationGuard} keeps a state read before a forget from outliving it).
 *
 * <p><b>Shared decisions.</b> While one decision on a bucket is on the wire, further requests for
 * that bucket queue; when it is answered, the first of them decides for all of them at once
 * (Bucket4j's commands applied one after another to one state, as if they had come one by one)
 * with one swap, and hands each its own outcome. So a hot key costs one round trip per batch, not
 * per request, with the exactness unchanged. The queues exist only while a decision is in flight,
 * so their number is bounded by the requests in flight, not by the clients.
 *
 * <p>Commands go through the connector's {@link AutoPipeline}, so decisions on different buckets
 * share round trips too. Thread-safe. (Somewhat longer than most files here: the decision loop,
 * the check of the script's decisions and the hand-over between queued requests are one
 * protocol and read best together.)
 */
final class OneRoundTripBuckets {
  /** Configurations whose state layout is kept (a limiter has one per profile). */
  private static final int MAX_LAYOUTS = 256;
  private static final TryConsumeAndReturnRemainingTokensCommand CONSUME_ONE =
      new TryConsumeAndReturnRemainingTokensCommand(1);
  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(OneRoundTripBuckets.class);

  private final BucketSwaps swaps;
  private final String keyPrefix;
  private final TimeMeter time;
  private final ExpirationAfterWriteStrategy expiration;
  private final long keepAfterRefillMillis;
  /** Where the numbers are in each profile's serialized state (few: one per configuration). */
  private final ConcurrentHashMap<BucketConfiguration, Optional<StateLayout>> layouts =
      new ConcurrentHashMap<>();
  private final Version version = ClientSideConfig.getDefault().getBackwardCompatibilityVersion();
  private final RememberedStates states;
  /**
   * States written at or before this instant are doubtful ({@link #doubtAll}): decisions treat
   * them as unknown, the fallback still starts from them.
   */
  private volatile long doubtedUpTo = Long.MIN_VALUE;
  private final InvalidationGuard guard = new InvalidationGuard();
  private final ColdBuckets coldBuckets = new ColdBuckets();
  /** The buckets with a decision in flight, and the requests queued behind it. */
  private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();
  /** Mismatches the script decided in Redis, and decisions of its that had to be corrected. */
  private final LongAdder decidedByScript = new LongAdder();
  private final LongAdder declinedByScript = new LongAdder();
  private final LongAdder corrected = new LongAdder();

  /**
   * @param keyPrefix put before each bucket key to make its Redis key
   * @param keepAfterRefill how long a key outlives the moment its bucket is full again
   * @param maxStates most bucket states remembered
   * @param rememberFor how long a remembered state is used
   */
  OneRoundTripBuckets(AutoPipeline pipeline, String keyPrefix, TimeMeter time,
      Duration keepAfterRefill, int maxStates, Duration rememberFor) {
    this(new BucketSwaps(pipeline), keyPrefix, time, keepAfterRefill, maxStates, rememberFor);
  }

  OneRoundTripBuckets(BucketSwaps swaps, String keyPrefix, TimeMeter time,
      Duration keepAfterRefill, int maxStates, Duration rememberFor) {
    this.swaps = swaps;
    this.keyPrefix = keyPrefix;
    this.time = time;
    this.expiration = ExpirationAfterWriteStrategy
        .basedOnTimeForRefillingBucketUpToMax(keepAfterRefill);
    this.keepAfterRefillMillis = keepAfterRefill.toMillis();
    this.states = new RememberedStates(maxStates, rememberFor.toNanos());
  }

  /**
   * Takes one token from the bucket at {@code key}, creating it full from {@code config} if
   * absent.
   *
   * @throws dev.ratecache.redis.RedisUnavailableException if Redis is known down or failed
   */
  BucketStore.Probe tryConsume(String key, BucketConfiguration config) {
    return tryConsume(key, config, 0);
  }

  /**
   * {@link #tryConsume(String, BucketConfiguration)} by an instance whose runtime overrides are
   * at {@code revision}: see {@link #run} for how a bucket's configuration follows the newest.
   */
  BucketStore.Probe tryConsume(String key, BucketConfiguration config, long revision) {
    return tryConsume(key, config, revision, 1);
  }

  /**
   * Takes {@code tokens} (a weighted request) from the bucket at {@code key}. A batch holding
   * such a request is decided by this instance, never by the script (which counts one token per
   * request): when another instance wrote last, that costs a second round trip.
   */
  BucketStore.Probe tryConsume(String key, BucketConfiguration config, long revision,
      long tokens) {
    Waiter me = new Waiter(config, revision, tokens);
    Lane lane = enter(key, me);
    List<Waiter> batch = me.state == Waiter.LEAD ? List.of(me) : me.awaitTurn();
    if (batch != null) {
      try {
        decide(key, batch);
      } finally {
        handOver(key, lane);
      }
    }
    return me.outcome();
  }

  /**
   * Decides {@code n} requests for one bucket as one batch, as a queue hands them over (for the
   * differential test: a batch must decide as the same requests one by one).
   */
  List<BucketStore.Probe> tryConsumeTogether(String key, BucketConfiguration config, int n) {
    List<Waiter> batch = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      batch.add(new Waiter(config, 0, 1));
    }
    decide(key, batch);
    List<BucketStore.Probe> out = new ArrayList<>(n);
    for (Waiter w : batch) {
      out.add(w.outcome());
    }
    return out;
  }

  /**
   * Makes the bucket at {@code key} follow {@code config} under override {@code revision}
   * without taking a token, creating it full if absent (so that an instance yet to hear of the
   * revision finds it there and obeys it): compare-and-swap, retried while other instances
   * write in between.
   */
  void reconfigure(String key, BucketConfiguration config, long revision) {
    forget(key);
    byte[] redisKey = redisKey(key);
    byte[] state = swaps.read(redisKey);
    for (int attempt = 0; attempt < 16; attempt++) {
      long now = time.currentTimeNanos();
      MutableBucketEntry entry = new MutableBucketEntry(state);
      if (entry.exists()) {
        BucketConfigurations.follow(entry, config, revision, now);
      } else {
        new CreateInitialStateAndExecuteCommand<>(config, new EstimateAbilityToConsumeCommand(1))
            .execute(entry, now);
        BucketConfigurations.stamp(entry, revision);
      }
      if (!entry.isStateModified()) {
        return;
      }
      BucketSwaps.Reply reply = swaps.swap(redisKey, state,
          entry.getStateBytes(version), ttlMillis(entry, now), null);
      if (reply.swapped()) {
        return;
      }
      state = reply.current();
    }
    throw new IllegalStateException("bucket " + key + " changed under 16 rewrites in a row");
  }

  /** Reads the bucket at {@code key} from Redis without taking a token. */
  BucketStore.Probe peek(String key, BucketConfiguration config) {
    forget(key); // a status read reports what Redis holds, not what this instance last wrote
    byte[] redisKey = redisKey(key);
    byte[] state = swaps.read(redisKey);
    if (state == null) {
      return BucketStore.fullBucket(config);
    }
    EstimationProbe p = new EstimateAbilityToConsumeCommand(1)
        .execute(new MutableBucketEntry(state), time.currentTimeNanos()).getData();
    long remaining = p.getRemainingTokens();
    return new BucketStore.Probe(false, remaining, p.getNanosToWaitForRefill(),
        BucketStore.nanosToReset(config, remaining));
  }

  /**
   * The tokens of {@code key}'s bucket as this instance last saw it on Redis, refilled to now, or
   * -1 if it remembers no state (never seen, forgotten, or older than it keeps states). Other
   * instances may have taken tokens since: an upper bound of what Redis holds, never more than a
   * full bucket.
   */
  long rememberedTokens(String key) {
    long now = time.currentTimeNanos();
    byte[] state = states.get(key, now);
    if (state == null) {
      return -1;
    }
    return new EstimateAbilityToConsumeCommand(1).execute(new MutableBucketEntry(state), now)
        .getData().getRemainingTokens();
  }

  /**
   * After events may have been missed (a resubscription): no remembered state is trusted for a
   * decision any more (each next swap finds Redis's), but they still bound what the fallback
   * starts from, so a failover that also cut the event subscription is no fresh bucket for every
   * client (an unheard reset then costs that client tokens on the fallback, never an
   * over-admission).
   */
  void doubtAll() {
    guard.invalidate(() -> doubtedUpTo = time.currentTimeNanos());
  }

  /** Drops remembered states whose Redis key matches (after an operator reset them). */
  void forget(Predicate<String> redisKey) {
    guard.invalidate(() -> states.removeIf(k -> redisKey.test(keyPrefix + k)));
  }

  /** Drops the remembered state of one bucket, so the next decision asks Redis. */
  void forget(String key) {
    guard.invalidate(() -> states.remove(key));
  }

  /** Mismatches decided by the script in the same round trip (for tests and figures). */
  long decidedByScript() {
    return decidedByScript.sum();
  }

  /**
   * Mismatches the script left to this instance although it was asked to decide (another
   * bucket shape, or numbers past what it computes): each cost a second round trip.
   */
  long declinedByScript() {
    return declinedByScript.sum();
  }

  /** Script decisions that disagreed with Bucket4j and were replaced (expected: none). */
  long corrected() {
    return corrected.sum();
  }

  /** Requests queued on {@code key} behind a decision in flight (for tests). */
  int queued(String key) {
    Lane lane = lanes.get(key);
    if (lane == null) {
      return 0;
    }
    synchronized (lane) {
      return lane.queued.size();
    }
  }

  /** Joins the lane of {@code key}: to lead at once if it is idle, else queued. */
  private Lane enter(String key, Waiter me) {
    while (true) {
      Lane lane = lanes.computeIfAbsent(key, k -> new Lane());
      synchronized (lane) {
        if (lane.closed) {
          continue; // emptied and removed since we looked it up
        }
        if (lane.busy) {
          lane.queued.add(me);
        } else {
          lane.busy = true;
          me.state = Waiter.LEAD;
        }
        return lane;
      }
    }
  }

  /** After a decision: the first queued request decides for everyone queued, or the lane closes. */
  private void handOver(String key, Lane lane) {
    List<Waiter> next;
    synchronized (lane) {
      if (lane.queued.isEmpty()) {
        lane.busy = false;
        lane.closed = true;
        lanes.remove(key, lane);
        return;
      }
      next = lane.queued;
      lane.queued = new ArrayList<>();
    }
    next.get(0).lead(next);
  }

  /** Decides for every request in {@code batch} with one swap, and tells each its outcome. */
  private void decide(String key, List<Waiter> batch) {
    long mark = guard.mark();
    long now = time.currentTimeNanos();
    byte[] redisKey = redisKey(key);
    byte[] state = states.get(key, now, doubtedUpTo);
    boolean coldDecided = false;
    try {
      while (true) {
        MutableBucketEntry entry = run(batch, state, now);
        if (!entry.isStateModified()) {
          break; // every one rejected: nothing to write
        }
        byte[] replacement = entry.getStateBytes(version);
        long ttl = ttlMillis(entry, now);
        boolean cold = state == null && !coldDecided;
        // A bucket this instance does not remember goes out as a plain SET NX GET, unless such
        // buckets have lately mostly existed (a fleet taking turns): then as the script, which
        // decides an existing one in Redis.
        StateLayout layout = (cold && !coldBuckets.expectExisting()) || !unitCost(batch) ? null
            : layout(entry.get().getConfiguration(), entry, replacement);
        BucketSwaps.Reply reply = swaps.swap(redisKey, state, replacement, ttl,
            layout == null ? null : layout.decideArg(batch.size(), now));
        if (cold) {
          coldDecided = true;
          coldBuckets.record(!reply.swapped());
        }
        if (reply.swapped()) {
          remember(key, replacement, mark, now);
          break;
        }
        if (layout != null && !reply.decided() && reply.current() != null) {
          declinedByScript.increment(); // another shape, or numbers past what it computes
        }
        // Bucket4j's own decision from what Redis held, to check the script's against.
        MutableBucketEntry own = reply.decided() ? run(batch, reply.current(), now) : null;
        if (own != null && agree(own, reply, now)) {
          // Redis decided as Bucket4j does, from what it held, in this same round trip.
          decidedByScript.increment();
          remember(key, reply.written() != null ? reply.written() : reply.current(), mark, now);
          break;
        }
        if (own != null && reply.written() != null) {
          // Never expected (the differential test holds the script to Bucket4j): put Bucket4j's
          // own decision in place of the script's, and tell.
          corrected.increment();
          if (corrected.sum() == 1) { // the first one only: a systematic difference must not flood
            log.warn("the swap script decided otherwise than Bucket4j for {}; correcting it (later"
                + " corrections are logged at DEBUG and counted)", key);
          } else {
            log.debug("correcting the swap script's decision for {}", key);
          }
          byte[] ownState = own.getStateBytes(version);
          if (swaps.swap(redisKey, reply.written(), ownState, ttlMillis(own, now), null)
              .swapped()) {
            remember(key, ownState, mark, now);
            break;
          }
        }
        // Redis holds something else: decide again from what it holds.
        state = reply.current();
        now = time.currentTimeNanos();
        if (state == null) {
          states.remove(key);
        } else {
          remember(key, state, mark, now);
        }
      }
      for (Waiter w : batch) {
        w.finish();
      }
    } catch (RuntimeException | Error e) {
      RuntimeException failure = e instanceof RuntimeException r ? r
          : new IllegalStateException("rate limit decision failed: " + e, e);
      for (Waiter w : batch) {
        w.failure = failure;
        w.finish();
      }
      if (e instanceof Error error) {
        throw error;
      }
    }
  }

  /**
   * Bucket4j's decisions for {@code batch}, one after another, on {@code state} at {@code now}.
   *
   * <p>A bucket's configuration follows the newest view of it: a bucket records the revision of
   * the runtime overrides (plans, per-client limits) its configuration was written under, or
   * none (0). A request decided under a configuration other than the stored one replaces it
   * ({@link BucketConfigurations#INHERITANCE}: the tokens left are kept, at most the new
   * capacity, so a change never adds tokens) unless the stored one was written under a newer
   * revision than this instance has heard of: then the stored one decides, so an instance that
   * has not yet heard of an override obeys it on every bucket an instance that has heard wrote.
   */
  private static MutableBucketEntry run(List<Waiter> batch, byte[] state, long now) {
    MutableBucketEntry entry = new MutableBucketEntry(state);
    for (Waiter w : batch) {
      boolean created = !entry.exists();
      if (!created) {
        BucketConfigurations.follow(entry, w.config, w.revision, now);
      }
      w.probe = new CreateInitialStateAndExecuteCommand<>(w.config, w.tokens == 1 ? CONSUME_ONE
          : new TryConsumeAndReturnRemainingTokensCommand(w.tokens)).execute(entry, now)
          .getData();
      if (created && w.revision > 0) {
        BucketConfigurations.stamp(entry, w.revision);
      }
    }
    return entry;
  }

  /** Whether every request of {@code batch} takes one token (what the script decides). */
  private static boolean unitCost(List<Waiter> batch) {
    for (Waiter w : batch) {
      if (w.tokens != 1) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether the script's decision is Bucket4j's ({@code own}, from the same state and time): the
   * same state written (or nothing, when Bucket4j writes nothing) and the same TTL.
   */
  private boolean agree(MutableBucketEntry own, BucketSwaps.Reply reply, long now) {
    if (reply.written() == null) {
      return !own.isStateModified();
    }
    return own.isStateModified()
        && Arrays.equals(own.getStateBytes(version), reply.written())
        && ttlMillis(own, now) == reply.ttl();
  }

  private long ttlMillis(MutableBucketEntry entry, long now) {
    return Math.max(1, expiration.calculateTimeToLiveMillis(entry.get(), now));
  }

  /** The layout of {@code config}'s states, found once from the first state serialized. */
  private StateLayout layout(BucketConfiguration config, MutableBucketEntry entry, byte[] bytes) {
    Optional<StateLayout> known = layouts.get(config);
    if (known == null) {
      known = Optional.ofNullable(StateLayout.of(entry.get(), bytes, version,
          keepAfterRefillMillis));
      if (layouts.size() < MAX_LAYOUTS) {
        layouts.putIfAbsent(config, known);
      }
    }
    return known.orElse(null);
  }

  /** Keeps {@code state} for {@code key} unless a forget began since {@code mark} was read. */
  private void remember(String key, byte[] state, long mark, long now) {
    if (!guard.storeIfUnchanged(mark, () -> states.put(key, state, now))) {
      // A forget or a doubt began while this was decided: never decided from, but kept as what
      // the fallback starts from, since it is newer (no more tokens) than what the table holds.
      // (Skipping it left the state before it there, and an outage then started the client's
      // local bucket from more tokens than Redis had.)
      states.put(key, state, now, true);
    }
  }

  private byte[] redisKey(String key) {
    return (keyPrefix + key).getBytes(StandardCharsets.UTF_8);
  }

  /** One bucket's decision in flight and the requests queued behind it. Guarded by itself. */
  private static final class Lane {
    boolean busy;
    boolean closed;
    List<Waiter> queued = new ArrayList<>();
  }

  /** One request: its outcome, or the batch it was handed to decide. */
  private static final class Waiter {
    static final int WAITING = 0;
    static final int LEAD = 1;
    static final int DONE = 2;

    final BucketConfiguration config;
    final long revision;
    final long tokens;
    final Thread thread = Thread.currentThread();
    volatile int state = WAITING;
    /** Written by whoever decides, before {@link #finish}; read by this request after. */
    ConsumptionProbe probe;
    RuntimeException failure;
    List<Waiter> batch;

    Waiter(BucketConfiguration config, long revision, long tokens) {
      this.config = config;
      this.revision = revision;
      this.tokens = tokens;
    }

    void lead(List<Waiter> batch) {
      this.batch = batch;
      state = LEAD; // the volatile write publishes the batch
      LockSupport.unpark(thread);
    }

    void finish() {
      state = DONE; // the volatile write publishes probe and failure
      if (thread != Thread.currentThread()) {
        LockSupport.unpark(thread);
      }
    }

    /** Waits to be answered ({@code null}) or handed a batch to decide. */
    List<Waiter> awaitTurn() {
      boolean interrupted = false;
      int s;
      while ((s = state) == WAITING) {
        LockSupport.park(this);
        if (Thread.interrupted()) {
          interrupted = true; // a decision in flight is not abandoned; the flag is kept
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
      return s == LEAD ? batch : null;
    }

    BucketStore.Probe outcome() {
      if (failure != null) {
        throw failure;
      }
      return new BucketStore.Probe(probe.isConsumed(), probe.getRemainingTokens(),
          probe.getNanosToWaitForRefill(), probe.getNanosToWaitForReset());
    }
  }
}
