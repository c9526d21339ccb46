package dev.ratecache.cache;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Whether a response may be stored for later requests: one pure function of the request's
 * method, the response's status, body, media type and headers, and whose entry it would be
 * (OkHttp's {@code CacheStrategy} habit: the filter only wires it). Table-tested in {@code
 * CacheabilityTest}. Thread-safe (stateless).
 *
 * <p>Stored: a {@code GET} answered {@code 200} with a JSON body ({@code application/json} or
 * {@code +json}), read back by the same principal it was loaded for (or a shared entry), that
 * sets no cookie, does not vary on a request header the key does not hold, and says neither
 * {@code Cache-Control: no-store} nor {@code no-cache} nor, in an entry that several users read,
 * {@code private} (RFC 9111 sections 5.2.2.3, 5.2.2.4, 5.2.2.7).
 */
final class Cacheability {
  private Cacheability() {}

  /**
   * Why the response may not be stored, or {@code null} if it may.
   *
   * @param method the request's method
   * @param status the response's status
   * @param hasBody whether the response has a body
   * @param contentType the response's media type as sent, or {@code null}
   * @param headers the response's headers (names as sent; compared without case)
   * @param shared whether the entry is read by requests of other principals too (the annotation
   *     says {@code shared = true}, or the request had no principal)
   * @param samePrincipal whether the principal now is the one the lookup was keyed for (an
   *     authentication that ran after the lookup must not put one user's response in another's
   *     entry)
   */
  static String refusal(String method, int status, boolean hasBody, String contentType,
      Map<String, List<String>> headers, boolean shared, boolean samePrincipal) {
    return refusal(method, status, hasBody, contentType, headers, shared, samePrincipal,
        List.of());
  }

  /**
   * {@link #refusal(String, int, boolean, String, Map, boolean, boolean)} of a route keyed on
   * the request headers {@code vary} (lower case): a {@code Vary} naming only those is stored.
   */
  static String refusal(String method, int status, boolean hasBody, String contentType,
      Map<String, List<String>> headers, boolean shared, boolean samePrincipal,
      List<String> vary) {
    if (!samePrincipal) {
      return "the principal changed after the lookup";
    }
    if (!"GET".equals(method)) {
      return "method " + method;
    }
    if (status != 200) {
      return "status " + status;
    }
    if (!hasBody) {
      return "no body";
    }
    if (!isJson(contentType)) {
      return "media type " + contentType;
    }
    return headerRefusal(headers, shared, vary);
  }

  /** Why headers alone forbid storing in an entry {@code shared} says who reads, or null. */
  static String headerRefusal(Map<String, List<String>> headers, boolean shared) {
    return headerRefusal(headers, shared, List.of());
  }

  /** {@link #headerRefusal(Map, boolean)} where the key holds the request headers {@code vary}. */
  static String headerRefusal(Map<String, List<String>> headers, boolean shared,
      List<String> vary) {
    for (Map.Entry<String, List<String>> h : headers.entrySet()) {
      String name = h.getKey().toLowerCase(Locale.ROOT);
      if (name.equals("set-cookie")) {
        return "Set-Cookie";
      }
      if (name.equals("vary") && !VaryHeaders.covers(vary, h.getValue())) {
        // The key holds no other request header, so a response varying on one cannot be reused.
        return "Vary";
      }
      if (name.equals("cache-control")) {
        String refused = cacheControlRefusal(h.getValue(), shared);
        if (refused != null) {
          return refused;
        }
      }
    }
    return null;
  }

  private static String cacheControlRefusal(List<String> values, boolean shared) {
    for (String value : values) {
      for (String directive : value.split(",")) {
        String d = directive.strip().toLowerCase(Locale.ROOT);
        int eq = d.indexOf('=');
        String name = eq >= 0 ? d.substring(0, eq).strip() : d;
        if (name.equals("no-store") || name.equals("no-cache")) {
          return "Cache-Control: " + name;
        }
        if (name.equals("private") && shared) {
          return "Cache-Control: private in a shared entry";
        }
      }
    }
    return null;
  }

  /** {@code application/json} or any {@code +json} type, parameters ignored. */
  static boolean isJson(String contentType) {
    if (contentType == null) {
      return false;
    }
    int semicolon = contentType.indexOf(';');
    String type = (semicolon >= 0 ? contentType.substring(0, semicolon) : contentType).strip()
        .toLowerCase(Locale.ROOT);
    int slash = type.indexOf('/');
    if (slash <= 0 || slash == type.length() - 1) {
      return false;
    }
    String major = type.substring(0, slash);
    String minor = type.substring(slash + 1);
    return (major.equals("application") && minor.equals("json"))
        || (!major.equals("*") && minor.endsWith("+json"));
  }
}
