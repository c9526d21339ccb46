package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Decides who a request comes from, as a short key safe to put in Redis: the authenticated
 * principal ({@code u:alice}), then an API-key header ({@code k:<hash>}), then the client IP
 * ({@code ip:203.0.113.9}), in the order configured.
 *
 * <p>The client IP is read from {@code Forwarded} (RFC 7239) or {@code X-Forwarded-For} only when
 * the direct peer is a configured trusted proxy, walking the chain from the right past every
 * trusted hop; otherwise it is the peer's address, so a spoofed header from anyone else changes
 * nothing. IPv6 clients are grouped by a prefix (default /64), since one host commonly holds a
 * whole /64. API keys are always hashed; other values that are long or contain anything outside
 * {@code [A-Za-z0-9._@+-]} are hashed too, so client input never reaches Redis as written.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClientKeyResolver {
  /** A way of identifying a client. */
  public enum Strategy {
    /** The authenticated user ({@code getUserPrincipal()}). */
    PRINCIPAL,
    /** A header carrying an API key. */
    API_KEY,
    /** The client IP address. */
    IP
  }

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");

  private final List<Strategy> strategies;
  private final String apiKeyHeader;
  private final List<IpAddress.Cidr> trustedProxies;
  private final int ipv6Prefix;

  private ClientKeyResolver(Builder b) {
    this.strategies = List.copyOf(b.strategies);
    this.apiKeyHeader = b.apiKeyHeader;
    this.trustedProxies = List.copyOf(b.trustedProxies);
    this.ipv6Prefix = b.ipv6Prefix;
  }

  /** Principal, then {@code X-API-Key}, then IP; no trusted proxies; IPv6 grouped by /64. */
  public static Builder builder() {
    return new Builder();
  }

  /** The key for this request; never null, at most about 70 characters. */
  String resolve(RequestView request) {
    for (Strategy s : strategies) {
      switch (s) {
        case PRINCIPAL -> {
          String p = request.principal();
          if (p != null && !p.isEmpty()) {
            return safe("u:", p);
          }
        }
        case API_KEY -> {
          List<String> keys = request.headers(apiKeyHeader);
          if (!keys.isEmpty() && !keys.get(0).isBlank()) {
            return "k:" + hash(keys.get(0).trim());
          }
        }
        case IP -> {
          return "ip:" + clientIp(request);
        }
      }
    }
    // No strategy produced a key (IP not configured): every such request shares one bucket.
    return "anonymous";
  }

  /** The client IP, grouped; see the class comment for the trust rules. */
  String clientIp(RequestView request) {
    InetAddress peer = IpAddress.parse(request.remoteAddress());
    if (peer == null) {
      return safe("", String.valueOf(request.remoteAddress()));
    }
    InetAddress client = peer;
    if (isTrusted(peer)) {
      List<String> chain = forwardedChain(request);
      // Walk from the nearest hop outward; the first address not ours is the client.
      for (int i = chain.size() - 1; i >= 0; i--) {
        InetAddress hop = IpAddress.parse(chain.get(i));
        if (hop == null) {
          break; // garbage added by a trusted hop: keep the last good address
        }
        client = hop;
        if (!isTrusted(hop)) {
          break;
        }
      }
    }
    return IpAddress.group(client, ipv6Prefix);
  }

  private boolean isTrusted(InetAddress address) {
    for (IpAddress.Cidr c : trustedProxies) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** The {@code for=} addresses of {@code Forwarded}, else the {@code X-Forwarded-For} list. */
  private static List<String> forwardedChain(RequestView request) {
    List<String> chain = new ArrayList<>();
    List<String> forwarded = request.headers("Forwarded");
    if (!forwarded.isEmpty()) {
      for (String header : forwarded) {
        for (String element : header.split(",")) {
          String forValue = null;
          for (String pair : element.split(";")) {
            int eq = pair.indexOf('=');
            if (eq > 0 && pair.substring(0, eq).trim().equalsIgnoreCase("for")) {
              forValue = pair.substring(eq + 1).trim();
            }
          }
          if (forValue != null) {
            if (forValue.length() >= 2 && forValue.startsWith("\"") && forValue.endsWith("\"")) {
              forValue = forValue.substring(1, forValue.length() - 1);
            }
            chain.add(forValue);
          } else {
            chain.add(""); // an element without for= is an unknown hop
          }
        }
      }
      return chain;
    }
    for (String header : request.headers("X-Forwarded-For")) {
      for (String part : header.split(",")) {
        chain.add(part.trim());
      }
    }
    return chain;
  }

  /** {@code prefix + value} if value is short and plain, else {@code prefix + "h:" + hash}. */
  static String safe(String prefix, String value) {
    if (SAFE.matcher(value).matches()) {
      return prefix + value;
    }
    return prefix + "h:" + hash(value);
  }

  /** One digest per thread: looking a provider up on every request showed in profiles. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every JVM", e);
    }
  });

  /** 128 bits of SHA-256, base64url: short, and collisions are not a practical concern. */
  static String hash(String value) {
    byte[] digest = SHA256.get().digest(value.getBytes(StandardCharsets.UTF_8));
    return Base64.getUrlEncoder().withoutPadding()
        .encodeToString(java.util.Arrays.copyOf(digest, 16));
  }

  /** Builds a {@link ClientKeyResolver}. Not thread-safe. */
  public static final class Builder {
    private List<Strategy> strategies =
        List.of(Strategy.PRINCIPAL, Strategy.API_KEY, Strategy.IP);
    private String apiKeyHeader = "X-API-Key";
    private final List<IpAddress.Cidr> trustedProxies = new ArrayList<>();
    private int ipv6Prefix = 64;

    private Builder() {}

    /** The strategies, tried in order. Default principal, API key, IP. */
    public Builder strategies(Strategy... order) {
      if (order.length == 0) {
        throw new ConfigurationException("key-strategy", "must name at least one strategy");
      }
      this.strategies = List.of(order);
      return this;
    }

    /** Parses {@code principal,api-key,ip} (any order or subset). */
    public Builder strategies(String text) {
      List<Strategy> parsed = new ArrayList<>();
      for (String part : text.split(",")) {
        String p = part.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (p.isEmpty()) {
          continue;
        }
        parsed.add(switch (p) {
          case "principal", "user" -> Strategy.PRINCIPAL;
          case "api-key", "apikey" -> Strategy.API_KEY;
          case "ip" -> Strategy.IP;
          default -> throw new ConfigurationException("key-strategy", "unknown strategy '"
              + part.trim() + "'; use principal, api-key or ip");
        });
      }
      return strategies(parsed.toArray(Strategy[]::new));
    }

    /** The API-key header. Default {@code X-API-Key}. */
    public Builder apiKeyHeader(String header) {
      if (header == null || !header.matches("[A-Za-z0-9-]{1,64}")) {
        throw new ConfigurationException("api-key-header", "'" + header
            + "' is not a valid header name");
      }
      this.apiKeyHeader = header;
      return this;
    }

    /** Adds trusted proxies: IPs or CIDR blocks, such as {@code 10.0.0.0/8, ::1}. */
    public Builder trustedProxies(String cidrs) {
      for (String part : cidrs.split(",")) {
        if (!part.isBlank()) {
          trustedProxies.add(IpAddress.Cidr.parse(part, "trusted-proxies"));
        }
      }
      return this;
    }

    /** The IPv6 prefix length clients are grouped by, 1 to 128. Default 64. */
    public Builder ipv6Prefix(int bits) {
      if (bits < 1 || bits > 128) {
        throw new ConfigurationException("ipv6-prefix", "must be 1-128, got " + bits);
      }
      this.ipv6Prefix = bits;
      return this;
    }

    public ClientKeyResolver build() {
      Objects.requireNonNull(strategies);
      return new ClientKeyResolver(this);
    }
  }
}
