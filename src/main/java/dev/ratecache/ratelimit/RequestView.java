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
   * The methods a client asks the application to dispatch instead of this one, upper case, at
   * most four: the first value of each of {@code X-HTTP-Method-Override}, {@code X-HTTP-Method}
   * and {@code X-Method-Override}, and the first value of the {@code _method} query parameter,
   * read as Jersey's {@code HttpMethodOverrideFilter} and Spring's {@code HiddenHttpMethodFilter}
   * read it: name and value percent-decoded ({@code _%6Dethod}, {@code %5Fmethod}), {@code +} a
   * space, trimmed, the first occurrence winning even when blank. Every one is returned, not the
   * one some framework prefers, so no combination of spellings makes the limiter charge a method
   * other than the one the application runs.
   */
  default java.util.Set<String> methodOverrides() {
    java.util.Set<String> methods = new java.util.LinkedHashSet<>(4);
    for (String header : OVERRIDE_HEADERS) {
      List<String> values = headers(header);
      if (!values.isEmpty()) {
        addMethod(methods, values.get(0));
      }
    }
    addMethod(methods, QueryString.first(query(), "_method"));
    return methods;
  }

  private static void addMethod(java.util.Set<String> methods, String value) {
    if (value != null && !value.isBlank()) {
      methods.add(value.trim().toUpperCase(java.util.Locale.ROOT));
    }
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
