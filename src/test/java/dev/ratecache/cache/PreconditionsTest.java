package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ratecache.cache.Preconditions.Outcome;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** RFC 9110 conditional requests against the strong tag "abc", malformed headers included. */
class PreconditionsTest {
  @ParameterizedTest(name = "If-Match [{0}] If-None-Match [{1}] -> {2}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "- | - | PROCEED",
      // If-None-Match: weak comparison.
      "- | \"abc\" | NOT_MODIFIED",
      "- | W/\"abc\" | NOT_MODIFIED",
      "- | * | NOT_MODIFIED",
      "- | \"x\", \"abc\" | NOT_MODIFIED",
      "- | ,\"x\" ,, \"abc\" , | NOT_MODIFIED",
      "- | \"x\" | PROCEED",
      "- | \"ABC\" | PROCEED",
      // If-Match: strong comparison.
      "\"abc\" | - | PROCEED",
      "* | - | PROCEED",
      "\"x\" | - | FAILED",
      "W/\"abc\" | - | FAILED",
      "\"x\" | \"abc\" | FAILED",
      // Malformed validators are ignored, as if absent.
      "- | abc | PROCEED",
      "- | \"unterminated | PROCEED",
      "- | W/ | PROCEED",
      "- | \"a\", b | PROCEED",
      "- | \"a\" \"abc\" | PROCEED",
      "- | \"a b\" | PROCEED",
      "- | \"abc\", * | PROCEED",
      "- | '' | PROCEED",
      "\"x | - | PROCEED",
      "abc | \"abc\" | NOT_MODIFIED",
  })
  void evaluates(String ifMatch, String ifNoneMatch, Outcome expected) {
    assertThat(Preconditions.evaluate(ifMatch == null ? List.of() : List.of(ifMatch),
        ifNoneMatch == null ? List.of() : List.of(ifNoneMatch), "abc")).isEqualTo(expected);
  }
}
