package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.Hashing;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides who a request comes from, as a short key safe to put in Redis.
 *
 * <p>First, a verified identity the application published as the request attribute {@link
 * #CLIENT_ATTRIBUTE} ({@code c:<id>}): the application's own authentication knows best, and a
 * request attribute cannot be set by a client. Then the configured strategies, in order: the
 * authenticated principal ({@code u:alice}; case folded by default, as most realms compare
 * names), an API key that an {@link ApiKeyVerifier} accepts ({@code k:<hash>}; without a
 * verifier keys are ignored, since an anonymous client could send a new one with every request),
 * then the client address ({@code ip:203.0.113.9}).
 *
 * <p>The address is the direct peer's, unless the peer is a configured trusted proxy: then the
 * chain in the one forwarding header that proxy owns ({@link ForwardedHeader}, {@code
 * X-Forwarded-For} by default; the other header is ignored, since a proxy that appends one
 * usually passes the other through from the client) is walked from the right past every trusted
 * hop, and the first other hop is the client. A hop the proxy could not name (RFC 7239's {@code
 * unknown}, an empty element, garbage) makes the client {@code ip:unknown}, and an obfuscated
 * identifier ({@code _hidden}) is the client's identity: neither falls back to the proxy's own
 * address, which would put every client behind it in one bucket. IPv6 clients are grouped by a
 * prefix (default /64), since one host commonly holds a whole /64. Keys are hashed; other values
 * that are long or contain anything outside {@code [A-Za-z0-9._@+-]} are hashed too, so client
 * input never reaches Redis as written.
 *
 * <p>Immutable and thread-safe.
 */
public final class ClientKeyResolver {
  // The identity prefixes of every client key (the only place they are spelled).
  private static final String PRINCIPAL_PREFIX = "u:";
  private static final String API_KEY_PREFIX = "k:";
  private static final String IP_PREFIX = "ip:";
  private static final String CLIENT = "c:";
  private static final String APP = "app:";
  private static final String ACCOUNT = "a:";
  private static final String ANONYMOUS = "anonymous";
  private static final java.util.List<String> PREFIXES =
      java.util.List.of(PRINCIPAL_PREFIX, API_KEY_PREFIX, IP_PREFIX, CLIENT, APP, ACCOUNT);

  private static final Logger log = LoggerFactory.getLogger(ClientKeyResolver.class);

  /**
   * The request attribute under which an application's authentication may publish the verified
   * client (any object; its {@code toString()} is the identity), for example the account an API
   * key belongs to. It wins over every strategy.
   */
  public static final String CLIENT_ATTRIBUTE = "dev.ratecache.client";

  /**
   * The request attribute under which an application may publish the client's plan (a plan
   * name, {@code pro}; limits per plan are {@code profile.<name>.limit.<plan>}). It wins over
   * the plan an {@link ApiKeyVerifier} names; a malformed name is ignored. Clients cannot set
   * request attributes, so they cannot choose their plan.
   */
  public static final String PLAN_ATTRIBUTE = "dev.ratecache.plan";

  /**
   * The request attribute under which an application names the account a request acts on (the
   * user name a login form tries), for profiles keyed by account ({@link BucketKey}); its {@code
   * toString()} is the account, case folded as principals are.
   */
  public static final String ACCOUNT_ATTRIBUTE = "dev.ratecache.account";

  /**
   * The bucket's client for a profile keyed by {@code key}: the client, the account the request
   * names ({@code a:<account>}), or both ({@code a:<account>+<client>}); the client alone when
   * the request names no account.
   */
  String bucketClient(BucketKey key, RequestView request, String client) {
    if (key == BucketKey.CLIENT) {
      return client;
    }
    Object attribute = request.attribute(ACCOUNT_ATTRIBUTE);
    return bucketClient(key, attribute == null ? null : attribute.toString(), client);
  }

  /** {@link #bucketClient(BucketKey, RequestView, String)} for an account given as text. */
  String bucketClient(BucketKey key, String named, String client) {
    String account = named == null ? null : named.trim();
    if (key == BucketKey.CLIENT || account == null || account.isEmpty()) {
      return client;
    }
    String a = safe(ACCOUNT, foldPrincipalCase ? account.toLowerCase(Locale.ROOT) : account);
    return key == BucketKey.ACCOUNT ? a : a + "+" + client;
  }

  /**
   * Who a request comes from: its client key, and the plan its verified identity is on, if any.
   */
  record Identity(String key, String plan) {}

  /** A way of identifying a client. */
  public enum Strategy {
    /** The authenticated user ({@code getUserPrincipal()}). */
    PRINCIPAL,
    /** A header carrying an API key; counts only when an {@link ApiKeyVerifier} accepts it. */
    API_KEY,
    /** The client IP address. */
    IP
  }

  /** The forwarding header a trusted proxy sets; only that one is read. */
  public enum ForwardedHeader {
    /** {@code X-Forwarded-For: client, proxy1} (nginx, HAProxy, cloud load balancers). */
    X_FORWARDED_FOR("X-Forwarded-For"),
    /** RFC 7239 {@code Forwarded: for=client;proto=https, for=proxy1}. */
    FORWARDED("Forwarded");

    private final String headerName;

    ForwardedHeader(String headerName) {
      this.headerName = headerName;
    }

    /** The header's name. */
    public String headerName() {
      return headerName;
    }
  }

  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9._@+-]{1,64}");
  /** RFC 7239 obfuscated node: "_" followed by ALPHA / DIGIT / "." / "_" / "-". */
  private static final Pattern OBFUSCATED = Pattern.compile("_[A-Za-z0-9._-]{1,63}");

  private final List<Strategy> strategies;
  private final String apiKeyHeader;
  private final ApiKeyVerifier apiKeyVerifier;
  private final List<IpAddress.Cidr> trustedProxies;
  private final ForwardedHeader forwardedHeader;
  private final int ipv6Prefix;
  private final boolean foldPrincipalCase;

  private ClientKeyResolver(Builder b) {
    this.strategies = List.copyOf(b.strategies);
    this.apiKeyHeader = b.apiKeyHeader;
    this.apiKeyVerifier = b.apiKeyVerifier;
    this.trustedProxies = List.copyOf(b.trustedProxies);
    this.forwardedHeader = b.forwardedHeader;
    this.ipv6Prefix = b.ipv6Prefix;
    this.foldPrincipalCase = b.foldPrincipalCase;
  }

  /**
   * Principal, then a verified {@code X-API-Key}, then IP; no trusted proxies ({@code
   * X-Forwarded-For} once some are set); IPv6 grouped by /64; principals compared without case.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The key for this request; never null, at most about 70 characters. */
  String resolve(RequestView request) {
    return identify(request).key();
  }

  /**
   * The key for this request and its plan: the application's {@link #PLAN_ATTRIBUTE} if set and
   * well formed, else the plan the verifier gave the API key that identified the client.
   */
  Identity identify(RequestView request) {
    Object attribute = request.attribute(PLAN_ATTRIBUTE);
    String plan = attribute == null ? null : attribute.toString();
    if (plan != null && !RateLimitProfile.isPlanName(plan)) {
      plan = null;
    }
    Object verified = request.attribute(CLIENT_ATTRIBUTE);
    if (verified != null && !verified.toString().isBlank()) {
      return new Identity(safe(CLIENT, verified.toString()), plan);
    }
    for (Strategy s : strategies) {
      switch (s) {
        case PRINCIPAL -> {
          String p = request.principal();
          if (p != null && !p.isEmpty()) {
            return new Identity(
                safe(PRINCIPAL_PREFIX, foldPrincipalCase ? p.toLowerCase(Locale.ROOT) : p), plan);
          }
        }
        case API_KEY -> {
          ApiKeyVerifier.Owner owner = verifiedApiKeyOwner(request);
          if (owner != null) {
            String keyPlan = plan != null ? plan
                : RateLimitProfile.isPlanName(owner.plan()) ? owner.plan() : null;
            return new Identity(API_KEY_PREFIX + hash(owner.id()), keyPlan);
          }
        }
        case IP -> {
          return new Identity(IP_PREFIX + clientIp(request), plan);
        }
      }
    }
    // No strategy produced a key (IP not configured): every such request shares one bucket.
    return new Identity(ANONYMOUS, plan);
  }

  /**
   * The client key for an operator's name of one client: an identity as {@link #keyOf} reads it,
   * or an address ({@code 203.0.113.7}; an IPv6 one stands for its group, /64 by default, as
   * clients are keyed); null if the text names neither.
   */
  String clientKeyOf(String operatorName) {
    String key = keyOf(operatorName);
    if (key != null) {
      return key;
    }
    InetAddress address = operatorName.matches("[0-9A-Fa-f.:]+")
        ? IpAddress.parse(operatorName) : null;
    return address == null ? null : IP_PREFIX + IpAddress.group(address, ipv6Prefix);
  }

  /**
   * {@link #clientKeyOf}, for an operator's call (explain, reset): the client key of {@code
   * operatorName}.
   *
   * @throws IllegalArgumentException naming the forms accepted if it names no client
   */
  String requireClientKeyOf(String operatorName) {
    String key = operatorName == null ? null : clientKeyOf(operatorName.trim());
    if (key == null) {
      throw new IllegalArgumentException("'" + operatorName + "' names no client: use an"
          + " address, user:<name>, key:<owner>, client:<id> or app:<id>");
    }
    return key;
  }

  /** What kind of identity a client key is, for people (explain). */
  static String kindOf(String clientKey) {
    if (clientKey.startsWith(IP_PREFIX)) {
      return "address (IPv6: its group)";
    } else if (clientKey.startsWith(PRINCIPAL_PREFIX)) {
      return "user (principal)";
    } else if (clientKey.startsWith(API_KEY_PREFIX)) {
      return "verified API key's owner";
    } else if (clientKey.startsWith(CLIENT)) {
      return "application-set client";
    } else if (clientKey.startsWith(APP)) {
      return "application key (tryAcquire)";
    } else if (clientKey.startsWith(ACCOUNT)) {
      return "account";
    }
    return clientKey;
  }

  /** The owner of the request's API key if a verifier accepts it, else null. */
  private ApiKeyVerifier.Owner verifiedApiKeyOwner(RequestView request) {
    if (apiKeyVerifier == null) {
      return null; // unverified keys never mint buckets
    }
    List<String> keys = request.headers(apiKeyHeader);
    if (keys.isEmpty() || keys.get(0).isBlank()) {
      return null;
    }
    ApiKeyVerifier.Owner owner = apiKeyVerifier.owner(keys.get(0).trim());
    return owner == null || owner.id().isBlank() ? null : owner;
  }

  /**
   * The client key an operator's name for a client stands for ({@code user:alice}, {@code
   * key:<owner>}, {@code client:<id>}, {@code app:<id>}), spelled exactly as {@link #resolve}
   * spells it; null if the text names no identity.
   */
  String keyOf(String operatorName) {
    int colon = operatorName.indexOf(':');
    if (colon <= 0 || colon == operatorName.length() - 1) {
      return null;
    }
    String value = operatorName.substring(colon + 1);
    switch (operatorName.substring(0, colon)) {
      case "user":
        return safe(PRINCIPAL_PREFIX, foldPrincipalCase ? value.toLowerCase(Locale.ROOT) : value);
      case "key":
        return API_KEY_PREFIX + hash(value);
      case "client":
        return safe(CLIENT, value);
      case "app":
        return forApplication(value);
      default:
        return null;
    }
  }

  /**
   * Who the request came from after trusted proxies: its address, or, when that is not an
   * address, the text that stood for it (the peer's own, or the node a trusted proxy wrote).
   */
  private record Origin(InetAddress address, String text) {}

  /** Walks from the nearest hop outward; the first hop that is not ours is the client. */
  private Origin origin(RequestView request) {
    InetAddress peer = IpAddress.parse(request.remoteAddress());
    if (peer == null) {
      return new Origin(null, String.valueOf(request.remoteAddress()));
    }
    InetAddress client = peer;
    if (isTrusted(peer)) {
      List<String> chain = forwardedChain(request);
      for (int i = chain.size() - 1; i >= 0; i--) {
        String node = chain.get(i);
        InetAddress hop = IpAddress.parse(node);
        if (hop == null) {
          // Written by a trusted proxy that could not (or would not) name its peer.
          return new Origin(null, OBFUSCATED.matcher(node).matches() ? node : null);
        }
        client = hop;
        if (!isTrusted(hop)) {
          break;
        }
      }
    }
    return new Origin(client, null);
  }

  /**
   * The client's address after trusted proxies (not grouped), or null when the request names
   * none that parses (an obfuscated or unknown hop): what allow and deny lists match.
   */
  InetAddress clientAddress(RequestView request) {
    return origin(request).address();
  }

  /** The client IP, grouped, or the identity a trusted proxy gave; see the class comment. */
  String clientIp(RequestView request) {
    Origin o = origin(request);
    if (o.address() != null) {
      return IpAddress.group(o.address(), ipv6Prefix);
    }
    return o.text() != null ? safe("", o.text()) : "unknown";
  }

  private boolean isTrusted(InetAddress address) {
    for (IpAddress.Cidr c : trustedProxies) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  /** The nodes of the configured forwarding header, in order (every header line, joined). */
  private List<String> forwardedChain(RequestView request) {
    List<String> chain = new ArrayList<>();
    for (String header : request.headers(forwardedHeader.headerName())) {
      if (forwardedHeader == ForwardedHeader.FORWARDED) {
        Forwarded.forNodes(header, chain);
      } else {
        for (String part : header.split(",", -1)) {
          chain.add(Forwarded.unquote(part.trim()));
        }
      }
    }
    return chain;
  }

  /**
   * Whether {@code key} is already a client key as {@link #resolve} or {@link #forApplication}
   * make them (a principal, a verified key, an address, an application-set client, an
   * application's own key, or {@code anonymous}), rather than an application's raw identifier.
   * The resolver owns these prefixes; nothing else spells them.
   */
  static boolean isResolved(String key) {
    for (String prefix : PREFIXES) {
      if (key.startsWith(prefix)) {
        return true;
      }
    }
    return key.equals(ANONYMOUS);
  }

  /** The client key for an identifier the application passes in code ({@code app:...}). */
  static String forApplication(String clientKey) {
    return safe(APP, clientKey);
  }

  /** {@code prefix + value} if value is short and plain, else {@code prefix + "h:" + hash}. */
  static String safe(String prefix, String value) {
    if (SAFE.matcher(value).matches()) {
      return prefix + value;
    }
    return prefix + "h:" + hash(value);
  }

  /** 128 bits of SHA-256, base64url: short, and collisions are not a practical concern. */
  static String hash(String value) {
    return Hashing.sha256Short(value);
  }

  /** Builds a {@link ClientKeyResolver}. Not thread-safe. */
  public static final class Builder {
    private List<Strategy> strategies =
        List.of(Strategy.PRINCIPAL, Strategy.API_KEY, Strategy.IP);
    private String apiKeyHeader = "X-API-Key";
    private ApiKeyVerifier apiKeyVerifier;
    private final List<IpAddress.Cidr> trustedProxies = new ArrayList<>();
    private ForwardedHeader forwardedHeader = ForwardedHeader.X_FORWARDED_FOR;
    private int ipv6Prefix = 64;
    private boolean foldPrincipalCase = true;

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

    /**
     * Which API keys count (see {@link ApiKeyVerifier}); without one, API keys are ignored.
     */
    public Builder apiKeyVerifier(ApiKeyVerifier verifier) {
      this.apiKeyVerifier = Objects.requireNonNull(verifier, "apiKeyVerifier");
      return this;
    }

    /**
     * Adds trusted proxies: IPs or CIDR blocks, such as {@code 10.0.0.0/8, ::1}. A block that
     * trusts every address ({@code 0.0.0.0/0}, {@code ::/0}) lets any client choose its identity
     * and is logged as a warning when the resolver is built.
     */
    public Builder trustedProxies(String cidrs) {
      for (String part : cidrs.split(",")) {
        if (!part.isBlank()) {
          trustedProxies.add(IpAddress.Cidr.parse(part, "trusted-proxies"));
        }
      }
      return this;
    }

    /** The forwarding header the trusted proxies set. Default {@code X-Forwarded-For}. */
    public Builder forwardedHeader(ForwardedHeader header) {
      this.forwardedHeader = Objects.requireNonNull(header, "forwardedHeader");
      return this;
    }

    /** Parses {@code x-forwarded-for} or {@code forwarded}. */
    public Builder forwardedHeader(String name) {
      String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT).replace('_', '-');
      return forwardedHeader(switch (n) {
        case "x-forwarded-for" -> ForwardedHeader.X_FORWARDED_FOR;
        case "forwarded" -> ForwardedHeader.FORWARDED;
        default -> throw new ConfigurationException("forwarded-header", "'" + name
            + "' is not a forwarding header; use x-forwarded-for or forwarded");
      });
    }

    /**
     * Whether {@code Alice} and {@code alice} are one client. Default true, as most user stores
     * compare names without case; a false merge only shares a bucket, never frees one.
     */
    public Builder foldPrincipalCase(boolean fold) {
      this.foldPrincipalCase = fold;
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

    /** Builds; warns (once, here) if a trusted-proxy block trusts every address. */
    public ClientKeyResolver build() {
      Objects.requireNonNull(strategies);
      for (IpAddress.Cidr c : trustedProxies) {
        if (c.prefixLength() == 0) {
          log.warn("trusted-proxies includes a block that trusts every address ({}): any client"
              + " can choose its rate-limit identity with {}; name only your proxies",
              c.prefixLength() == 0 && c.network().length == 4 ? "0.0.0.0/0" : "::/0",
              forwardedHeader.headerName());
        }
      }
      return new ClientKeyResolver(this);
    }
  }
}
