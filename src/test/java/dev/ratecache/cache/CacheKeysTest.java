package dev.ratecache.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.GlobPattern;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Pure pieces: key namespaces, escaping, categories, TTLs, templates and glob matching. */
class CacheKeysTest {

  @Test
  void documentedNamespaces() {
    assertThat(CacheKeys.rateLimit("chat", "ip:1.2.3.4")).isEqualTo("rate_limit:chat:ip:1.2.3.4");
    assertThat(DefaultKeyScheme.userByEmail("alice@example.com"))
        .isEqualTo("query:user:email:alice@example.com");
    assertThat(DefaultKeyScheme.chatById("42")).isEqualTo("query:chat:id:42");
    assertThat(DefaultKeyScheme.chatsByUser("7")).isEqualTo("query:chat:user:7");
    assertThat(DefaultKeyScheme.messagesByChat("42")).isEqualTo("query:messages:chat:42");
    assertThat(DefaultKeyScheme.documentsByUser("7", 10))
        .isEqualTo("query:rag_documents:user:7:limit:10");
    assertThat(DefaultKeyScheme.document("d1", "7")).isEqualTo("query:rag_document:d1:7");
    assertThat(DefaultKeyScheme.documentStats("7")).isEqualTo("query:document_stats:user:7");
    assertThat(DefaultKeyScheme.authSession("s1")).isEqualTo("auth:session:s1");
    assertThat(DefaultKeyScheme.authUser("7")).isEqualTo("auth:user:7");
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "query:user:email:a | user",
      "query:chat:id:1 | chat",
      "query:messages:chat:1 | messages",
      "query:rag_documents:user:1:limit:5 | documents",
      "query:rag_document:1:2 | documents",
      "query:document_stats:user:1 | document_stats",
      "auth:session:x | auth",
      "rate_limit:x | rate_limit",
      "something:else | other",
  })
  void categories(String key, String category) {
    assertThat(CacheKeys.category(key)).isEqualTo(category);
  }

  @ParameterizedTest(name = "[{0}] -> [{1}]")
  @CsvSource(delimiter = '|', value = {
      "alice@example.com | alice@example.com",
      "a*b | a%2Ab",
      "? | %3F",
      "[x] | %5Bx%5D",
      "back\\slash | back%5Cslash",
      "a:b | a%3Ab",
      "100% | 100%25",
      "~x | %7Ex",
      "sp ace | sp%20ace",
      "café | caf%C3%A9",
  })
  void escapingRemovesGlobAndSeparatorCharacters(String value, String escaped) {
    assertThat(CacheKeys.escape(value)).isEqualTo(escaped);
  }

  @Test
  void escapingIsOneToOneAndHashesLongValues() {
    Set<String> seen = new HashSet<>();
    for (String v : List.of("a", "a%", "a%25", "a:", "a%3A", "*", "%2A", "~", "%7E", "")) {
      assertThat(seen.add(CacheKeys.escape(v))).as("distinct escape of %s", v).isTrue();
    }
    String longValue = "x".repeat(500);
    String hashed = CacheKeys.escape(longValue);
    assertThat(hashed).startsWith("~").hasSizeLessThan(50);
    assertThat(CacheKeys.escape("x".repeat(499) + "y")).isNotEqualTo(hashed);
  }

  @Test
  void ttlDefaultsAndOverrides() {
    CacheTtl d = CacheTtl.defaults();
    assertThat(d.of(CacheTtl.USER)).isEqualTo(Duration.ofSeconds(300));
    assertThat(d.of(CacheTtl.CHAT)).isEqualTo(Duration.ofSeconds(180));
    assertThat(d.of(CacheTtl.MESSAGES)).isEqualTo(Duration.ofSeconds(120));
    assertThat(d.of(CacheTtl.DOCUMENTS)).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.of(CacheTtl.DOCUMENT_STATS)).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.forKey(DefaultKeyScheme.documentStats("1"))).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.of("nonexistent")).isEqualTo(d.of(CacheTtl.OTHER));
    CacheTtl env = CacheTtl.fromLookup(Map.of("CACHE_TTL_USER", "10")::get);
    assertThat(env.of(CacheTtl.USER)).isEqualTo(Duration.ofSeconds(10));
    assertThatThrownBy(() -> CacheTtl.fromLookup(Map.of("CACHE_TTL_CHAT", "soon")::get))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("CACHE_TTL_CHAT:");
    assertThatThrownBy(() -> CacheTtl.builder().ttl("user", Duration.ZERO))
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void templatesRenderEscapedValuesAndKnowTheirVariables() {
    KeyTemplate t = KeyTemplate.parse("query:rag_documents:user:{userId}:limit:{limit}", "t");
    assertThat(t.variables()).containsExactly("userId", "limit");
    assertThat(t.isPattern()).isFalse();
    assertThat(t.render(Map.of("userId", "7", "limit", "10")::get))
        .isEqualTo(DefaultKeyScheme.documentsByUser("7", 10));
    KeyTemplate pattern = KeyTemplate.parse("query:user:email:{email}*", "t");
    assertThat(pattern.isPattern()).isTrue();
    assertThat(pattern.render(Map.of("email", "*")::get)).isEqualTo("query:user:email:%2A*");
    assertThatThrownBy(() -> KeyTemplate.parse("query:{bad var}", "@CachedQuery on X.y"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("@CachedQuery on X.y:");
    assertThatThrownBy(() -> KeyTemplate.parse(" ", "t")).isInstanceOf(ConfigurationException.class);
  }

  @ParameterizedTest(name = "{0} ~ {1} = {2}")
  @CsvSource(delimiter = '|', value = {
      "query:user:* | query:user:email:a | true",
      "query:user:* | query:users | false",
      "query:rag_document* | query:rag_documents:user:1 | true",
      "query:rag_document* | query:rag_document:1:2 | true",
      "query:rag_document* | query:document_stats:user:1 | false",
      "a?c | abc | true",
      "a?c | ac | false",
      "a[bc]d | acd | true",
      "a[^bc]d | acd | false",
      "a[^bc]d | axd | true",
      "a[a-c]d | abd | true",
      "a[a-c]d | aed | false",
      "a\\*b | a*b | true",
      "a\\*b | axb | false",
      "*a*b*c* | xxaxxbxxcxx | true",
      "*a*b*c* | xxaxxcxxbxx | false",
      "** | anything | true",
      "query:user:email:%2A* | query:user:email:%2A | true",
      "query:user:email:%2A* | query:user:email:bob | false",
  })
  void globMatchingFollowsRedis(String pattern, String key, boolean matches) {
    assertThat(GlobPattern.matches(pattern, key)).isEqualTo(matches);
  }
}
