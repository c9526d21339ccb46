package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The wire form of invalidation events, which instances of different versions must share. */
class EventCodecTest {
  @Test
  void theWireFormIsTheOneStringEventsUsed() {
    assertThat(EventCodec.encode("s", new Invalidation.Key("query:user:1")))
        .isEqualTo("s\nkey\nquery:user:1");
    assertThat(EventCodec.encode("s", new Invalidation.Keys(List.of("a", "b"))))
        .isEqualTo("s\nkeys\na\nb");
    assertThat(EventCodec.encode("s", new Invalidation.Pattern("query:*")))
        .isEqualTo("s\npattern\nquery:*");
    assertThat(EventCodec.encode("s", new Invalidation.Generation("query:user:", 42)))
        .isEqualTo("s\ngeneration\nquery:user:\n42");
    assertThat(EventCodec.encode("s", new Invalidation.Tag("user:42")))
        .isEqualTo("s\ntag\nuser:42");
  }

  @Test
  void everyKindDecodesToWhatWasEncoded() {
    for (Invalidation event : List.of(new Invalidation.Key("k\u00e9y with spaces"),
        new Invalidation.Keys(List.of("a", "b", "c")), new Invalidation.Pattern("rate_limit:*"),
        new Invalidation.Tag("user:42"), new Invalidation.Generation("name\nspace:", Long.MAX_VALUE))) {
      String[] parts = EventCodec.encode("sender", event).split("\n", 3);
      assertThat(EventCodec.decode(parts[1], parts[2])).isEqualTo(event);
    }
  }

  @Test
  void unknownKindsAndMalformedGenerationsAreIgnored() {
    assertThat(EventCodec.decode("surrogate", "a")).as("a newer instance's kind").isNull();
    assertThat(EventCodec.decode("generation", "no-number")).isNull();
    assertThat(EventCodec.decode("generation", "ns\nnot-a-number")).isNull();
  }
}
