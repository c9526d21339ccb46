package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The first value of a query parameter, read as JAX-RS and the Servlet API read it. */
class QueryStringTest {

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', nullValues = "NULL", value = {
      "_method=PUT                    | PUT",
      "_%6Dethod=PUT                  | PUT",
      "%5Fmethod=DELETE               | DELETE",
      "%5f%6d%65%74%68%6f%64=x        | x",
      "_method=%50UT                  | PUT",
      "_method=+put+                  | ' put '",
      "_method=GET&_method=PUT        | GET",
      "_method=&_method=PUT           | ''",
      "_method                        | ''",
      "a=1&_method=DELETE             | DELETE",
      "&&_method=PATCH&&              | PATCH",
      "_method=%zz&_method=PUT        | PUT",
      "%zz=1&_method=PUT              | PUT",
      "_method=a=b                    | a=b",
      "_Method=PUT                    | NULL",
      "_method_=PUT                   | NULL",
      "x_method=PUT                   | NULL",
      "''                             | NULL",
      "NULL                           | NULL",
  })
  void firstValue(String query, String expected) {
    assertThat(QueryString.first(query, "_method")).isEqualTo(expected);
  }
}
