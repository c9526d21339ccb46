package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What may be stored, as a table: one row per rule, with the reason the predicate gives. */
class CacheabilityTest {
  /** {@code headers}: {@code Name=value|Name=value}; {@code -} for none. */
  @ParameterizedTest(name = "{0} {1} body={2} {3} [{4}] shared={5} same={6} -> {7}")
  @CsvSource(delimiter = ';', nullValues = "null", textBlock = """
      GET;  200; true;  application/json;                -;                                  false; true;  stored
      GET;  200; true;  'application/json;charset=UTF-8'; -;                                  true;  true;  stored
      GET;  200; true;  application/problem+json;        -;                                  true;  true;  stored
      GET;  200; true;  APPLICATION/JSON;                -;                                  true;  true;  stored
      GET;  200; true;  application/vnd.api+json;        Cache-Control=max-age=60;           true;  true;  stored
      GET;  200; true;  application/json;                Cache-Control=private;              false; true;  stored
      GET;  200; true;  application/json;                Cache-Control=public, max-age=5;    true;  true;  stored
      GET;  200; true;  application/json;                ETag="x"|Last-Modified=Mon;         true;  true;  stored
      POST; 200; true;  application/json;                -;                                  true;  true;  method POST
      PUT;  200; true;  application/json;                -;                                  true;  true;  method PUT
      HEAD; 200; false; application/json;                -;                                  true;  true;  method HEAD
      GET;  201; true;  application/json;                -;                                  true;  true;  status 201
      GET;  204; false; null;                            -;                                  true;  true;  status 204
      GET;  304; false; application/json;                -;                                  true;  true;  status 304
      GET;  404; true;  application/json;                -;                                  true;  true;  status 404
      GET;  500; true;  application/json;                -;                                  true;  true;  status 500
      GET;  200; false; application/json;                -;                                  true;  true;  no body
      GET;  200; true;  text/html;                       -;                                  true;  true;  media type text/html
      GET;  200; true;  text/plain;                      -;                                  true;  true;  media type text/plain
      GET;  200; true;  null;                            -;                                  true;  true;  media type null
      GET;  200; true;  */*;                             -;                                  true;  true;  media type */*
      GET;  200; true;  application/*;                   -;                                  true;  true;  media type application/*
      GET;  200; true;  application/jsonp;               -;                                  true;  true;  media type application/jsonp
      GET;  200; true;  application/json;                Set-Cookie=sid=1;                   false; true;  Set-Cookie
      GET;  200; true;  application/json;                set-cookie=sid=1;                   false; true;  Set-Cookie
      GET;  200; true;  application/json;                Vary=Accept-Language;               true;  true;  Vary
      GET;  200; true;  application/json;                vary=*;                             false; true;  Vary
      GET;  200; true;  application/json;                Cache-Control=no-store;             false; true;  Cache-Control: no-store
      GET;  200; true;  application/json;                Cache-Control=max-age=0, No-Cache;  false; true;  Cache-Control: no-cache
      GET;  200; true;  application/json;                Cache-Control=no-cache="Set-Cookie"; false; true; Cache-Control: no-cache
      GET;  200; true;  application/json;                cache-control=PRIVATE;              true;  true;  Cache-Control: private in a shared entry
      GET;  200; true;  application/json;                Cache-Control=max-age=9|Cache-Control=private; true; true; Cache-Control: private in a shared entry
      GET;  200; true;  application/json;                -;                                  false; false; the principal changed after the lookup
      """)
  void decidesAsTheTableSays(String method, int status, boolean body, String type,
      String headers, boolean shared, boolean samePrincipal, String expected) {
    String refusal = Cacheability.refusal(method, status, body, type, headers(headers), shared,
        samePrincipal);
    assertThat(refusal == null ? "stored" : refusal).isEqualTo(expected);
  }

  private static Map<String, List<String>> headers(String spec) {
    Map<String, List<String>> h = new LinkedHashMap<>();
    if (!spec.equals("-")) {
      for (String pair : spec.split("\\|")) {
        int eq = pair.indexOf('=');
        h.merge(pair.substring(0, eq), List.of(pair.substring(eq + 1)), (a, b) -> {
          List<String> all = new java.util.ArrayList<>(a);
          all.addAll(b);
          return all;
        });
      }
    }
    return h;
  }
}
