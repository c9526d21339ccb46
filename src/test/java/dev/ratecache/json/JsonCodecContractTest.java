package dev.ratecache.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** One contract, run against both Jackson adapters: what a cache of query values relies on. */
class JsonCodecContractTest {
  record Row(long id, String userName, Instant createdAt, LocalDate day, Duration took) {}

  /** A bean whose only property throws when read. */
  static final class Unwritable {
    public String getValue() {
      throw new IllegalStateException("not today");
    }
  }

  record Page(List<Row> rows, Map<String, Integer> counts) {}

  static final Row ROW = new Row(7, "alice \"the\" \\ admin\n", Instant.parse("2026-12-06T10:15:30Z"),
      LocalDate.parse("2026-12-06"), Duration.ofMillis(1500));

  static Stream<Arguments> codecs() {
    return Stream.of(Arguments.of("jackson2", Jackson2Codec.standard()),
        Arguments.of("jackson3", Jackson3Codec.standard()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void recordsAndJavaTimeRoundTrip(String name, JsonCodec codec) {
    String json = codec.encode(ROW);
    assertThat(json).contains("\"createdAt\":\"2026-12-06T10:15:30Z\"")
        .contains("\"day\":\"2026-12-06\"");
    assertThat(codec.decode(json, TypeToken.of(Row.class))).isEqualTo(ROW);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void genericTypesKeepTheirArguments(String name, JsonCodec codec) {
    Page page = new Page(List.of(ROW, ROW), Map.of("a", 1));
    List<Row> rows = codec.decode(codec.encode(page.rows()), new TypeToken<List<Row>>() {});
    assertThat(rows).containsExactly(ROW, ROW); // Rows, not maps: the type argument was used
    assertThat(codec.decode(codec.encode(page), TypeToken.of(Page.class))).isEqualTo(page);
    Map<String, List<Row>> nested = codec.decode(codec.encode(Map.of("k", List.of(ROW))),
        new TypeToken<Map<String, List<Row>>>() {});
    assertThat(nested.get("k").get(0)).isEqualTo(ROW);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void unknownPropertiesAreIgnoredSoOlderEntriesStillLoad(String name, JsonCodec codec) {
    String newer = codec.encode(ROW).replaceFirst("\\{", "{\"addedLater\":[1,2],");
    assertThat(codec.decode(newer, TypeToken.of(Row.class))).isEqualTo(ROW);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void malformedTextIsAnIllegalArgumentNamingTheType(String name, JsonCodec codec) {
    assertThatThrownBy(() -> codec.decode("{\"id\":", TypeToken.of(Row.class)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(Row.class.getName());
    assertThatThrownBy(() -> codec.decode("{\"id\":\"seven\"}", TypeToken.of(Row.class)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codecs")
  void aValueThatCannotBeWrittenIsAnIllegalArgumentNamingItsClass(String name, JsonCodec codec) {
    assertThatThrownBy(() -> codec.encode(new Unwritable()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(Unwritable.class.getName());
  }

  /** A fleet moving from one Jackson to the other shares its cache entries through the move. */
  @Test
  void bothStandardCodecsWriteTheSameJsonAndReadEachOther() {
    JsonCodec two = Jackson2Codec.standard();
    JsonCodec three = Jackson3Codec.standard();
    Page page = new Page(List.of(ROW), Map.of("a", 1));
    assertThat(three.encode(page)).isEqualTo(two.encode(page));
    assertThat(two.decode(three.encode(page), TypeToken.of(Page.class))).isEqualTo(page);
    assertThat(three.decode(two.encode(page), TypeToken.of(Page.class))).isEqualTo(page);
    // Entries the previous release wrote (Jackson 2, a Duration as seconds) load on both.
    String old = two.encode(ROW).replace("\"PT1.5S\"", "1.500000000");
    assertThat(old).contains("\"took\":1.5");
    assertThat(two.decode(old, TypeToken.of(Row.class))).isEqualTo(ROW);
    assertThat(three.decode(old, TypeToken.of(Row.class))).isEqualTo(ROW);
  }

  /** The application's mapper, as configured (here snake_case names), is what writes. */
  @Test
  void anApplicationMapperIsUsedAsConfigured() {
    JsonCodec two = Jackson2Codec.using(new com.fasterxml.jackson.databind.ObjectMapper()
        .registerModule(new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule())
        .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE));
    JsonCodec three = Jackson3Codec.using(tools.jackson.databind.json.JsonMapper.builder()
        .propertyNamingStrategy(tools.jackson.databind.PropertyNamingStrategies.SNAKE_CASE)
        .build());
    for (JsonCodec codec : List.of(two, three)) {
      String json = codec.encode(ROW);
      assertThat(json).as(codec.toString()).contains("\"user_name\":").doesNotContain("userName");
      assertThat(codec.decode(json, TypeToken.of(Row.class))).isEqualTo(ROW);
    }
  }
}
