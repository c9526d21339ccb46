package dev.ratecache.ratelimit;

import java.util.List;

/**
 * What rate limiting reads from a request, so that the Servlet filter and the JAX-RS filter share
 * one engine.
 */
interface RequestView {
  /** The HTTP method, upper case. */
  String method();

  /** The path within the application, as sent (not yet normalised). */
  String path();

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
