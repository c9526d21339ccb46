package dev.ratecache.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The starter's own properties (those it reads itself, not the library's settings, which the
 * library's SettingsCatalogTest checks) and its configuration metadata name the same set: a
 * property added without metadata, or metadata for one nothing reads, fails here.
 */
class StarterMetadataTest {
  @Test
  void everyPropertyTheStarterReadsHasMetadataAndNoOtherDoes() throws Exception {
    JsonNode metadata;
    try (InputStream in = getClass().getResourceAsStream(
        "/META-INF/spring-configuration-metadata.json")) {
      metadata = new ObjectMapper().readTree(in);
    }
    Set<String> described = new TreeSet<>();
    metadata.get("properties").forEach(p -> {
      String name = p.get("name").asText();
      assertThat(p.get("description").asText()).as(name).isNotBlank();
      described.add(name);
    });
    Set<String> read = new TreeSet<>(SpringSettings.EXACT);
    read.addAll(SpringCacheSettings.NAMES);
    read.add("ratecache.cache.enabled");
    assertThat(described).containsAll(read);
    Set<String> starterOwn = new TreeSet<>(described);
    starterOwn.removeIf(n -> n.startsWith("ratecache.redis.") || n.startsWith("ratecache.ratelimit.")
        || (n.startsWith("ratecache.cache.") && !n.equals("ratecache.cache.enabled"))
        || n.equals("ratecache"));
    assertThat(starterOwn).as("metadata for properties the starter reads").isEqualTo(read);
  }
}
