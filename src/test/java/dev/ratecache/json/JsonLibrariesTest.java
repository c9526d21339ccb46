package dev.ratecache.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which Jackson {@link JsonCodec#standard()} takes, on class paths with one, both or neither. */
class JsonLibrariesTest {

  /** A class loader that cannot see the packages given. */
  static ClassLoader hiding(String... packages) {
    return new ClassLoader(JsonLibrariesTest.class.getClassLoader()) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        for (String p : packages) {
          if (name.startsWith(p)) {
            throw new ClassNotFoundException(name);
          }
        }
        return super.loadClass(name, resolve);
      }
    };
  }

  @Test
  void jackson3IsPreferredWhenBothArePresent() {
    assertThat(JsonLibraries.standard(JsonLibrariesTest.class.getClassLoader()))
        .isInstanceOf(Jackson3Codec.class);
    assertThat(JsonCodec.standard()).isInstanceOf(Jackson3Codec.class);
  }

  @Test
  void jackson2AloneIsUsed() {
    assertThat(JsonLibraries.standard(hiding("tools.jackson.")))
        .isInstanceOf(Jackson2Codec.class);
  }

  @Test
  void jackson3AloneIsUsed() {
    assertThat(JsonLibraries.standard(hiding("com.fasterxml.jackson.databind.")))
        .isInstanceOf(Jackson3Codec.class);
  }

  @Test
  void neitherFailsNamingBothArtifacts() {
    assertThatThrownBy(() -> JsonLibraries.standard(
        hiding("tools.jackson.", "com.fasterxml.jackson.databind.")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("tools.jackson.core:jackson-databind")
        .hasMessageContaining("com.fasterxml.jackson.core:jackson-databind")
        .hasMessageContaining("codec(");
  }

  @Test
  void typeTokensCaptureTheirTypeArgument() {
    TypeToken<List<String>> t = new TypeToken<List<String>>() {};
    assertThat(t.type().getTypeName()).isEqualTo("java.util.List<java.lang.String>");
    assertThat(t).isEqualTo(new TypeToken<List<String>>() {}).hasSameHashCodeAs(
        new TypeToken<List<String>>() {});
    assertThat(TypeToken.of(String.class)).isEqualTo(TypeToken.of(String.class))
        .isNotEqualTo(t).hasToString("java.lang.String");
  }

  @Test
  @SuppressWarnings("rawtypes")
  void aTokenWithoutATypeArgumentIsRefused() {
    assertThatThrownBy(() -> new TypeToken() {}).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("new TypeToken<List<Row>>() {}");
  }

  <T> TypeToken<T> generic() {
    return new TypeToken<T>() {};
  }

  @Test
  void aTokenOfATypeVariableIsRefused() {
    assertThatThrownBy(this::generic).isInstanceOf(IllegalStateException.class);
  }
}
