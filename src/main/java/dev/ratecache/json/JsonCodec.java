package dev.ratecache.json;

/**
 * Turns values into JSON text and back: every JSON value the library reads or writes through a
 * general-purpose mapper (cached query values, admin and CLI output) goes through one. The library
 * depends on no JSON library: {@link #standard()} picks Jackson 3 or Jackson 2, whichever the
 * application has, and {@link Jackson3Codec#using} / {@link Jackson2Codec#using} wrap the
 * application's own configured mapper, so that cached JSON is written as its endpoints write it.
 * Another library (JSON-B, Gson) is a class implementing these two methods.
 *
 * <p>Implementations are thread-safe.
 */
public interface JsonCodec {

  /**
   * The JSON text of {@code value}.
   *
   * @throws IllegalArgumentException if the value cannot be written as JSON
   */
  String encode(Object value);

  /**
   * Reads {@code json} as a {@code type}.
   *
   * @throws IllegalArgumentException if the text is not JSON for a {@code type}
   */
  <T> T decode(String json, TypeToken<T> type);

  /**
   * The default codec of whichever Jackson the application has: Jackson 3 ({@code
   * tools.jackson.core:jackson-databind}) when present, otherwise Jackson 2 ({@code
   * com.fasterxml.jackson.core:jackson-databind}). Both write records and {@code java.time} values
   * (as ISO-8601 strings) alike and ignore unknown properties on read, so an entry written by an
   * older class, or by an instance on the other Jackson, still loads.
   *
   * @throws dev.ratecache.ConfigurationException if neither Jackson is on the class path, naming
   *     both artifacts
   */
  static JsonCodec standard() {
    return JsonLibraries.standard(JsonCodec.class.getClassLoader());
  }
}
