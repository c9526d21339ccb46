package dev.ratecache.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ratecache.cache.QueryCache;
import dev.ratecache.json.Jackson2Codec;
import dev.ratecache.ops.RatecacheMetrics;
import dev.ratecache.ratelimit.RateLimiter;
import dev.ratecache.redis.RedisConnector;
import dev.ratecache.redis.RedisSettings;
import dev.ratecache.testing.RedisServer;
import io.micrometer.core.instrument.observation.DefaultMeterObservationHandler;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Grafana dashboard and the Prometheus alert rules in {@code docs/monitoring} name only
 * meters the library registers, as a Prometheus scrape names them: the library's meters bound to
 * a real Prometheus registry, and the starter's Observations timed by Micrometer's own handler,
 * after real decisions and lookups on a real Redis. A meter renamed, or a query mistyped, fails.
 */
class DashboardQueriesIT {
  private static final Path MONITORING = Path.of("../../docs/monitoring");
  /** A meter name in a query: outside quoted label values. */
  private static final Pattern METER = Pattern.compile("\\b(ratecache_[a-z_]+|rate_limit_[a-z_]+)\\b");

  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().build();

  /** The meter names of a scrape after the library has worked. */
  private static Set<String> scrapedNames() {
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ObservationRegistry observations = ObservationRegistry.create();
    observations.observationConfig().observationHandler(
        new DefaultMeterObservationHandler(prometheus));
    RatecacheObservations bridge = new RatecacheObservations(() -> observations);
    try (RedisConnector connector = RedisConnector.create(RedisSettings.builder()
            .host("127.0.0.1").port(redis.port()).password(redis.password()).build());
        RateLimiter limiter = RateLimiter.builder().connector(connector)
            .observer(bridge.decisions()).build();
        QueryCache cache = QueryCache.builder().connector(connector).codec(Jackson2Codec.standard())
            .observer(bridge.lookups()).build()) {
      new RatecacheMetrics(connector, limiter, cache).bindTo(prometheus);
      limiter.tryAcquire("chat", "u");
      cache.getOrLoad("query:user:id:1", Duration.ofMinutes(1), String.class, () -> "one");
      Set<String> names = new TreeSet<>();
      for (String line : prometheus.scrape().split("\n")) {
        if (!line.isEmpty() && !line.startsWith("#")) {
          names.add(line.split("[{ ]", 2)[0]);
        }
      }
      return names;
    }
  }

  private static List<String> dashboardQueries() throws Exception {
    JsonNode dashboard = new ObjectMapper().readTree(
        Files.readString(MONITORING.resolve("grafana-dashboard.json")));
    List<String> out = new ArrayList<>();
    dashboard.get("panels").forEach(p -> p.get("targets").forEach(t -> out.add(
        p.get("title").asText() + ": " + t.get("expr").asText())));
    out.add("variable: " + dashboard.get("templating").get("list").get(1).get("query").asText());
    return out;
  }

  /** Every {@code expr:} of the rules file, a block scalar's lines joined. */
  private static List<String> alertExpressions() throws Exception {
    List<String> out = new ArrayList<>();
    List<String> lines = Files.readAllLines(MONITORING.resolve("prometheus-alerts.yml"));
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (!line.startsWith("expr:")) {
        continue;
      }
      String expr = line.substring("expr:".length()).trim();
      if (expr.equals("|")) {
        StringBuilder b = new StringBuilder();
        while (i + 1 < lines.size() && lines.get(i + 1).startsWith("          ")) {
          b.append(lines.get(++i).trim()).append(' ');
        }
        expr = b.toString().trim();
      }
      out.add(expr);
    }
    return out;
  }

  private static Set<String> metersIn(String query) {
    String unquoted = query.replaceAll("\"[^\"]*\"", "\"\"");
    Set<String> found = new TreeSet<>();
    Matcher m = METER.matcher(unquoted);
    while (m.find()) {
      found.add(m.group(1));
    }
    return found;
  }

  @Test
  void everyDashboardAndAlertQueryNamesAMeterTheLibraryRegisters() throws Exception {
    Set<String> scraped = scrapedNames();
    assertThat(scraped).contains("ratecache_redis_up", "ratecache_ratelimit_decisions_total",
        "ratecache_cache_requests_total", "rate_limit_decision_seconds_count");
    List<String> queries = new ArrayList<>(dashboardQueries());
    List<String> alerts = alertExpressions();
    assertThat(alerts).hasSizeGreaterThanOrEqualTo(8);
    queries.addAll(alerts);
    for (String q : queries) {
      Set<String> meters = metersIn(q);
      assertThat(meters).as("meters named by " + q).isNotEmpty();
      assertThat(scraped).as(q).containsAll(meters);
    }
  }

  @Test
  void theDashboardShowsWhatOperatorsAskFor() throws Exception {
    String all = String.join("\n", dashboardQueries());
    assertThat(all).as("hit ratio per category")
        .contains("sum by (category) (rate(ratecache_cache_requests_total{job=~\"$job\",result=\"hit\"}");
    assertThat(all).as("rejections per profile")
        .contains("sum by (profile) (rate(ratecache_ratelimit_decisions_total{job=~\"$job\",outcome=\"rejected\"}");
    assertThat(all).as("Redis up").contains("ratecache_redis_up");
    assertThat(all).as("fallback time").contains("ratecache_redis_fallback_seconds");
  }
}
