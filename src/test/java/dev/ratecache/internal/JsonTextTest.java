package dev.ratecache.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class JsonTextTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
      "plain            | '\"plain\"'",
      "'a\"b'           | '\"a\\\"b\"'",
      "'back\\slash'    | '\"back\\\\slash\"'",
      "'é ü 😀'          | '\"é ü 😀\"'",
  })
  void quotesAsRfc8259Says(String value, String literal) {
    assertThat(JsonText.quote(new StringBuilder(), value).toString()).isEqualTo(literal);
  }

  @Test
  void controlCharactersAreEscaped() {
    assertThat(JsonText.quote(new StringBuilder(), "a\nb\tc\u0001").toString())
        .isEqualTo("\"a\\nb\\tc\\u0001\"");
  }

  @Test
  void readsEveryEscapeJacksonOrAnyoneElseWrites() {
    String literal = "x\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u001F\"rest";
    JsonText.Read r = JsonText.read(literal, 1);
    assertThat(r.value()).isEqualTo("a\"\\/\b\f\n\r\té\u001f");
    assertThat(literal.substring(r.end())).isEqualTo("rest");
  }

  @Test
  void malformedLiteralsAreNotRead() {
    for (String bad : new String[] {"", "abc", "\"open", "\"bad \\x\"", "\"short \\u12\"",
        "\"hex \\u12zz\"", "\"raw \n newline\"", "\"ends with \\"}) {
      assertThat(JsonText.read(bad, 0)).as(bad).isNull();
    }
  }

  /** Whatever is quoted reads back as itself (seeded, so a failure repeats). */
  @Test
  void quoteThenReadIsTheIdentity() {
    Random random = new Random(20261206);
    for (int n = 0; n < 5_000; n++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(20);
      for (int i = 0; i < length; i++) {
        s.append((char) (random.nextBoolean() ? random.nextInt(0x80) : random.nextInt(0xFFFF)));
      }
      String literal = JsonText.quote(new StringBuilder(), s.toString()).toString();
      JsonText.Read r = JsonText.read(literal + ",", 0);
      assertThat(r).as(literal).isNotNull();
      assertThat(r.value()).isEqualTo(s.toString());
      assertThat(r.end()).isEqualTo(literal.length());
    }
  }
}
