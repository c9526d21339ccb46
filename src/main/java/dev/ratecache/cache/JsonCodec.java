package dev.ratecache.cache;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import java.util.Objects;

/**
 * Turns values into JSON text and back with Jackson: records, {@code java.time} types (as ISO-8601
 * strings) and generic types (via {@link TypeReference}) round-trip. Unknown properties are
 * ignored on read, so a cached value written by an older version of a class still loads.
 * Thread-safe.
 */
public final class JsonCodec {
  private final ObjectMapper mapper;

  private JsonCodec(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /** The default codec. */
  public static JsonCodec standard() {
    return new JsonCodec(new ObjectMapper()
        .registerModule(new JavaTimeModule())
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
  }

  /** A codec using the application's own configured mapper. */
  public static JsonCodec using(ObjectMapper mapper) {
    return new JsonCodec(Objects.requireNonNull(mapper, "mapper"));
  }

  /**
   * The JSON text of {@code value}.
   *
   * @throws IllegalArgumentException if Jackson cannot serialise it
   */
  public String encode(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot encode " + value.getClass().getName()
          + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * Reads {@code json} as {@code type}.
   *
   * @throws IllegalArgumentException if the text is not a valid {@code type}
   */
  public <T> T decode(String json, JavaType type) {
    try {
      return mapper.readValue(json, type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot decode cached JSON as " + type + ": "
          + e.getOriginalMessage(), e);
    }
  }

  /** The Jackson type of a class. */
  public JavaType type(Class<?> type) {
    return mapper.constructType(type);
  }

  /** The Jackson type of a generic type, such as {@code new TypeReference<List<Row>>() {}}. */
  public JavaType type(TypeReference<?> type) {
    return mapper.constructType(type);
  }
}
