package dev.ratecache.ratelimit;

import dev.ratecache.support.MayForget;
import dev.ratecache.support.ModelChecking;
import java.util.HashMap;
import java.util.Map;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;

/**
 * The remembered bucket states, model-checked by Lincheck on a table of three slots for three
 * keys (so keys share slots and push each other out): a state may be lost (the next decision
 * then costs the swap that finds it), but a state {@code get} returns must be the key's latest:
 * never one that a completed {@code put} replaced, a completed {@code remove} or an operator's
 * reset ({@code removeIf}) forgot.
 */
@Param(name = "key", gen = IntGen.class, conf = "1:3")
public class RememberedStatesLincheckTest {
  private final RememberedStates states = new RememberedStates(3, Long.MAX_VALUE);

  @Operation
  public void put(@Param(name = "key") int key, @Param(gen = IntGen.class, conf = "1:4") int v) {
    states.put("k" + key, new byte[] {(byte) v}, 0);
  }

  @Operation
  public MayForget get(@Param(name = "key") int key) {
    byte[] s = states.get("k" + key, 0);
    return MayForget.observed(s == null ? null : (int) s[0]);
  }

  @Operation
  public void remove(@Param(name = "key") int key) {
    states.remove("k" + key);
  }

  @Operation
  public void reset() {
    states.removeIf(k -> true);
  }

  /** The sequential model: a map that never forgets. */
  public static final class Model {
    private final Map<Integer, Integer> map = new HashMap<>();

    public void put(int key, int v) {
      map.put(key, v);
    }

    public MayForget get(int key) {
      return MayForget.expected(map.get(key));
    }

    public void remove(int key) {
      map.remove(key);
    }

    public void reset() {
      map.clear();
    }
  }

  @Test
  void everyInterleavingIsLinearizable() {
    var options = ModelChecking.options(10, 1_000).sequentialSpecification(Model.class);
    // A put racing a remove and a reset of the same key, in both slots it may take.
    ModelChecking.scenario(options, RememberedStatesLincheckTest.class,
        new String[] {"put:1,1", "put:2,1", "put:3,1"},
        new String[][] {{"put:1,2"}, {"remove:1"}, {"remove:2", "put:1,3"}},
        new String[] {"get:1", "get:2", "get:3"});
    ModelChecking.scenario(options, RememberedStatesLincheckTest.class,
        new String[] {"put:2,1", "put:1,1"}, new String[][] {{"put:1,2"}, {"reset"}},
        new String[] {"get:1", "get:2"});
    options.check(RememberedStatesLincheckTest.class);
  }
}
