package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parameter text converted as the method receives it, then written back canonically. */
class ParamValuesTest {
  @ParameterizedTest(name = "{0} {1} (default {2}) -> {3}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "long | 01 | - | 1",
      "long | +1 | - | 1",
      "long | -0 | - | 0",
      "long | - | - | 0",
      "long | - | 7 | 7",
      "Long | - | - | ''",
      "int | 2147483647 | - | 2147483647",
      "boolean | TRUE | - | true",
      "boolean | yes | - | false",
      "boolean | - | - | false",
      "double | 1.50 | - | 1.5",
      "BigInteger | 00012 | - | 12",
      "UUID | 123E4567-E89B-12D3-A456-426614174000 | - | 123e4567-e89b-12d3-a456-426614174000",
      "TimeUnit | SECONDS | - | SECONDS",
      "String | 01 | - | 01",
      "String | - | x | x",
  })
  void canonicalises(String type, String raw, String defaultValue, String expected) {
    assertThat(ParamValues.converter("p", type(type), defaultValue).apply(raw))
        .isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0} {1} is refused")
  @CsvSource(delimiter = '|', value = {"long | abc", "long | ' 1'", "int | 2147483648",
      "UUID | not-a-uuid", "TimeUnit | seconds", "BigInteger | 1.0"})
  void valuesTheMethodCannotTakeAreNotCached(String type, String raw) {
    assertThatThrownBy(() -> ParamValues.converter("p", type(type), null).apply(raw))
        .isInstanceOf(ParamValues.NotConvertible.class).hasMessageContaining("parameter p");
  }

  private static Class<?> type(String name) {
    return switch (name) {
      case "long" -> long.class;
      case "Long" -> Long.class;
      case "int" -> int.class;
      case "boolean" -> boolean.class;
      case "double" -> double.class;
      case "BigInteger" -> BigInteger.class;
      case "UUID" -> UUID.class;
      case "TimeUnit" -> TimeUnit.class;
      default -> String.class;
    };
  }
}
