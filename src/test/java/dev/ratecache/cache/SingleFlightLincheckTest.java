package dev.ratecache.cache;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import dev.ratecache.support.ModelChecking;
import org.junit.jupiter.api.Test;

/**
 * {@link SingleFlight} model-checked by Lincheck on a ticker that does not move (no budget runs
 * out): each thread begins a flight (leading or following), and later completes or fails what
 * it leads, or looks at what it follows. Every interleaving must be linearizable to the model:
 * one leader per key at a time, a new leader only once the last one is done (or, with a failure
 * memory, once nothing failed), and every follower sees exactly its own flight's outcome.
 */
public class SingleFlightLincheckTest {
  static final int PENDING = -1;
  static final int FAILED = -2;
  static final int NONE = -3;

  private final SingleFlight flights = flights();
  /** Each thread's ticket; only that thread touches its slot. */
  private final SingleFlight.Ticket[] tickets = new SingleFlight.Ticket[8];

  SingleFlight flights() {
    return new SingleFlight(Duration.ofSeconds(5), 1_000, () -> 1_000_000_000L);
  }

  /** 1 if this thread leads the flight, 0 if it follows one under way. */
  @Operation
  public int begin(@Param(gen = ThreadIdGen.class) int thread) {
    tickets[thread] = flights.begin("k");
    return tickets[thread] instanceof SingleFlight.Leader ? 1 : 0;
  }

  /** Completes the flight this thread leads with {@code value}; false if it leads none. */
  @Operation
  public boolean complete(@Param(gen = ThreadIdGen.class) int thread,
      @Param(gen = IntGen.class, conf = "1:3") int value) {
    if (tickets[thread] instanceof SingleFlight.Leader l) {
      tickets[thread] = null;
      l.complete(value);
      return true;
    }
    return false;
  }

  /** Fails the flight this thread leads; false if it leads none. */
  @Operation
  public boolean fail(@Param(gen = ThreadIdGen.class) int thread) {
    if (tickets[thread] instanceof SingleFlight.Leader l) {
      tickets[thread] = null;
      l.fail(new IllegalStateException("load failed"));
      return true;
    }
    return false;
  }

  /** What the flight this thread follows has come to, without waiting. */
  @Operation
  public int outcome(@Param(gen = ThreadIdGen.class) int thread) {
    if (!(tickets[thread] instanceof SingleFlight.Follower f)) {
      return NONE;
    }
    if (!f.isDone()) {
      return PENDING;
    }
    try {
      return (Integer) f.await();
    } catch (ExecutionException e) {
      return FAILED;
    } catch (TimeoutException e) {
      throw new AssertionError("a done flight timed out", e);
    }
  }

  /** The sequential model: flights numbered, one open at a time. */
  public static class Model {
    private final boolean rememberFailures;
    private int open = -1; // the flight under way, or -1
    private int last = -1; // the last flight, for remembered failures
    private int flightCount;
    private final Map<Integer, Integer> outcomes = new HashMap<>();
    private final Map<Integer, int[]> tickets = new HashMap<>(); // {role, flight}

    public Model() {
      this(false);
    }

    Model(boolean rememberFailures) {
      this.rememberFailures = rememberFailures;
    }

    public int begin(int thread) {
      if (open < 0 && rememberFailures && last >= 0 && outcomes.get(last) == FAILED) {
        tickets.put(thread, new int[] {0, last});
        return 0;
      }
      if (open < 0) {
        open = flightCount++;
        last = open;
        tickets.put(thread, new int[] {1, open});
        return 1;
      }
      tickets.put(thread, new int[] {0, open});
      return 0;
    }

    public boolean complete(int thread, int value) {
      return finish(thread, value);
    }

    public boolean fail(int thread) {
      return finish(thread, FAILED);
    }

    private boolean finish(int thread, int outcome) {
      int[] t = tickets.get(thread);
      if (t == null || t[0] != 1) {
        return false;
      }
      tickets.remove(thread);
      outcomes.put(t[1], outcome);
      if (open == t[1]) {
        open = -1;
      }
      return true;
    }

    public int outcome(int thread) {
      int[] t = tickets.get(thread);
      if (t == null || t[0] != 0) {
        return NONE;
      }
      return outcomes.getOrDefault(t[1], PENDING);
    }
  }

  /**
   * The flights' critical moments: a leader finishing while a newcomer begins and a follower
   * looks (a newcomer must not lead while the old flight's followers still wait), and two
   * newcomers racing for the lead.
   */
  private static org.jetbrains.lincheck.datastructures.ModelCheckingOptions named(
      org.jetbrains.lincheck.datastructures.ModelCheckingOptions options, Class<?> test) {
    String[] leaderAndFollower = {"begin:1", "begin:3"};
    ModelChecking.scenario(options, test, leaderAndFollower,
        new String[][] {{"complete:1,3"}, {"begin:2"}, {"outcome:3"}}, new String[] {"outcome:3"});
    ModelChecking.scenario(options, test, leaderAndFollower,
        new String[][] {{"fail:1"}, {"begin:2"}, {"outcome:3"}},
        new String[] {"outcome:3", "complete:2,2"});
    ModelChecking.scenario(options, test, new String[] {},
        new String[][] {{"begin:1", "complete:1,1"}, {"begin:2", "complete:2,2"},
            {"begin:3", "outcome:3"}}, new String[] {"outcome:3"});
    return options;
  }

  @Test
  void everyInterleavingIsLinearizable() {
    named(ModelChecking.options(5, 1_000).sequentialSpecification(Model.class),
        SingleFlightLincheckTest.class).check(SingleFlightLincheckTest.class);
  }

  /** The same with a failure memory: a failed flight answers later callers until it is forgotten. */
  public static class Remembering extends SingleFlightLincheckTest {
    @Override
    SingleFlight flights() {
      return new SingleFlight(Duration.ofSeconds(5), Duration.ofSeconds(2), 1_000,
          () -> 1_000_000_000L);
    }
  }

  public static class RememberingModel extends Model {
    public RememberingModel() {
      super(true);
    }
  }

  @Test
  void withAFailureMemoryEveryInterleavingIsLinearizable() {
    named(ModelChecking.options(5, 1_000).sequentialSpecification(RememberingModel.class),
        Remembering.class).check(Remembering.class);
  }
}
