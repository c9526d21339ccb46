package dev.ratecache.redis;

import dev.ratecache.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Function;

/**
 * How to reach Redis and how to behave when it cannot be reached; an immutable value.
 *
 * <p>(Longer than most files here for a reason: the value, its {@link Name}s and its {@link
 * Builder} are public API and belong together; reading named values lives in {@code
 * RedisSettingsReader}, URL parsing in {@code RedisUrl}, TLS files are read by the connector.)
 *
 * <p>Three ways to make one, all validated with messages that name the offending setting:
 *
 * <ul>
 *   <li>{@link #fromEnvironment()} reads the process environment ({@code REDIS_HOST},
 *       {@code REDIS_PORT}, {@code REDIS_PASSWORD}, {@code REDIS_DB}, {@code REDIS_URL},
 *       {@code REDIS_CLUSTER_NODES}, {@code REDIS_SENTINELS} …; see {@link Name});
 *   <li>{@link #fromProperties(Map)} reads the same names from a map such as servlet init-params,
 *       where {@code redis.host} and {@code REDIS_HOST} are the same setting;
 *   <li>{@link #builder()} for Java code, and {@link #fromUrl(String)} for a single URL.
 * </ul>
 *
 * <p>Topology is chosen by what is set: {@code REDIS_CLUSTER_NODES} selects Cluster,
 * {@code REDIS_SENTINELS} selects Sentinel, otherwise standalone from {@code REDIS_URL} or
 * {@code REDIS_HOST}/{@code REDIS_PORT}. {@code REDIS_URL}, when set, takes precedence over
 * host, port, user, password, database and TLS.
 *
 * <p>Equal settings share one client when obtained through {@link RedisConnector#shared}.
 * {@link #toString()} never prints a password.
 */
public final class RedisSettings {

  /**
   * The names of every setting, as environment variables. In a properties map the lower-case,
   * dotted form ({@code redis.host}) is accepted too.
   */
  public static final class Name {
    public static final String ENABLED = "REDIS_ENABLED";
    public static final String URL = "REDIS_URL";
    public static final String HOST = "REDIS_HOST";
    public static final String PORT = "REDIS_PORT";
    public static final String USERNAME = "REDIS_USERNAME";
    public static final String PASSWORD = "REDIS_PASSWORD";
    public static final String DB = "REDIS_DB";
    public static final String TLS = "REDIS_TLS";
    public static final String TLS_CA_CERT_FILE = "REDIS_TLS_CA_CERT_FILE";
    public static final String TLS_CERT_FILE = "REDIS_TLS_CERT_FILE";
    public static final String TLS_KEY_FILE = "REDIS_TLS_KEY_FILE";
    public static final String TLS_VERIFY = "REDIS_TLS_VERIFY";
    public static final String CLUSTER_NODES = "REDIS_CLUSTER_NODES";
    public static final String SENTINELS = "REDIS_SENTINELS";
    public static final String SENTINEL_MASTER = "REDIS_SENTINEL_MASTER";
    public static final String SENTINEL_PASSWORD = "REDIS_SENTINEL_PASSWORD";
    public static final String CLIENT_NAME = "REDIS_CLIENT_NAME";
    public static final String CONNECT_TIMEOUT_MS = "REDIS_CONNECT_TIMEOUT_MS";
    public static final String SOCKET_TIMEOUT_MS = "REDIS_SOCKET_TIMEOUT_MS";
    public static final String POOL_MAX_TOTAL = "REDIS_POOL_MAX_TOTAL";
    public static final String POOL_MAX_WAIT_MS = "REDIS_POOL_MAX_WAIT_MS";
    public static final String CLUSTER_MAX_ATTEMPTS = "REDIS_CLUSTER_MAX_ATTEMPTS";
    public static final String CLUSTER_MAX_RETRY_MS = "REDIS_CLUSTER_MAX_RETRY_MS";
    public static final String FAILURE_THRESHOLD = "REDIS_FAILURE_THRESHOLD";
    public static final String SLOW_CALL_MS = "REDIS_SLOW_CALL_MS";
    public static final String PROBE_INITIAL_MS = "REDIS_PROBE_INITIAL_MS";
    public static final String PROBE_MAX_MS = "REDIS_PROBE_MAX_MS";
    public static final String WAIT_REPLICAS = "REDIS_WAIT_REPLICAS";
    public static final String WAIT_REPLICAS_TIMEOUT_MS = "REDIS_WAIT_REPLICAS_TIMEOUT_MS";

    /** Every setting name, in documentation order. */
    public static final List<String> ALL =
        List.of(ENABLED, URL, HOST, PORT, USERNAME, PASSWORD, DB, TLS, TLS_CA_CERT_FILE,
            TLS_CERT_FILE, TLS_KEY_FILE, TLS_VERIFY, CLUSTER_NODES, SENTINELS,
            SENTINEL_MASTER, SENTINEL_PASSWORD, CLIENT_NAME, CONNECT_TIMEOUT_MS,
            SOCKET_TIMEOUT_MS, POOL_MAX_TOTAL, POOL_MAX_WAIT_MS, CLUSTER_MAX_ATTEMPTS,
            CLUSTER_MAX_RETRY_MS, FAILURE_THRESHOLD, SLOW_CALL_MS, PROBE_INITIAL_MS,
            PROBE_MAX_MS, WAIT_REPLICAS, WAIT_REPLICAS_TIMEOUT_MS);

    private Name() {}
  }

  /** A host and port; {@link #toString()} brackets IPv6 literals. */
  public record Endpoint(String host, int port) {
    public Endpoint {
      Objects.requireNonNull(host, "host");
    }

    @Override
    public String toString() {
      return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
  }

  /** How much of the server's certificate TLS checks. */
  public enum TlsVerify {
    /** The chain up to a trusted CA, and the host name we connected to (the default). */
    FULL,
    /**
     * The chain only: for servers reached by an address their certificate does not name, such as
     * cluster nodes announced by IP.
     */
    CA
  }

  static final String DEFAULT_HOST = "localhost";
  static final int DEFAULT_PORT = 6379;

  private final boolean enabled;
  private final RedisTopology topology;
  private final String username;
  private final String password;
  private final boolean tls;
  private final java.nio.file.Path tlsCaCertFile;
  private final java.nio.file.Path tlsCertFile;
  private final java.nio.file.Path tlsKeyFile;
  private final TlsVerify tlsVerify;
  private final String clientName;
  private final Duration connectTimeout;
  private final Duration socketTimeout;
  private final int poolMaxTotal;
  private final Duration poolMaxWait;
  private final int failureThreshold;
  private final Duration slowCallThreshold;
  private final Backoff probeBackoff;
  private final int waitReplicas;
  private final Duration waitReplicasTimeout;

  private RedisSettings(Builder b) {
    this.enabled = b.enabled;
    this.topology = switch (b.mode) {
      case STANDALONE -> new RedisTopology.Standalone(b.endpoints.get(0), b.database);
      case SENTINEL -> new RedisTopology.Sentinel(b.sentinelMaster, b.endpoints,
          b.sentinelPassword, b.database);
      case CLUSTER -> new RedisTopology.Cluster(b.endpoints, b.clusterMaxAttempts,
          b.clusterMaxRetryDuration);
    };
    this.username = b.username;
    this.password = b.password;
    this.tls = b.tls;
    this.tlsCaCertFile = b.tlsCaCertFile;
    this.tlsCertFile = b.tlsCertFile;
    this.tlsKeyFile = b.tlsKeyFile;
    this.tlsVerify = b.tlsVerify;
    this.clientName = b.clientName;
    this.connectTimeout = b.connectTimeout;
    this.socketTimeout = b.socketTimeout;
    this.poolMaxTotal = b.poolMaxTotal;
    this.poolMaxWait = b.poolMaxWait;
    this.failureThreshold = b.failureThreshold;
    this.slowCallThreshold = b.slowCallThreshold != null ? b.slowCallThreshold : b.socketTimeout;
    this.probeBackoff = Backoff.exponential(b.probeInitial, b.probeMax);
    this.waitReplicas = b.waitReplicas;
    this.waitReplicasTimeout = b.waitReplicasTimeout;
  }

  /** A builder with every default: standalone {@code localhost:6379}, database 0, no auth. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads settings from the process environment.
   *
   * @throws ConfigurationException if a variable is malformed; the message names it
   */
  public static RedisSettings fromEnvironment() {
    return fromLookup(System::getenv);
  }

  /**
   * Reads settings from a map, such as servlet or filter init-params or a
   * {@link Properties} object. Keys may be written {@code REDIS_HOST} or {@code redis.host};
   * keys that are not Redis settings are ignored. Blank values count as unset.
   *
   * @throws ConfigurationException if a value is malformed; the message names its key
   */
  public static RedisSettings fromProperties(Map<?, ?> properties) {
    Map<String, String> normalised = new LinkedHashMap<>();
    properties.forEach((k, v) -> {
      if (k != null && v != null) {
        normalised.put(RedisSettingsReader.canonicalName(k.toString()), v.toString());
      }
    });
    return fromLookup(normalised::get);
  }

  /**
   * Reads settings through a lookup function that maps a setting {@link Name} to its value (or
   * {@code null}). This is the common path of {@link #fromEnvironment()} and
   * {@link #fromProperties(Map)}.
   *
   * @throws ConfigurationException if a value is malformed; the message names it
   */
  public static RedisSettings fromLookup(Function<String, String> lookup) {
    return RedisSettingsReader.read(lookup);
  }

  /**
   * Standalone settings from a {@code redis://} or {@code rediss://} (TLS) URL of the form
   * {@code redis://[user[:password]@]host[:port][/db]}, all other settings at their defaults.
   *
   * @throws ConfigurationException naming {@code REDIS_URL} if the URL is malformed
   */
  public static RedisSettings fromUrl(String url) {
    return builder().url(url, Name.URL).build();
  }


  // ---------------------------------------------------------------- accessors

  /** False when Redis is switched off ({@code REDIS_ENABLED=false}): everything uses memory. */
  public boolean enabled() {
    return enabled;
  }

  /** The deployment's shape and what belongs to it alone (server, sentinels, cluster seeds). */
  public RedisTopology topology() {
    return topology;
  }

  /**
   * The server for standalone, the seed nodes for Cluster, or the sentinels for Sentinel; never
   * empty ({@code topology().endpoints()}).
   */
  public List<Endpoint> endpoints() {
    return topology.endpoints();
  }

  /** The ACL user name, or {@code null} for the default user. */
  public String username() {
    return username;
  }

  /** The password, or {@code null} for no authentication. */
  public String password() {
    return password;
  }

  /** The database index; always 0 for Cluster. */
  public int database() {
    if (topology instanceof RedisTopology.Standalone s) {
      return s.database();
    }
    return topology instanceof RedisTopology.Sentinel s ? s.database() : 0;
  }

  public boolean tls() {
    return tls;
  }

  /** The PEM file of CA certificates to trust, or {@code null} for the JVM's trust store. */
  public java.nio.file.Path tlsCaCertFile() {
    return tlsCaCertFile;
  }

  /** The PEM client certificate chain presented to the server, or {@code null}. */
  public java.nio.file.Path tlsCertFile() {
    return tlsCertFile;
  }

  /** The PEM (PKCS#8) key of {@link #tlsCertFile()}, or {@code null}. */
  public java.nio.file.Path tlsKeyFile() {
    return tlsKeyFile;
  }

  public TlsVerify tlsVerify() {
    return tlsVerify;
  }

  public String clientName() {
    return clientName;
  }

  public Duration connectTimeout() {
    return connectTimeout;
  }

  public Duration socketTimeout() {
    return socketTimeout;
  }

  public int poolMaxTotal() {
    return poolMaxTotal;
  }

  public Duration poolMaxWait() {
    return poolMaxWait;
  }

  /** How many consecutive failed or slow calls mark Redis down. */
  public int failureThreshold() {
    return failureThreshold;
  }

  /** A call that succeeds but takes at least this long counts as a failure. */
  public Duration slowCallThreshold() {
    return slowCallThreshold;
  }

  /**
   * How many replicas must acknowledge an invalidation before it counts as made (Redis's {@code
   * WAIT}); 0, the default, waits for none.
   */
  public int waitReplicas() {
    return waitReplicas;
  }

  /** The longest an invalidation waits for {@link #waitReplicas()} acknowledgements. */
  public Duration waitReplicasTimeout() {
    return waitReplicasTimeout;
  }

  /** The schedule of background probes while Redis is down. */
  public Backoff probeBackoff() {
    return probeBackoff;
  }

  /** A short description for logs and health reports, without credentials. */
  public String describe() {
    if (!enabled) {
      return "disabled";
    }
    String nodes = endpoints().stream().map(Endpoint::toString)
        .reduce((a, c) -> a + "," + c).orElse("");
    if (topology instanceof RedisTopology.Sentinel s) {
      return "sentinel[" + s.master() + "@" + nodes + "]/" + s.database()
          + (tls ? " over TLS" : "");
    }
    if (topology instanceof RedisTopology.Cluster) {
      return "cluster[" + nodes + "]" + (tls ? " over TLS" : "");
    }
    return (tls ? "rediss://" : "redis://") + nodes + "/" + database();
  }

  /** A builder that starts from these settings. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.enabled = enabled;
    b.endpoints = new ArrayList<>(endpoints());
    b.database = database();
    if (topology instanceof RedisTopology.Sentinel s) {
      b.mode = Builder.Mode.SENTINEL;
      b.sentinelMaster = s.master();
      b.sentinelPassword = s.sentinelPassword();
    } else if (topology instanceof RedisTopology.Cluster c) {
      b.mode = Builder.Mode.CLUSTER;
      b.clusterMaxAttempts = c.maxAttempts();
      b.clusterMaxRetryDuration = c.maxRetryDuration();
    } else {
      b.mode = Builder.Mode.STANDALONE;
    }
    b.username = username;
    b.password = password;
    b.tls = tls;
    b.tlsCaCertFile = tlsCaCertFile;
    b.tlsCertFile = tlsCertFile;
    b.tlsKeyFile = tlsKeyFile;
    b.tlsVerify = tlsVerify;
    b.clientName = clientName;
    b.connectTimeout = connectTimeout;
    b.socketTimeout = socketTimeout;
    b.poolMaxTotal = poolMaxTotal;
    b.poolMaxWait = poolMaxWait;
    b.failureThreshold = failureThreshold;
    b.slowCallThreshold = slowCallThreshold;
    b.probeInitial = probeBackoff.initial();
    b.probeMax = probeBackoff.max();
    b.waitReplicas = waitReplicas;
    b.waitReplicasTimeout = waitReplicasTimeout;
    return b;
  }

  private List<Object> identity() {
    return java.util.Arrays.asList(enabled, topology, username, password, tls, tlsCaCertFile,
        tlsCertFile, tlsKeyFile, tlsVerify, clientName, connectTimeout, socketTimeout,
        poolMaxTotal, poolMaxWait, failureThreshold, slowCallThreshold, probeBackoff,
        waitReplicas, waitReplicasTimeout);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RedisSettings s && identity().equals(s.identity());
  }

  @Override
  public int hashCode() {
    return identity().hashCode();
  }

  @Override
  public String toString() {
    return "RedisSettings{" + describe()
        + (username != null ? ", user=" + username : "")
        + (password != null ? ", password=***" : "")
        + ", connectTimeout=" + connectTimeout.toMillis() + "ms"
        + ", socketTimeout=" + socketTimeout.toMillis() + "ms"
        + ", pool=" + poolMaxTotal + "/" + poolMaxWait.toMillis() + "ms"
        + "}";
  }

  // ---------------------------------------------------------------- parsing helpers

  static void checkPort(String name, int port) {
    if (port < 1 || port > 65535) {
      throw new ConfigurationException(name, "must be a port between 1 and 65535, got " + port);
    }
  }

  static void checkHost(String name, String host) {
    if (host == null || host.isBlank()) {
      throw new ConfigurationException(name, "host must not be empty");
    }
    for (int i = 0; i < host.length(); i++) {
      char c = host.charAt(i);
      if (Character.isWhitespace(c) || c == '/' || c == '@' || c == '?' || c == '#') {
        throw new ConfigurationException(name, "is not a valid host name: '" + host + "'");
      }
    }
  }

  /**
   * Builds {@link RedisSettings}. Not thread-safe; {@link #build()} validates every setting and
   * copies, so a builder may be reused.
   */
  public static final class Builder {
    /** Which shape the settings so far describe. */
    private enum Mode { STANDALONE, SENTINEL, CLUSTER }

    private boolean enabled = true;
    private Mode mode = Mode.STANDALONE;
    private List<Endpoint> endpoints = new ArrayList<>(
        List.of(new Endpoint(DEFAULT_HOST, DEFAULT_PORT)));
    private String sentinelMaster;
    private String sentinelPassword;
    private String username;
    private String password;
    private int database;
    private boolean tls;
    private java.nio.file.Path tlsCaCertFile;
    private java.nio.file.Path tlsCertFile;
    private java.nio.file.Path tlsKeyFile;
    private TlsVerify tlsVerify = TlsVerify.FULL;
    private String clientName = "ratecache";
    private Duration connectTimeout = Duration.ofMillis(500);
    private Duration socketTimeout = Duration.ofMillis(500);
    private int poolMaxTotal = 32;
    private Duration poolMaxWait = Duration.ofMillis(200);
    private int clusterMaxAttempts = 5;
    private Duration clusterMaxRetryDuration = Duration.ofSeconds(1);
    private int failureThreshold = 3;
    private Duration slowCallThreshold;
    private Duration probeInitial = Duration.ofMillis(250);
    private Duration probeMax = Duration.ofSeconds(5);
    private int waitReplicas;
    private Duration waitReplicasTimeout = Duration.ofMillis(100);

    private Builder() {}

    /** Switches Redis off entirely (default on): every feature uses its in-memory store. */
    public Builder enabled(boolean enabled) {
      this.enabled = enabled;
      return this;
    }

    /** A standalone server's host; keeps the current port. Default {@code localhost}. */
    public Builder host(String host) {
      checkHost(Name.HOST, host);
      Endpoint current = standaloneEndpoint();
      this.mode = Mode.STANDALONE;
      this.endpoints = new ArrayList<>(List.of(new Endpoint(host, current.port())));
      return this;
    }

    /** A standalone server's port; keeps the current host. Default 6379. */
    public Builder port(int port) {
      checkPort(Name.PORT, port);
      Endpoint current = standaloneEndpoint();
      this.mode = Mode.STANDALONE;
      this.endpoints = new ArrayList<>(List.of(new Endpoint(current.host(), port)));
      return this;
    }

    private Endpoint standaloneEndpoint() {
      return mode == Mode.STANDALONE && !endpoints.isEmpty()
          ? endpoints.get(0) : new Endpoint(DEFAULT_HOST, DEFAULT_PORT);
    }

    /**
     * Standalone settings from a URL ({@code redis://} or {@code rediss://}); sets host, port,
     * and, where the URL has them, user, password and database.
     */
    public Builder url(String url) {
      return url(url, Name.URL);
    }

    Builder url(String url, String settingName) {
      RedisUrl u = RedisUrl.parse(url, settingName);
      this.mode = Mode.STANDALONE;
      this.endpoints = new ArrayList<>(List.of(new Endpoint(u.host(), u.port())));
      this.tls = u.tls();
      if (u.hasUserInfo()) {
        this.username = u.username();
        this.password = u.password();
      }
      if (u.database() != null) {
        this.database = u.database();
      }
      return this;
    }

    /** Cluster mode with these seed nodes (any subset of the cluster's nodes). */
    public Builder cluster(List<Endpoint> seeds) {
      if (seeds == null || seeds.isEmpty()) {
        throw new ConfigurationException(Name.CLUSTER_NODES, "must list at least one host:port");
      }
      this.mode = Mode.CLUSTER;
      this.endpoints = new ArrayList<>(seeds);
      return this;
    }

    /** Cluster mode with seed nodes written {@code host:port,host:port}. */
    public Builder cluster(String seeds) {
      return cluster(RedisSettingsReader.parseEndpoints(Name.CLUSTER_NODES, seeds));
    }

    /** Sentinel mode: the master's name and the sentinels to ask for it. */
    public Builder sentinel(String masterName, List<Endpoint> sentinels) {
      if (masterName == null || masterName.isBlank()) {
        throw new ConfigurationException(Name.SENTINEL_MASTER, "must not be empty");
      }
      if (sentinels == null || sentinels.isEmpty()) {
        throw new ConfigurationException(Name.SENTINELS, "must list at least one host:port");
      }
      this.mode = Mode.SENTINEL;
      this.sentinelMaster = masterName;
      this.endpoints = new ArrayList<>(sentinels);
      return this;
    }

    /** The password of the sentinels themselves, when they require one. */
    public Builder sentinelPassword(String sentinelPassword) {
      this.sentinelPassword = sentinelPassword;
      return this;
    }

    /** The ACL user; {@code null} for the default user. */
    public Builder username(String username) {
      this.username = username;
      return this;
    }

    /** The password; {@code null} or empty for no authentication. */
    public Builder password(String password) {
      this.password = password == null || password.isEmpty() ? null : password;
      return this;
    }

    /** The database index, 0 to 15 on a default server. Default 0. */
    public Builder database(int database) {
      if (database < 0) {
        throw new ConfigurationException(Name.DB, "must not be negative, got " + database);
      }
      this.database = database;
      return this;
    }

    /** Use TLS. Default off ({@code rediss://} URLs turn it on). */
    public Builder tls(boolean tls) {
      this.tls = tls;
      return this;
    }

    /**
     * A PEM file of the CA certificates to trust (redis-server's {@code tls-ca-cert-file})
     * instead of the JVM's trust store. Read and checked when a {@link RedisConnector} is
     * made from the settings (at start-up), naming this setting if it is unusable.
     */
    public Builder tlsCaCertFile(java.nio.file.Path file) {
      this.tlsCaCertFile = file;
      return this;
    }

    /**
     * The client certificate chain (PEM) for servers that authenticate clients ({@code
     * tls-auth-clients yes}); needs {@link #tlsKeyFile}.
     */
    public Builder tlsCertFile(java.nio.file.Path file) {
      this.tlsCertFile = file;
      return this;
    }

    /** The unencrypted PKCS#8 PEM key of {@link #tlsCertFile}. */
    public Builder tlsKeyFile(java.nio.file.Path file) {
      this.tlsKeyFile = file;
      return this;
    }

    /** How much of the server's certificate to check. Default {@link TlsVerify#FULL}. */
    public Builder tlsVerify(TlsVerify verify) {
      this.tlsVerify = Objects.requireNonNull(verify, "verify");
      return this;
    }

    /** The name shown by {@code CLIENT LIST}. Default {@code ratecache}. */
    public Builder clientName(String clientName) {
      this.clientName = clientName;
      return this;
    }

    /** How long to wait for a TCP connection. Default 500 ms. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(Name.CONNECT_TIMEOUT_MS, timeout);
      return this;
    }

    /** How long to wait for a reply. Default 500 ms. */
    public Builder socketTimeout(Duration timeout) {
      this.socketTimeout = positive(Name.SOCKET_TIMEOUT_MS, timeout);
      return this;
    }

    /** The most connections per node. Default 32. */
    public Builder poolMaxTotal(int max) {
      if (max < 1) {
        throw new ConfigurationException(Name.POOL_MAX_TOTAL, "must be at least 1, got " + max);
      }
      this.poolMaxTotal = max;
      return this;
    }

    /** How long a caller may wait for a pooled connection; finite. Default 200 ms. */
    public Builder poolMaxWait(Duration wait) {
      this.poolMaxWait = positive(Name.POOL_MAX_WAIT_MS, wait);
      return this;
    }

    /**
     * Cluster: attempts per command across redirects and reconnects. Default 5 (Jedis's own): a
     * command sent while its slot migrates can meet {@code ASK} and then {@code MOVED} before it
     * reaches the new owner, so fewer attempts turn a resharding under load into failed calls;
     * {@code REDIS_CLUSTER_MAX_RETRY_MS} still bounds the time they take.
     */
    public Builder clusterMaxAttempts(int attempts) {
      if (attempts < 1) {
        throw new ConfigurationException(Name.CLUSTER_MAX_ATTEMPTS,
            "must be at least 1, got " + attempts);
      }
      this.clusterMaxAttempts = attempts;
      return this;
    }

    /** Cluster: the total time a command may spend retrying. Default 1 s. */
    public Builder clusterMaxRetryDuration(Duration duration) {
      this.clusterMaxRetryDuration = positive(Name.CLUSTER_MAX_RETRY_MS, duration);
      return this;
    }

    /** Consecutive failed or slow calls that mark Redis down. Default 3. */
    public Builder failureThreshold(int threshold) {
      if (threshold < 1) {
        throw new ConfigurationException(Name.FAILURE_THRESHOLD,
            "must be at least 1, got " + threshold);
      }
      this.failureThreshold = threshold;
      return this;
    }

    /** A successful call at least this slow counts as a failure. Default: the socket timeout. */
    public Builder slowCallThreshold(Duration threshold) {
      this.slowCallThreshold = positive(Name.SLOW_CALL_MS, threshold);
      return this;
    }

    /** The first probe delay after Redis goes down. Default 250 ms. */
    public Builder probeInitial(Duration delay) {
      this.probeInitial = positive(Name.PROBE_INITIAL_MS, delay);
      return this;
    }

    /** The longest delay between probes. Default 5 s. */
    public Builder probeMax(Duration delay) {
      this.probeMax = positive(Name.PROBE_MAX_MS, delay);
      return this;
    }

    /**
     * How many replicas must acknowledge a cache invalidation (a key's removal, a namespace's new
     * generation) before it counts as made. Redis replicates asynchronously: a master that crashes
     * just after acknowledging a write can take it with it, and the replica promoted in its place
     * serves the entry the invalidation removed. With 1 here (on a Cluster or Sentinel whose
     * masters have replicas), an invalidation no replica acknowledged within {@link
     * #waitReplicasTimeout} is kept by the instance and made again once the key's master serves
     * after a failover. Default 0: no wait.
     */
    public Builder waitReplicas(int replicas) {
      if (replicas < 0) {
        throw new ConfigurationException(Name.WAIT_REPLICAS,
            "must not be negative, got " + replicas);
      }
      this.waitReplicas = replicas;
      return this;
    }

    /** The longest an invalidation waits for {@link #waitReplicas}. Default 100 ms. */
    public Builder waitReplicasTimeout(Duration timeout) {
      this.waitReplicasTimeout = positive(Name.WAIT_REPLICAS_TIMEOUT_MS, timeout);
      return this;
    }

    /**
     * Validates and returns immutable settings.
     *
     * @throws ConfigurationException naming the setting if the combination is invalid
     */
    public RedisSettings build() {
      if (mode == Mode.CLUSTER && database != 0) {
        throw new ConfigurationException(Name.DB,
            "Redis Cluster supports only database 0, got " + database);
      }
      if (!tls) {
        for (var e : Map.of(Name.TLS_CA_CERT_FILE, Objects.toString(tlsCaCertFile, ""),
            Name.TLS_CERT_FILE, Objects.toString(tlsCertFile, ""),
            Name.TLS_KEY_FILE, Objects.toString(tlsKeyFile, ""),
            Name.TLS_VERIFY, tlsVerify == TlsVerify.FULL ? "" : tlsVerify.name()).entrySet()) {
          if (!e.getValue().isEmpty()) {
            throw new ConfigurationException(e.getKey(), "is set but TLS is off; set "
                + Name.TLS + "=true or use a rediss:// URL");
          }
        }
      }
      if ((tlsCertFile == null) != (tlsKeyFile == null)) {
        throw new ConfigurationException(tlsCertFile == null ? Name.TLS_CERT_FILE
            : Name.TLS_KEY_FILE, "must be set together with "
            + (tlsCertFile == null ? Name.TLS_KEY_FILE : Name.TLS_CERT_FILE));
      }
      if (waitReplicas > 0 && waitReplicasTimeout.compareTo(socketTimeout) >= 0) {
        throw new ConfigurationException(Name.WAIT_REPLICAS_TIMEOUT_MS, "must be less than "
            + Name.SOCKET_TIMEOUT_MS + " (" + socketTimeout.toMillis() + "), or every wait that"
            + " runs out would be taken for a dead server");
      }
      if (probeMax.compareTo(probeInitial) < 0) {
        throw new ConfigurationException(Name.PROBE_MAX_MS, "must not be less than "
            + Name.PROBE_INITIAL_MS + " (" + probeInitial.toMillis() + ")");
      }
      return new RedisSettings(this);
    }

    private static Duration positive(String name, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new ConfigurationException(name, "must be positive, got " + d);
      }
      return d;
    }
  }
}
