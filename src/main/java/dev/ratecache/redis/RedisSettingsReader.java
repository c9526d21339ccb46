package dev.ratecache.redis;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.SettingValues;
import dev.ratecache.redis.RedisSettings.Endpoint;
import dev.ratecache.redis.RedisSettings.Name;
import dev.ratecache.redis.RedisSettings.TlsVerify;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * Reads {@link RedisSettings} from named values (the environment, init-params, properties): every
 * {@link Name}, parsed with {@link SettingValues}, errors naming the setting. Pure: the values
 * come from the lookup function only.
 */
final class RedisSettingsReader {
  private RedisSettingsReader() {}

  static RedisSettings read(Function<String, String> lookup) {
    Objects.requireNonNull(lookup, "lookup");
    Function<String, String> get = name -> {
      String v = lookup.apply(name);
      return v == null || v.isBlank() ? null : v.trim();
    };
    RedisSettings.Builder b = RedisSettings.builder();
    String value;
    if ((value = get.apply(Name.ENABLED)) != null) {
      b.enabled(SettingValues.bool(Name.ENABLED, value));
    }
    if ((value = get.apply(Name.HOST)) != null) {
      b.host(value);
    }
    if ((value = get.apply(Name.PORT)) != null) {
      b.port(SettingValues.integer(Name.PORT, value));
    }
    if ((value = get.apply(Name.USERNAME)) != null) {
      b.username(value);
    }
    // Passwords are not trimmed: leading or trailing spaces may be part of them.
    String password = lookup.apply(Name.PASSWORD);
    if (password != null && !password.isEmpty()) {
      b.password(password);
    }
    if ((value = get.apply(Name.DB)) != null) {
      b.database(SettingValues.integer(Name.DB, value));
    }
    if ((value = get.apply(Name.TLS)) != null) {
      b.tls(SettingValues.bool(Name.TLS, value));
    }
    if ((value = get.apply(Name.URL)) != null) {
      b.url(value, Name.URL);
    }
    if ((value = get.apply(Name.TLS_CA_CERT_FILE)) != null) {
      b.tlsCaCertFile(SettingValues.path(Name.TLS_CA_CERT_FILE, value));
    }
    if ((value = get.apply(Name.TLS_CERT_FILE)) != null) {
      b.tlsCertFile(SettingValues.path(Name.TLS_CERT_FILE, value));
    }
    if ((value = get.apply(Name.TLS_KEY_FILE)) != null) {
      b.tlsKeyFile(SettingValues.path(Name.TLS_KEY_FILE, value));
    }
    if ((value = get.apply(Name.TLS_VERIFY)) != null) {
      b.tlsVerify(SettingValues.choice(Name.TLS_VERIFY, value, TlsVerify.class));
    }
    String cluster = get.apply(Name.CLUSTER_NODES);
    String sentinels = get.apply(Name.SENTINELS);
    if (cluster != null && sentinels != null) {
      throw new ConfigurationException(Name.CLUSTER_NODES,
          "cannot be combined with " + Name.SENTINELS + "; set one topology");
    }
    if (cluster != null) {
      b.cluster(parseEndpoints(Name.CLUSTER_NODES, cluster));
    }
    if (sentinels != null) {
      String master = get.apply(Name.SENTINEL_MASTER);
      if (master == null) {
        throw new ConfigurationException(Name.SENTINEL_MASTER,
            "is required when " + Name.SENTINELS + " is set (the name of the monitored master)");
      }
      b.sentinel(master, parseEndpoints(Name.SENTINELS, sentinels));
    }
    String sentinelPassword = lookup.apply(Name.SENTINEL_PASSWORD);
    if (sentinelPassword != null && !sentinelPassword.isEmpty()) {
      b.sentinelPassword(sentinelPassword);
    }
    if ((value = get.apply(Name.CLIENT_NAME)) != null) {
      b.clientName(value);
    }
    if ((value = get.apply(Name.CONNECT_TIMEOUT_MS)) != null) {
      b.connectTimeout(SettingValues.millis(Name.CONNECT_TIMEOUT_MS, value));
    }
    if ((value = get.apply(Name.SOCKET_TIMEOUT_MS)) != null) {
      b.socketTimeout(SettingValues.millis(Name.SOCKET_TIMEOUT_MS, value));
    }
    if ((value = get.apply(Name.POOL_MAX_TOTAL)) != null) {
      b.poolMaxTotal(SettingValues.integer(Name.POOL_MAX_TOTAL, value));
    }
    if ((value = get.apply(Name.POOL_MAX_WAIT_MS)) != null) {
      b.poolMaxWait(SettingValues.millis(Name.POOL_MAX_WAIT_MS, value));
    }
    if ((value = get.apply(Name.CLUSTER_MAX_ATTEMPTS)) != null) {
      b.clusterMaxAttempts(SettingValues.integer(Name.CLUSTER_MAX_ATTEMPTS, value));
    }
    if ((value = get.apply(Name.CLUSTER_MAX_RETRY_MS)) != null) {
      b.clusterMaxRetryDuration(SettingValues.millis(Name.CLUSTER_MAX_RETRY_MS, value));
    }
    if ((value = get.apply(Name.FAILURE_THRESHOLD)) != null) {
      b.failureThreshold(SettingValues.integer(Name.FAILURE_THRESHOLD, value));
    }
    if ((value = get.apply(Name.SLOW_CALL_MS)) != null) {
      b.slowCallThreshold(SettingValues.millis(Name.SLOW_CALL_MS, value));
    }
    if ((value = get.apply(Name.PROBE_INITIAL_MS)) != null) {
      b.probeInitial(SettingValues.millis(Name.PROBE_INITIAL_MS, value));
    }
    if ((value = get.apply(Name.PROBE_MAX_MS)) != null) {
      b.probeMax(SettingValues.millis(Name.PROBE_MAX_MS, value));
    }
    if ((value = get.apply(Name.WAIT_REPLICAS)) != null) {
      b.waitReplicas(SettingValues.integer(Name.WAIT_REPLICAS, value));
    }
    if ((value = get.apply(Name.WAIT_REPLICAS_TIMEOUT_MS)) != null) {
      b.waitReplicasTimeout(SettingValues.millis(Name.WAIT_REPLICAS_TIMEOUT_MS, value));
    }
    return b.build();
  }

  /** {@code redis.host}, {@code redis-host} and {@code REDIS_HOST} are all {@code REDIS_HOST}. */
  static String canonicalName(String key) {
    return key.trim().replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  /** Parses {@code host:port[,host:port…]}; IPv6 literals are written {@code [::1]:7000}. */
  static List<Endpoint> parseEndpoints(String name, String value) {
    List<Endpoint> result = new ArrayList<>();
    for (String part : value.split(",")) {
      String item = part.trim();
      if (item.isEmpty()) {
        continue;
      }
      result.add(parseEndpoint(name, item));
    }
    if (result.isEmpty()) {
      throw new ConfigurationException(name, "must list at least one host:port");
    }
    return result;
  }

  static Endpoint parseEndpoint(String name, String item) {
    String host;
    String port;
    if (item.startsWith("[")) {
      int close = item.indexOf(']');
      if (close < 0 || close + 1 >= item.length() || item.charAt(close + 1) != ':') {
        throw new ConfigurationException(name,
            "expected [ipv6]:port, got '" + item + "'");
      }
      host = item.substring(1, close);
      port = item.substring(close + 2);
    } else {
      int colon = item.lastIndexOf(':');
      if (colon <= 0 || item.indexOf(':') != colon) {
        throw new ConfigurationException(name, "expected host:port, got '" + item + "'");
      }
      host = item.substring(0, colon);
      port = item.substring(colon + 1);
    }
    int p = SettingValues.integer(name, port);
    RedisSettings.checkPort(name, p);
    RedisSettings.checkHost(name, host);
    return new Endpoint(host, p);
  }
}
