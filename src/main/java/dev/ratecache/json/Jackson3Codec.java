package dev.ratecache.json;

import java.util.Objects;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JavaType;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.cfg.DateTimeFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * A {@link JsonCodec} on Jackson 3 ({@code tools.jackson.core:jackson-databind}, an optional
 * dependency of the library: loaded only when this class is used). Thread-safe.
 */
public final class Jackson3Codec implements JsonCodec {
  private final ObjectMapper mapper;

  private Jackson3Codec(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Jackson 3 as {@link JsonCodec#standard()} describes it (its {@code java.time} support is
   * built in): the same JSON as {@link Jackson2Codec#standard()} writes.
   */
  public static Jackson3Codec standard() {
    return new Jackson3Codec(JsonMapper.builder()
        .disable(DateTimeFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .build());
  }

  /**
   * A codec writing and reading exactly as the application's own configured {@code mapper}
   * (under Spring Boot 4, its {@code JsonMapper} bean).
   */
  public static Jackson3Codec using(ObjectMapper mapper) {
    return new Jackson3Codec(Objects.requireNonNull(mapper, "mapper"));
  }

  @Override
  public String encode(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("Cannot encode " + value.getClass().getName()
          + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public <T> T decode(String json, TypeToken<T> type) {
    JavaType javaType = mapper.getTypeFactory().constructType(type.type());
    try {
      return mapper.readValue(json, javaType);
    } catch (JacksonException e) {
      throw new IllegalArgumentException("Cannot decode JSON as " + type + ": "
          + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "Jackson3Codec[" + mapper.getClass().getName() + "]";
  }
}
