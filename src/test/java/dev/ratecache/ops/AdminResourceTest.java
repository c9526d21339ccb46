package dev.ratecache.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading the admin credential from an {@code Authorization} header. */
class AdminResourceTest {

  @ParameterizedTest(name = "''{0}'' -> {1}")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "Bearer a-token-of-sixteen-chars    | a-token-of-sixteen-chars",
      "bearer a-token-of-sixteen-chars    | a-token-of-sixteen-chars",
      "BEARER a-token-of-sixteen-chars    | a-token-of-sixteen-chars",
      "Bearer    spaced-out-token-value   | spaced-out-token-value",
      "Basic YWxhZGRpbjpvcGVuc2VzYW1l     | NULL",
      "Bearer                             | NULL",
      "Bearertoken-without-a-space-here   | NULL",
      "Bearer two words                   | NULL",
      "''                                 | NULL",
      "NULL                               | NULL",
  })
  void bearerToken(String header, String token) {
    assertThat(AdminResource.bearerToken(header)).isEqualTo(token);
  }
}
