package dev.ratecache.ratelimit;

import static org.jetbrains.lincheck.datastructures.ManagedStrategyGuaranteeKt.forClasses;

import dev.ratecache.support.ModelChecking;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.junit.jupiter.api.Test;

/**
 * What an instance applies of the runtime overrides, model-checked by Lincheck: reloads (each
 * revision's entries as Redis held them, applied in any order, an older read after a newer one
 * included, as after a lost hash) racing decisions that read what applies. A decision sees the
 * entries of the last reload applied and a revision that never goes back: the highest applied.
 */
@Param(name = "rev", gen = IntGen.class, conf = "1:3")
public class LimitOverridesLincheckTest {
  private final LimitOverrides overrides = new LimitOverrides(null,
      Clock.fixed(Instant.ofEpochSecond(1), ZoneOffset.UTC), Map.of(),
      ClientKeyResolver.builder().build(), 100, () -> { }, (client, loaded) -> { }, null);

  /** Revision {@code rev} holds one entry: a denial of {@code app:<rev>}. */
  private static List<LimitOverrides.Entry> entries(int rev) {
    return List.of(new LimitOverrides.Entry(LimitOverrides.Kind.DENY, "*", "app:" + rev, "",
        null, rev));
  }

  @Operation
  public void reload(@Param(name = "rev") int rev) {
    overrides.apply(rev, entries(rev));
  }

  @Operation
  public long revision() {
    return overrides.current().revision();
  }

  @Operation
  public boolean denies(@Param(name = "rev") int rev) {
    return overrides.current().deny().contains(null, ClientKeyResolver.forApplication(
        Integer.toString(rev)));
  }

  /** The sequential model: the last reload's entries, the highest revision. */
  public static final class Model {
    private int last;
    private long highest;

    public void reload(int rev) {
      last = rev;
      highest = Math.max(highest, rev);
    }

    public long revision() {
      return highest;
    }

    public boolean denies(int rev) {
      return last == rev;
    }
  }

  @Test
  void everyInterleavingIsLinearizable() {
    // Compiling the entries (parsing names, building the lists) is pure and has no shared state:
    // treated as one step, so the search spends its budget on what the threads share.
    var options = ModelChecking.options(5, 500).sequentialSpecification(Model.class)
        .addGuarantee(forClasses(name -> name.equals(ClientList.class.getName())
            || name.equals(ClientKeyResolver.class.getName())).allMethods().treatAsAtomic());
    // An older read applied after a newer one, racing decisions that read both parts.
    ModelChecking.scenario(options, LimitOverridesLincheckTest.class,
        new String[] {"reload:1"},
        new String[][] {{"reload:3", "revision"}, {"reload:2", "denies:2"}, {"denies:3",
            "revision"}},
        new String[] {"revision", "denies:2", "denies:3"});
    options.check(LimitOverridesLincheckTest.class);
  }
}
