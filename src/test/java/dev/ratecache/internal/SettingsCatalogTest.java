package dev.ratecache.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ratecache.ConfigurationException;
import dev.ratecache.cache.CacheTtl;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.internal.SettingsCatalog.Scope;
import dev.ratecache.internal.SettingsCatalog.Setting;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisSettings.Name;
import dev.ratecache.redis.RedisTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The one list of settings against everything that states them again: the names each parser
 * accepts, the defaults the code applies, the settings tables in {@code docs/} and the starter's
 * Spring configuration metadata. A setting added, renamed or re-defaulted in one place only fails
 * here, naming it.
 */
class SettingsCatalogTest {
  /** A cost function for the check that {@code profile.<name>.cost-function} is read. */
  public static final class CostOfTwo implements dev.ratecache.ratelimit.CostFunction {
    @Override
    public long cost(jakarta.servlet.http.HttpServletRequest request) {
      return 2;
    }
  }

  private static final Path STARTER_METADATA = Path.of(
      "modules/ratecache-spring-boot-starter/src/main/resources/META-INF/"
          + "spring-configuration-metadata.json");

  private static Map<String, Setting> of(Scope scope) {
    Map<String, Setting> m = new LinkedHashMap<>();
    SettingsCatalog.of(scope).forEach(s -> m.put(s.name(), s));
    return m;
  }

  @Test
  void theRedisSettingsAreExactlyThoseTheReaderAccepts() {
    assertThat(of(Scope.REDIS).keySet()).containsExactlyInAnyOrderElementsOf(Name.ALL);
  }

  @Test
  void theRedisDefaultsAreTheOnesTheCodeApplies() {
    RedisSettings d = RedisSettings.builder().build();
    Map<String, Object> actual = new LinkedHashMap<>();
    actual.put(Name.ENABLED, d.enabled());
    actual.put(Name.HOST, d.endpoints().get(0).host());
    actual.put(Name.PORT, d.endpoints().get(0).port());
    actual.put(Name.DB, d.database());
    actual.put(Name.TLS, d.tls());
    actual.put(Name.TLS_VERIFY, d.tlsVerify().name().toLowerCase(Locale.ROOT));
    actual.put(Name.CLIENT_NAME, d.clientName());
    actual.put(Name.CONNECT_TIMEOUT_MS, d.connectTimeout().toMillis());
    actual.put(Name.SOCKET_TIMEOUT_MS, d.socketTimeout().toMillis());
    actual.put(Name.POOL_MAX_TOTAL, d.poolMaxTotal());
    actual.put(Name.POOL_MAX_WAIT_MS, d.poolMaxWait().toMillis());
    RedisTopology.Cluster cluster = (RedisTopology.Cluster) RedisSettings.builder()
        .cluster("127.0.0.1:7000").build().topology();
    actual.put(Name.CLUSTER_MAX_ATTEMPTS, cluster.maxAttempts());
    actual.put(Name.CLUSTER_MAX_RETRY_MS, cluster.maxRetryDuration().toMillis());
    actual.put(Name.FAILURE_THRESHOLD, d.failureThreshold());
    actual.put(Name.PROBE_INITIAL_MS, d.probeBackoff().initial().toMillis());
    actual.put(Name.PROBE_MAX_MS, d.probeBackoff().max().toMillis());
    Map<String, Setting> catalog = of(Scope.REDIS);
    actual.forEach((name, value) -> assertThat(catalog.get(name).defaultValue()).as(name)
        .isEqualTo(String.valueOf(value)));
    // What has no value of its own says so.
    for (String none : List.of(Name.URL, Name.USERNAME, Name.PASSWORD, Name.TLS_CERT_FILE,
        Name.TLS_KEY_FILE, Name.CLUSTER_NODES, Name.SENTINELS, Name.SENTINEL_MASTER,
        Name.SENTINEL_PASSWORD)) {
      assertThat(catalog.get(none).defaultValue()).as(none).isEqualTo("none");
    }
    assertThat(d.username()).isNull();
    assertThat(d.password()).isNull();
    assertThat(d.topology()).isInstanceOf(RedisTopology.Standalone.class);
  }

  @Test
  void everyRateLimitSettingIsAcceptedAndAnUnknownOneIsNot() {
    Function<String, String> noRedis = n -> n.equals(Name.ENABLED) ? "false" : null;
    for (Setting s : SettingsCatalog.of(Scope.RATE_LIMIT)) {
      String name = s.name().replace("<name>", "chat").replace("<plan>", "pro");
      String value = switch (name) {
        case "profile.chat.limit", "profile.chat.limit.pro" -> "20/1m";
        case "profile.chat.prefixes" -> "/api/chat";
        case "profile.chat.methods" -> "POST";
        case "profiles" -> "chat,auth,upload,search";
        case "profile.chat.lockout" -> "1m";
        case "profile.chat.cost-on-hit" -> "1";
        case "profile.chat.cost-function" ->
            "dev.ratecache.internal.SettingsCatalogTest$CostOfTwo";
        // Each lockout setting alone; lockout-max and -reset need the lockout beside them.
        case "profile.chat.lockout-max", "profile.chat.lockout-reset" -> null;
        case "api-key-verifier", "trusted-proxies" -> null; // none by default
        case "allow", "deny", "profile.chat.allow", "profile.chat.deny" ->
            "10.0.0.0/8, 2001:db8::/32, 192.0.2.7, user:alice, key:partner, client:c1, app:job";
        default -> s.defaultValue();
      };
      if (value == null) {
        continue;
      }
      assertThatCode(() -> RateLimiter.builder().environment(noRedis)
          .params(Map.of(name, value)).build().close()).as(name + "=" + value)
          .doesNotThrowAnyException();
    }
    assertThatCode(() -> RateLimiter.builder().environment(noRedis)
        .params(Map.of("profile.chat.lockout", "1m", "profile.chat.lockout-max", "2h",
            "profile.chat.lockout-reset", "1h")).build().close()).doesNotThrowAnyException();
    assertThatThrownBy(() -> RateLimiter.builder().environment(noRedis)
        .params(Map.of("key-strategys", "ip")).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("key-strategys");
  }

  @Test
  void theCacheSettingsAreThoseTheCacheReadsWithItsDefaults() {
    Set<String> read = new TreeSet<>(List.of(QueryCache.LOAD_WAIT_SETTING,
        QueryCache.FAILURE_MEMORY_SETTING, QueryCache.ROUTE_BUDGET_SETTING,
        QueryCache.NEAR_TTL_SETTING, QueryCache.NEAR_MAX_BYTES_SETTING,
        QueryCache.TTL_JITTER_SETTING, QueryCache.STALE_WHILE_REVALIDATE_SETTING,
        QueryCache.STALE_IF_ERROR_SETTING, QueryCache.FLEET_LOADS_SETTING,
        QueryCache.TAG_RETENTION_SETTING, QueryCache.COMPRESSION_SETTING));
    CacheTtl.defaults().asMap().forEach((category, ttl) ->
        read.add("CACHE_TTL_" + category.toUpperCase(Locale.ROOT)));
    assertThat(of(Scope.CACHE).keySet()).containsExactlyInAnyOrderElementsOf(read);
    CacheTtl.defaults().asMap().forEach((category, ttl) -> assertThat(
        SettingsCatalog.defaultNumber("CACHE_TTL_" + category.toUpperCase(Locale.ROOT)))
        .as(category).isEqualTo(ttl.toSeconds()));
    // A TTL the environment sets is read under the catalog's name.
    assertThat(CacheTtl.fromLookup(n -> n.equals("CACHE_TTL_OTHER") ? "7" : null).of("other"))
        .hasSeconds(7);
  }

  @Test
  void theDocsTablesAreTheCatalog() throws IOException {
    assertThat(table(Path.of("docs/configuration.md"), "| setting | default | meaning |"))
        .containsExactlyElementsOf(rows(Scope.REDIS));
    List<List<String>> limiter = table(Path.of("docs/rate-limiting.md"),
        "| init-param | default | meaning |");
    limiter.removeIf(r -> r.get(0).equals("REDIS_* or redis.*")); // points to the Redis table
    assertThat(limiter).containsExactlyElementsOf(rows(Scope.RATE_LIMIT));
    assertThat(table(Path.of("docs/caching.md"), "| setting | default | meaning |"))
        .containsExactlyElementsOf(rows(Scope.CACHE));
  }

  @Test
  void theSpringMetadataDescribesEverySettingAsTheCatalogDoes() throws IOException {
    JsonNode properties = new ObjectMapper().readTree(Files.readString(STARTER_METADATA))
        .get("properties");
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    properties.forEach(p -> byName.put(p.get("name").asText(), p));
    for (Setting s : SettingsCatalog.ALL) {
      if (s.isTemplate()) {
        continue;
      }
      JsonNode p = byName.get(s.springProperty());
      assertThat(p).as("metadata for %s (%s)", s.springProperty(), s.name()).isNotNull();
      assertThat(p.get("type").asText()).as(s.springProperty()).isEqualTo(s.type().javaType());
      assertThat(p.get("description").asText()).as(s.springProperty()).contains(s.name());
      String literal = literalDefault(s);
      JsonNode d = p.get("defaultValue");
      assertThat(d == null ? null : d.asText()).as("default of " + s.springProperty())
          .isEqualTo(literal);
    }
    Set<String> known = SettingsCatalog.ALL.stream().filter(s -> !s.isTemplate())
        .map(Setting::springProperty).collect(Collectors.toCollection(TreeSet::new));
    known.add("ratecache.cache.enabled"); // the starter's own switch
    known.add("ratecache.ratelimit.profile"); // the profile.<name>.* map
    assertThat(byName.keySet().stream().filter(n -> n.matches("ratecache\\.(redis|ratelimit|cache)\\..*")))
        .as("metadata for settings nothing reads").allMatch(known::contains);
  }

  /** The default as metadata can state it: a value, not a description such as "none". */
  private static String literalDefault(Setting s) {
    String d = s.defaultValue();
    return switch (s.type()) {
      case BOOLEAN -> d.equals("true") || d.equals("false") ? d : null;
      case NUMBER -> d.matches("-?\\d+") ? d : null;
      case TEXT -> d.contains(" ") || d.equals("none") || d.equals("all") || d.isEmpty() ? null : d;
    };
  }

  private static List<List<String>> rows(Scope scope) {
    List<List<String>> rows = new ArrayList<>();
    for (Setting s : SettingsCatalog.of(scope)) {
      rows.add(List.of(s.name(), s.defaultValue(), s.meaning()));
    }
    return rows;
  }

  /** The rows of the table under {@code header}: name and default without backticks, meaning as written. */
  private static List<List<String>> table(Path doc, String header) throws IOException {
    List<String> lines = Files.readAllLines(doc);
    int at = lines.indexOf(header);
    assertThat(at).as(header + " in " + doc).isNotNegative();
    List<List<String>> rows = new ArrayList<>();
    for (String line : lines.subList(at + 2, lines.size())) {
      if (!line.startsWith("|")) {
        break;
      }
      String[] cells = line.substring(1, line.length() - 1).split(" \\| ", -1);
      rows.add(List.of(cells[0].strip().replace("`", ""), cells[1].strip().replace("`", ""),
          cells[2].strip()));
    }
    return rows;
  }
}
