package dev.ratecache.redis;

import dev.ratecache.internal.JedisVersions;
import dev.ratecache.redis.RedisSettings.Endpoint;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.ConnectionProvider;
import redis.clients.jedis.providers.PooledConnectionProvider;
import redis.clients.jedis.providers.SentineledConnectionProvider;

/**
 * Builds the Jedis client the settings describe (standalone, Sentinel or Cluster, pooled, with
 * TLS), and the TLS material it needs. The material is loaded when the connector is made, so a
 * bad certificate or key file fails the deployment, naming the setting.
 */
final class JedisClients {
  /** Jedis classes the library uses that older versions lack (ClientSetInfoConfig: 5.0). */
  static final List<String> REQUIRED_CLASSES = List.of(
      "redis.clients.jedis.ClientSetInfoConfig",
      "redis.clients.jedis.ClusterCommandObjects",
      "redis.clients.jedis.providers.SentineledConnectionProvider");

  private JedisClients() {}

  /**
   * Fails at start-up, naming the version found and the property to set, when the Jedis on the
   * classpath is too old (a framework's dependency management may have chosen it), instead of a
   * {@code NoClassDefFoundError} on the first request.
   *
   * @throws dev.ratecache.ConfigurationException naming {@code jedis.version}
   */
  static void checkJedis() {
    String missing = firstMissing(REQUIRED_CLASSES, JedisClients.class.getClassLoader());
    if (missing != null) {
      throw new dev.ratecache.ConfigurationException("jedis.version", "Jedis "
          + jedisVersion() + " is on the classpath and lacks " + missing + "; ratecache needs"
          + " Jedis 5.0 or newer (tested with 6.0.0, 7.0.0, 7.4.1, 7.5.3 and 8.0.2): set the Maven property"
          + " jedis.version (Spring Boot's dependency management reads it) or declare"
          + " redis.clients:jedis yourself");
    }
  }

  /** The first of {@code classes} that {@code loader} cannot load, or {@code null}. */
  static String firstMissing(List<String> classes, ClassLoader loader) {
    for (String name : classes) {
      try {
        Class.forName(name, false, loader);
      } catch (ClassNotFoundException | LinkageError e) {
        return name;
      }
    }
    return null;
  }

  /** The Jedis version on the classpath, from its jar's Maven metadata, or "unknown". */
  static String jedisVersion() {
    return JedisVersions.version();
  }

  /**
   * The socket factory for the settings' CA and client certificate files, or {@code null} for
   * the JVM's defaults (or no TLS).
   *
   * @throws dev.ratecache.ConfigurationException naming the file setting that is unusable
   */
  static javax.net.ssl.SSLSocketFactory tlsSocketFactory(RedisSettings settings) {
    return settings.tls() && (settings.tlsCaCertFile() != null || settings.tlsCertFile() != null)
        ? TlsMaterial.socketFactory(settings.tlsCaCertFile(), settings.tlsCertFile(),
            settings.tlsKeyFile())
        : null;
  }

  static RedisConnector.Client create(RedisSettings settings,
      javax.net.ssl.SSLSocketFactory tlsSocketFactory) {
    JedisClientConfig config = clientConfig(settings, tlsSocketFactory, settings.username(),
        settings.password(), settings.database());
    GenericObjectPoolConfig<Connection> pool = new GenericObjectPoolConfig<>();
    pool.setMaxTotal(settings.poolMaxTotal());
    pool.setMaxIdle(settings.poolMaxTotal());
    pool.setMinIdle(0);
    pool.setBlockWhenExhausted(true);
    pool.setMaxWait(settings.poolMaxWait());
    pool.setJmxEnabled(false);
    // Idle connections are checked in the background, never on the request path.
    pool.setTestWhileIdle(true);
    pool.setTimeBetweenEvictionRuns(Duration.ofSeconds(30));
    Set<HostAndPort> nodes = new LinkedHashSet<>();
    for (Endpoint e : settings.endpoints()) {
      nodes.add(new HostAndPort(e.host(), e.port()));
    }
    RedisTopology topology = settings.topology();
    if (topology instanceof RedisTopology.Sentinel s) {
      JedisClientConfig sentinelConfig =
          clientConfig(settings, tlsSocketFactory, null, s.sentinelPassword(), 0);
      SentineledConnectionProvider p = new SentineledConnectionProvider(
          s.master(), config, pool, nodes, sentinelConfig);
      return new RedisConnector.Client(JedisVersions.client(p, config), p);
    }
    if (topology instanceof RedisTopology.Cluster c) {
      ClusterConnectionProvider p = new ClusterConnectionProvider(nodes, config, pool);
      return new RedisConnector.Client(JedisVersions.clusterClient(p, nodes, config,
          c.maxAttempts(), c.maxRetryDuration()), p);
    }
    PooledConnectionProvider p =
        new PooledConnectionProvider(nodes.iterator().next(), config, pool);
    return new RedisConnector.Client(JedisVersions.client(p, config), p);
  }

  private static JedisClientConfig clientConfig(RedisSettings settings,
      javax.net.ssl.SSLSocketFactory tlsSocketFactory, String user, String password,
      int database) {
    return DefaultJedisClientConfig.builder()
        .connectionTimeoutMillis(Math.toIntExact(settings.connectTimeout().toMillis()))
        .socketTimeoutMillis(Math.toIntExact(settings.socketTimeout().toMillis()))
        .user(user)
        .password(password)
        .database(database)
        .ssl(settings.tls())
        .sslSocketFactory(tlsSocketFactory)
        .sslParameters(settings.tls() ? tlsParameters(settings) : null)
        .clientName(settings.clientName())
        .clientSetInfoConfig(ClientSetInfoConfig.DISABLED)
        // RESP2 on every Jedis: 8 negotiates RESP3 by default, and the replies the library
        // reads (scripts, pipelines, INFO) are the same on every version only this way.
        .protocol(redis.clients.jedis.RedisProtocol.RESP2)
        .build();
  }

  /** Host-name checking on unless the settings ask for the chain only. */
  private static javax.net.ssl.SSLParameters tlsParameters(RedisSettings settings) {
    javax.net.ssl.SSLParameters p = new javax.net.ssl.SSLParameters();
    if (settings.tlsVerify() == RedisSettings.TlsVerify.FULL) {
      p.setEndpointIdentificationAlgorithm("HTTPS");
    }
    return p;
  }

  static void clearIdleConnections(ConnectionProvider provider) {
    for (Object pool : provider.getConnectionMap().values()) {
      if (pool instanceof GenericObjectPool<?> p) {
        p.clear();
      }
    }
  }
}
