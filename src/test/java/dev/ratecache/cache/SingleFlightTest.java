package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** One load per key, on a ticker the test moves: who leads, who follows, and for how long. */
class SingleFlightTest {
  private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
  private final SingleFlight flights = new SingleFlight(Duration.ofSeconds(5), 1_000, nanos::get);

  @Test
  void theFirstCallerLeadsAndOthersFollowItsResult() throws Exception {
    SingleFlight.Ticket first = flights.begin("k");
    SingleFlight.Ticket second = flights.begin("k");
    assertThat(first).isInstanceOf(SingleFlight.Leader.class);
    assertThat(second).isInstanceOf(SingleFlight.Follower.class);
    assertThat(flights.begin("other")).as("another key").isInstanceOf(SingleFlight.Leader.class);
    ((SingleFlight.Leader) first).complete("v");
    assertThat(((SingleFlight.Follower) second).await()).isEqualTo("v");
    assertThat(flights.begin("k")).as("a new load once the last is over")
        .isInstanceOf(SingleFlight.Leader.class);
  }

  @Test
  void followersReceiveTheLeadersFailure() {
    SingleFlight.Leader leader = (SingleFlight.Leader) flights.begin("k");
    SingleFlight.Follower follower = (SingleFlight.Follower) flights.begin("k");
    leader.fail(new IllegalStateException("database down"));
    assertThatThrownBy(follower::await).isInstanceOf(ExecutionException.class)
        .hasRootCauseMessage("database down");
  }

  @Test
  void followersWaitOnlyWhatIsLeftOfTheLeadersBudget() {
    flights.begin("k"); // a leader that never reports back
    nanos.addAndGet(Duration.ofSeconds(3).toNanos());
    SingleFlight.Follower late = (SingleFlight.Follower) flights.begin("k");
    assertThat(late.maxWait()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aLeaderPastItsBudgetNoLongerHoldsNewcomers() throws Exception {
    flights.begin("k"); // dies without a word
    nanos.addAndGet(Duration.ofSeconds(5).toNanos());
    SingleFlight.Ticket newcomer = flights.begin("k");
    assertThat(newcomer).as("leads at once instead of waiting")
        .isInstanceOf(SingleFlight.Leader.class);
    SingleFlight.Follower next = (SingleFlight.Follower) flights.begin("k");
    assertThat(next.maxWait()).as("follows the new leader, with a full budget")
        .isEqualTo(Duration.ofSeconds(5));
    ((SingleFlight.Leader) newcomer).complete("fresh");
    assertThat(next.await()).isEqualTo("fresh");
  }

  @Test
  void aFollowerOfAHungLeaderTimesOut() {
    flights.begin("k");
    SingleFlight small = new SingleFlight(Duration.ofMillis(50), 10, nanos::get);
    small.begin("k");
    SingleFlight.Follower follower = (SingleFlight.Follower) small.begin("k");
    assertThatThrownBy(follower::await).isInstanceOf(TimeoutException.class);
  }

  @Test
  void theNumberOfFlightsIsBounded() {
    for (int i = 0; i < 10_000; i++) {
      flights.begin("k" + i);
    }
    assertThat(flights.size()).isLessThanOrEqualTo(1_000);
  }

  @Test
  void aFailureIsRememberedForItsMemoryOnlyAndOnlyIfAsked() throws Exception {
    SingleFlight remembering = new SingleFlight(Duration.ofSeconds(5), Duration.ofSeconds(2),
        1_000, nanos::get);
    ((SingleFlight.Leader) remembering.begin("k")).fail(new IllegalStateException("down"));
    nanos.addAndGet(Duration.ofMillis(1_999).toNanos());
    SingleFlight.Ticket within = remembering.begin("k");
    assertThat(within).as("within the memory: the failure, no new load")
        .isInstanceOf(SingleFlight.Follower.class);
    assertThatThrownBy(((SingleFlight.Follower) within)::await)
        .isInstanceOf(ExecutionException.class).hasRootCauseMessage("down");
    nanos.addAndGet(Duration.ofMillis(1).toNanos());
    assertThat(remembering.begin("k")).as("past it: a new load")
        .isInstanceOf(SingleFlight.Leader.class);

    ((SingleFlight.Leader) flights.begin("k")).fail(new IllegalStateException("down"));
    assertThat(flights.begin("k")).as("no memory by default: the next caller loads")
        .isInstanceOf(SingleFlight.Leader.class);
  }
}
