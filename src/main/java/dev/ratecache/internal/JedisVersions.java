package dev.ratecache.internal;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.Set;
import redis.clients.jedis.ClusterCommandObjects;
import redis.clients.jedis.ClusterPipeline;
import redis.clients.jedis.CommandObjects;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.JedisClientConfig;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.UnifiedJedis;
import redis.clients.jedis.providers.ClusterConnectionProvider;
import redis.clients.jedis.providers.ConnectionProvider;

/**
 * The few Jedis constructors whose shape differs between the Jedis versions frameworks manage
 * (5.x and 6.0 under Spring Boot 3.5, 7.0 and 7.4 under Boot 4.0 and 4.1, 7.5, 8.x): the library
 * is compiled against one of them and must link on every one, so each is looked up once, by
 * shape, and never named where another version would fail to link it.
 *
 * <ul>
 *   <li>{@code CommandObjects()} (up to 7.x) became {@code CommandObjects(RedisProtocol)} (7.5+,
 *       only form in 8); the same for {@code ClusterCommandObjects}.</li>
 *   <li>{@code UnifiedJedis(ConnectionProvider)} and {@code UnifiedJedis(ClusterConnectionProvider,
 *       int, Duration)} (up to 7.x) are gone in 8, where clients are made by the
 *       {@code RedisClient} / {@code RedisClusterClient} builders (present since 7.1).</li>
 * </ul>
 *
 * <p><b>Not API.</b>
 */
public final class JedisVersions {
  private static final MethodHandle COMMAND_OBJECTS = constructor(CommandObjects.class);
  private static final MethodHandle CLUSTER_COMMAND_OBJECTS =
      constructor(ClusterCommandObjects.class);
  private static final boolean PROVIDER_CONSTRUCTOR = hasProviderConstructor();

  private JedisVersions() {}

  /** Builds commands for a standalone or Sentinel connection (RESP2 replies, as every client the library makes speaks RESP2). */
  public static CommandObjects commandObjects() {
    return (CommandObjects) make(COMMAND_OBJECTS);
  }

  /** Builds commands for a cluster client (RESP2 replies, as every client the library makes speaks RESP2). */
  public static ClusterCommandObjects clusterCommandObjects() {
    return (ClusterCommandObjects) make(CLUSTER_COMMAND_OBJECTS);
  }

  /** A pipeline over a cluster client, sending each command to its key's node. */
  public static ClusterPipeline clusterPipeline(ClusterConnectionProvider provider) {
    return new ClusterPipeline(provider, clusterCommandObjects());
  }

  /** A client over a standalone or Sentinel connection provider, each command tried once. */
  public static UnifiedJedis client(ConnectionProvider provider, JedisClientConfig config) {
    return PROVIDER_CONSTRUCTOR ? Legacy.client(provider) : Builders.client(provider, config);
  }

  /** A cluster client over a connection provider, retrying within the given bounds. */
  public static UnifiedJedis clusterClient(ClusterConnectionProvider provider,
      Set<HostAndPort> seeds, JedisClientConfig config, int maxAttempts,
      Duration maxTotalRetriesDuration) {
    return PROVIDER_CONSTRUCTOR
        ? Legacy.clusterClient(provider, maxAttempts, maxTotalRetriesDuration)
        : Builders.clusterClient(provider, seeds, config, maxAttempts, maxTotalRetriesDuration);
  }

  /** The Jedis version on the classpath, from its jar's Maven metadata, or "unknown". */
  public static String version() {
    try (java.io.InputStream in = UnifiedJedis.class.getResourceAsStream(
        "/META-INF/maven/redis.clients/jedis/pom.properties")) {
      if (in != null) {
        java.util.Properties p = new java.util.Properties();
        p.load(in);
        return p.getProperty("version", "unknown");
      }
    } catch (java.io.IOException | RuntimeException e) {
      // fall through
    }
    return "unknown";
  }

  private static Object make(MethodHandle constructor) {
    try {
      return constructor.type().parameterCount() == 0
          ? constructor.invoke() : constructor.invoke(RedisProtocol.RESP2);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** The {@code (RedisProtocol)} constructor where it exists, else the no-argument one. */
  private static MethodHandle constructor(Class<?> type) {
    MethodHandles.Lookup lookup = MethodHandles.publicLookup();
    try {
      return lookup.findConstructor(type, MethodType.methodType(void.class, RedisProtocol.class));
    } catch (NoSuchMethodException | IllegalAccessException e) {
      try {
        return lookup.findConstructor(type, MethodType.methodType(void.class));
      } catch (NoSuchMethodException | IllegalAccessException e2) {
        throw new IllegalStateException("Jedis " + version() + ": " + type.getName()
            + " has neither a (RedisProtocol) nor a no-argument constructor", e2);
      }
    }
  }

  private static boolean hasProviderConstructor() {
    try {
      UnifiedJedis.class.getConstructor(ConnectionProvider.class);
      return true;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** Jedis up to 7.x. Its own class, so that Jedis 8 never links these constructors. */
  private static final class Legacy {
    static UnifiedJedis client(ConnectionProvider provider) {
      return new UnifiedJedis(provider);
    }

    static UnifiedJedis clusterClient(ClusterConnectionProvider provider, int maxAttempts,
        Duration maxTotalRetriesDuration) {
      return new UnifiedJedis(provider, maxAttempts, maxTotalRetriesDuration);
    }
  }

  /** Jedis 8 and later (the builders exist from 7.1). Only loaded there. */
  private static final class Builders {
    static UnifiedJedis client(ConnectionProvider provider, JedisClientConfig config) {
      return redis.clients.jedis.RedisClient.builder().connectionProvider(provider)
          .clientConfig(config).build();
    }

    static UnifiedJedis clusterClient(ClusterConnectionProvider provider,
        Set<HostAndPort> seeds, JedisClientConfig config, int maxAttempts,
        Duration maxTotalRetriesDuration) {
      return redis.clients.jedis.RedisClusterClient.builder().connectionProvider(provider)
          .nodes(seeds).clientConfig(config).maxAttempts(maxAttempts)
          .maxTotalRetriesDuration(maxTotalRetriesDuration).build();
    }
  }
}
