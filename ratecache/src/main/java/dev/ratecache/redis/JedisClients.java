package dev.ratecache.redis;

import dev.ratecache.redis.RedisSettings.Endpoint;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;
import org.apache.commons.pool2.impl.GenericObjectPool;
import org.apache.commons.pool2.impl.GenericObjectPoolConfig;
import redis.clients.jedis.ClientSetInfoConfig;
import redis.clients.jedis.Connection;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.UnifiedJedis;
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
  private JedisClients() {}

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
    return switch (settings.topology()) {
      case STANDALONE -> {
        PooledConnectionProvider p =
            new PooledConnectionProvider(nodes.iterator().next(), config, pool);
        yield new RedisConnector.Client(new UnifiedJedis(p), p);
      }
      case SENTINEL -> {
        JedisClientConfig sentinelConfig =
            clientConfig(settings, tlsSocketFactory, null,
            settings.sentinelPassword(), 0);
        SentineledConnectionProvider p = new SentineledConnectionProvider(
            settings.sentinelMaster(), config, pool, nodes, sentinelConfig);
        yield new RedisConnector.Client(new UnifiedJedis(p), p);
      }
      case CLUSTER -> {
        ClusterConnectionProvider p = new ClusterConnectionProvider(nodes, config, pool);
        yield new RedisConnector.Client(new UnifiedJedis(p, settings.clusterMaxAttempts(),
            settings.clusterMaxRetryDuration()), p);
      }
    };
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
