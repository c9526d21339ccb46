package dev.ratecache.cache;

import dev.ratecache.internal.JsonText;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A cached response as kept in Redis (what may be kept is {@link Cacheability}'s to say). Pure
 * and thread-safe.
 *
 * <p>A plain {@code application/json} response with none of the {@link #REPLAYED} headers is
 * stored as its body alone, the same JSON {@link QueryCache#put} writes, so warm-up through the
 * cache and {@code @CachedQuery} share entries. A response with any of them is stored as
 * {@code {"@ratecache.response":1,"headers":{…},"body":<the body as sent>}}, and a hit replays
 * those headers with the body byte for byte (so its {@code ETag} is the miss's).
 */
record StoredResponse(Map<String, String> headers, String body) {
  /** The status to answer with: 200, or what {@link #STATUS} kept. */
  int status() {
    String s = headers.get(STATUS);
    return s != null && s.matches("[1-5][0-9][0-9]") ? Integer.parseInt(s) : 200;
  }

  /** Headers a hit replays: what the resource said about its representation and caching. */
  static final List<String> REPLAYED = List.of("Cache-Control", "Content-Type",
      "Content-Language", "Last-Modified", "Vary");

  /** The pseudo-header that keeps a status other than 200 (a cached 404: negative caching). */
  static final String STATUS = ":status";

  private static final String MARKER = "{\"@ratecache.response\":1,";
  private static final String HEADERS = "\"headers\":{";
  private static final String BODY = ",\"body\":";

  /** The text to store for {@code body} sent with {@code headers} (only replayed ones kept). */
  static String encode(Map<String, String> headers, String body) {
    return encode(headers, body, 200);
  }

  /** {@link #encode(Map, String)} of an answer with {@code status} (kept if not 200). */
  static String encode(Map<String, String> headers, String body, int status) {
    Map<String, String> kept = new LinkedHashMap<>();
    if (status != 200) {
      kept.put(STATUS, Integer.toString(status));
    }
    for (String name : REPLAYED) {
      String v = headers.get(name);
      if (v != null && !(name.equals("Content-Type") && v.equals("application/json"))) {
        kept.put(name, v);
      }
    }
    if (kept.isEmpty()) {
      return body;
    }
    StringBuilder b = new StringBuilder(body.length() + 128).append(MARKER).append(HEADERS);
    boolean first = true;
    for (Map.Entry<String, String> e : kept.entrySet()) {
      JsonText.quote(b.append(first ? "" : ","), e.getKey()).append(':');
      JsonText.quote(b, e.getValue());
      first = false;
    }
    return b.append('}').append(BODY).append(body).append('}').toString();
  }

  /**
   * What was stored: an envelope's headers and body, or a plain JSON body. The envelope is read in
   * the exact shape {@link #encode} writes (marker, headers, body last); anything else is a body.
   */
  static StoredResponse decode(String stored) {
    if (!stored.startsWith(MARKER) || !stored.startsWith(HEADERS, MARKER.length())
        || !stored.endsWith("}")) {
      return new StoredResponse(Map.of(), stored);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    int at = MARKER.length() + HEADERS.length();
    while (at < stored.length() && stored.charAt(at) != '}') {
      JsonText.Read name = JsonText.read(stored, at);
      if (name == null || !stored.startsWith(":", name.end())) {
        return new StoredResponse(Map.of(), stored);
      }
      JsonText.Read value = JsonText.read(stored, name.end() + 1);
      if (value == null) {
        return new StoredResponse(Map.of(), stored);
      }
      headers.put(name.value(), value.value());
      at = value.end();
      if (stored.startsWith(",", at)) {
        at++;
      }
    }
    if (!stored.startsWith(BODY, at + 1)) {
      return new StoredResponse(Map.of(), stored);
    }
    return new StoredResponse(headers,
        stored.substring(at + 1 + BODY.length(), stored.length() - 1));
  }
}
