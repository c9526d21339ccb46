package dev.ratecache.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * A {@link JsonCodec} on Jackson 2 ({@code com.fasterxml.jackson.core:jackson-databind}, an
 * optional dependency of the library: loaded only when this class is used). Thread-safe.
 */
public final class Jackson2Codec implements JsonCodec {
  private final ObjectMapper mapper;

  private Jackson2Codec(ObjectMapper mapper) {
    this.mapper = mapper;
  }

  /**
   * Jackson 2 as {@link JsonCodec#standard()} describes it: {@code java.time} values, durations
   * included, as ISO-8601 strings
   * (through {@code jackson-datatype-jsr310} when it is on the class path; without it Jackson
   * refuses {@code java.time} values, naming the module), unknown properties ignored on read.
   */
  public static Jackson2Codec standard() {
    ObjectMapper mapper = new ObjectMapper()
        .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
        .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS) // "PT1.5S", as Jackson 3
        .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    if (javaTimePresent()) {
      mapper.registerModule(JavaTime.module());
    } else {
      LoggerFactory.getLogger(Jackson2Codec.class).warn("Jackson 2 without "
          + "com.fasterxml.jackson.datatype:jackson-datatype-jsr310: cached values with java.time "
          + "fields cannot be written; add that module (Jackson 3 needs none)");
    }
    return new Jackson2Codec(mapper);
  }

  /** A codec writing and reading exactly as the application's own configured {@code mapper}. */
  public static Jackson2Codec using(ObjectMapper mapper) {
    return new Jackson2Codec(Objects.requireNonNull(mapper, "mapper"));
  }

  @Override
  public String encode(Object value) {
    try {
      return mapper.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot encode " + value.getClass().getName()
          + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public <T> T decode(String json, TypeToken<T> type) {
    JavaType javaType = mapper.getTypeFactory().constructType(type.type());
    try {
      return mapper.readValue(json, javaType);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("Cannot decode JSON as " + type + ": "
          + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "Jackson2Codec[" + mapper.getClass().getName() + "]";
  }

  private static boolean javaTimePresent() {
    try {
      Class.forName("com.fasterxml.jackson.datatype.jsr310.JavaTimeModule", false,
          Jackson2Codec.class.getClassLoader());
      return true;
    } catch (ClassNotFoundException | LinkageError absent) {
      return false;
    }
  }

  /**
   * The jsr310 module, in a class of its own that is loaded only when the module is present: the
   * verifier loads {@code JavaTimeModule} with whichever class mentions it.
   */
  private static final class JavaTime {
    static Module module() {
      return new com.fasterxml.jackson.datatype.jsr310.JavaTimeModule();
    }
  }
}
