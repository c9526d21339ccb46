package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The headers a route varies on: checked at deployment, keyed, compared, announced. */
class VaryHeadersTest {
  private static final List<String> LANG = List.of("accept-language");

  @Test
  void namesAreCheckedAtDeployment() {
    assertThat(VaryHeaders.checked(new String[] {" Accept-Language", "ACCEPT", "accept"}, 16, "m"))
        .containsExactly("accept-language", "accept");
    for (String bad : List.of("Authorization", "cookie", "Proxy-Authorization", "*", "",
        "Accept Language", "x:y")) {
      assertThatThrownBy(() -> VaryHeaders.checked(new String[] {bad}, 16, "R.m"))
          .isInstanceOf(ConfigurationException.class).hasMessageContaining("R.m");
    }
    assertThatThrownBy(() -> VaryHeaders.checked(new String[] {"a", "b", "c", "d", "e"}, 16, "m"))
        .hasMessageContaining("at most 4");
    assertThatThrownBy(() -> VaryHeaders.checked(new String[] {"accept"}, 0, "m"))
        .hasMessageContaining("maxVariants");
  }

  @Test
  void equalValuesNameOneVariantAndOthersAnother() {
    String a = VaryHeaders.suffix(LANG, n -> List.of("en-US, en;q=0.9"));
    assertThat(a).startsWith(":vary:");
    assertThat(VaryHeaders.suffix(LANG, n -> List.of("EN-us,en;q=0.9"))).isEqualTo(a);
    assertThat(VaryHeaders.suffix(LANG, n -> List.of("en-US", "en;q=0.9"))).isEqualTo(a);
    assertThat(VaryHeaders.suffix(LANG, n -> List.of("fr"))).isNotEqualTo(a);
    assertThat(VaryHeaders.suffix(LANG, n -> null))
        .isEqualTo(VaryHeaders.suffix(LANG, n -> List.of(" ")));
    List<String> two = List.of("accept-language", "accept");
    Map<String, List<String>> h = Map.of("accept-language", List.of("fr"), "accept",
        List.of("application/json"));
    Map<String, List<String>> swapped = Map.of("accept-language", List.of("application/json"),
        "accept", List.of("fr"));
    assertThat(VaryHeaders.suffix(two, h::get)).isNotEqualTo(VaryHeaders.suffix(two, swapped::get));
    assertThat(VaryHeaders.suffix(LANG, n -> List.of("x".repeat(257)))).isNull();
    assertThat(VaryHeaders.suffix(LANG, n -> List.of("x".repeat(100_000)))).isNull();
  }

  @Test
  void aResponsesVaryIsCoveredOnlyByTheNamedHeaders() {
    assertThat(VaryHeaders.covers(LANG, List.of("Accept-Language"))).isTrue();
    assertThat(VaryHeaders.covers(LANG, List.of("accept-language, User-Agent"))).isFalse();
    assertThat(VaryHeaders.covers(LANG, List.of("*"))).isFalse();
    assertThat(Cacheability.headerRefusal(Map.of("Vary", List.of("Accept-Language")), true, LANG))
        .isNull();
    assertThat(Cacheability.headerRefusal(Map.of("Vary", List.of("Accept-Language")), true))
        .isEqualTo("Vary");
    assertThat(VaryHeaders.merged(null, LANG)).isEqualTo("accept-language");
    assertThat(VaryHeaders.merged("Accept-Encoding, Accept-Language", LANG))
        .isEqualTo("Accept-Encoding, Accept-Language");
  }
}
