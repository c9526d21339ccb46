package dev.ratecache.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The in-process parts of a rate-limit decision, each alone: what the filter costs before and
 * after the Redis round trip. Run with {@code mvn -B -Pjmh test-compile exec:exec}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class RateLimitBenchmarks {
  private RouteTable routes;
  private ClientKeyResolver resolver;
  private RequestView plainRequest;
  private RequestView apiKeyRequest;
  private RequestView proxiedRequest;
  private RateLimitDecision decision;
  private LocalBucketStore local;
  private BucketConfiguration bigLimit;
  private final AtomicLong counter = new AtomicLong();

  /** A fixed request for the resolver. */
  private record View(String path, String remote, Map<String, List<String>> headers)
      implements RequestView {
    @Override
    public String method() {
      return "POST";
    }

    @Override
    public String principal() {
      return null;
    }

    @Override
    public List<String> headers(String name) {
      return headers.getOrDefault(name, List.of());
    }

    @Override
    public Object attribute(String name) {
      return null;
    }

    @Override
    public String remoteAddress() {
      return remote;
    }
  }

  @Setup
  public void setUp() {
    routes = RouteTable.compile(RateLimitProfile.defaults(), true);
    resolver = ClientKeyResolver.builder().trustedProxies("10.0.0.0/8")
        .apiKeyVerifier(ApiKeyVerifier.of(key -> key.startsWith("sk_live_"))).build();
    plainRequest = new View("/api/chat", "203.0.113.7", Map.of());
    apiKeyRequest = new View("/api/chat", "203.0.113.7", Map.of("X-API-Key",
        List.of("sk_live_0123456789abcdef")));
    proxiedRequest = new View("/api/chat", "10.1.2.3", Map.of("X-Forwarded-For",
        List.of("198.51.100.1, 203.0.113.7, 10.0.0.2")));
    decision = new RateLimitDecision(RateLimitDecision.Outcome.ALLOWED,
        RateLimitProfile.defaults().get(0), "ip:203.0.113.7", 17, 9, 0,
        RateLimitDecision.Backend.REDIS);
    local = new LocalBucketStore(100_000, Duration.ofMinutes(1), Clock.systemUTC());
    bigLimit = BucketConfiguration.builder()
        .addLimit(Limit.of(1_000_000_000L, Duration.ofSeconds(1)).toBandwidth()).build();
  }

  @Benchmark
  public RateLimitProfile routeCanonicalPath() {
    return routes.match("POST", "/api/chat/42/messages");
  }

  @Benchmark
  public RateLimitProfile routeOddPath() {
    return routes.match("POST", "//api/./CHAT;x=1/%34%32");
  }

  @Benchmark
  public RateLimitProfile routeUnguardedPath() {
    return routes.match("GET", "/static/app.js");
  }

  @Benchmark
  public String clientKeyFromIp() {
    return resolver.resolve(plainRequest);
  }

  @Benchmark
  public String clientKeyFromApiKey() {
    return resolver.resolve(apiKeyRequest);
  }

  @Benchmark
  public String clientKeyBehindProxies() {
    return resolver.resolve(proxiedRequest);
  }

  @Benchmark
  public int headersDraft() {
    int[] length = {0};
    RateLimitHeaders.apply(decision, HeaderStyle.DRAFT, (k, v) -> length[0] += v.length());
    return length[0];
  }

  @Benchmark
  public BucketStore.Probe localBucketHotKey() {
    return local.tryConsume("open:k:hot", bigLimit);
  }

  @Benchmark
  public BucketStore.Probe localBucketTenThousandKeys() {
    return local.tryConsume("open:k:" + (counter.incrementAndGet() % 10_000), bigLimit);
  }
}
