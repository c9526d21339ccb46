package dev.ratecache.cache;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import java.io.IOException;
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
  /** Headers a hit replays: what the resource said about its representation and caching. */
  static final List<String> REPLAYED = List.of("Cache-Control", "Content-Type",
      "Content-Language", "Last-Modified");

  private static final String MARKER = "{\"@ratecache.response\":1,";
  private static final JsonFactory JSON = new JsonFactory();

  /** The text to store for {@code body} sent with {@code headers} (only replayed ones kept). */
  static String encode(Map<String, String> headers, String body) {
    Map<String, String> kept = new LinkedHashMap<>();
    for (String name : REPLAYED) {
      String v = headers.get(name);
      if (v != null && !(name.equals("Content-Type") && v.equals("application/json"))) {
        kept.put(name, v);
      }
    }
    if (kept.isEmpty()) {
      return body;
    }
    JsonStringEncoder enc = JsonStringEncoder.getInstance();
    StringBuilder b = new StringBuilder(body.length() + 128).append(MARKER).append("\"headers\":{");
    boolean first = true;
    for (Map.Entry<String, String> e : kept.entrySet()) {
      b.append(first ? "" : ",").append('"').append(enc.quoteAsString(e.getKey())).append("\":\"")
          .append(enc.quoteAsString(e.getValue())).append('"');
      first = false;
    }
    return b.append("},\"body\":").append(body).append('}').toString();
  }

  /** What was stored: an envelope's headers and body, or a plain JSON body. */
  static StoredResponse decode(String stored) {
    if (!stored.startsWith(MARKER)) {
      return new StoredResponse(Map.of(), stored);
    }
    try (JsonParser p = JSON.createParser(stored)) {
      Map<String, String> headers = new LinkedHashMap<>();
      p.nextToken(); // {
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken value = p.nextToken();
        if (field.equals("headers") && value == JsonToken.START_OBJECT) {
          while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            p.nextToken();
            headers.put(name, p.getText());
          }
        } else if (field.equals("body")) {
          int start = (int) p.currentTokenLocation().getCharOffset();
          return new StoredResponse(headers, stored.substring(start, stored.length() - 1));
        } else {
          p.skipChildren();
        }
      }
    } catch (IOException | RuntimeException malformed) {
      // fall through: not an envelope after all
    }
    return new StoredResponse(Map.of(), stored);
  }
}
