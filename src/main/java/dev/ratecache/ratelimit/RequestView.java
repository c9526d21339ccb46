package dev.ratecache.ratelimit;

import java.util.List;

/**
 * What rate limiting reads from a request, so that the Servlet filter and the JAX-RS filter share
 * one engine.
 */
interface RequestView {
  /** The HTTP method, upper case. */
  String method();

  /**
   * The path within the application that the container dispatches (servlet path plus path info:
   * decoded, dot segments resolved, whatever spelling of the context path the client used).
   */
  String path();

  /**
   * The request URI as sent, less the context path when it starts with it; matched too, so that a
   * spelling the container resolves differently from {@link #path()} errs towards guarding.
   */
  default String rawPath() {
    return path();
  }

  /** A request attribute set by the application (never by the client), or {@code null}. */
  Object attribute(String name);

  /** The query string as sent, or {@code null}. */
  default String query() {
    return null;
  }

  /**
   * The method a client asks the application to dispatch instead of this one, upper case, or
   * {@code null}: the first of {@code X-HTTP-Method-Override}, {@code X-HTTP-Method}, {@code
   * X-Method-Override} and a {@code _method} query parameter (what Jersey's
   * {@code HttpMethodOverrideFilter}, Spring's {@code HiddenHttpMethodFilter} and others honour).
   */
  default String methodOverride() {
    for (String header : OVERRIDE_HEADERS) {
      List<String> values = headers(header);
      if (!values.isEmpty() && !values.get(0).isBlank()) {
        return values.get(0).trim().toUpperCase(java.util.Locale.ROOT);
      }
    }
    String q = query();
    if (q != null) {
      for (String pair : q.split("&")) {
        if (pair.startsWith("_method=") && pair.length() > 8) {
          return java.net.URLDecoder.decode(pair.substring(8),
              java.nio.charset.StandardCharsets.UTF_8).trim().toUpperCase(java.util.Locale.ROOT);
        }
      }
    }
    return null;
  }

  /** Headers that ask for another method. */
  List<String> OVERRIDE_HEADERS = List.of("X-HTTP-Method-Override", "X-HTTP-Method",
      "X-Method-Override");

  /** The authenticated user's name, or {@code null}. */
  String principal();

  /** Every value of a header, in order; empty if absent. */
  List<String> headers(String name);

  /** The address of the direct peer. */
  String remoteAddress();

  /**
   * Whether the request declares a body: any {@code Transfer-Encoding}, or a {@code
   * Content-Length} other than zero (a malformed one counts, to be safe).
   */
  default boolean declaresBody() {
    if (!headers("Transfer-Encoding").isEmpty()) {
      return true;
    }
    for (String value : headers("Content-Length")) {
      if (!value.trim().equals("0")) {
        return true;
      }
    }
    return false;
  }
}
