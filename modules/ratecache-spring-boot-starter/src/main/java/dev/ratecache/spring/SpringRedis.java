package dev.ratecache.spring;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisSettings;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.Environment;
import org.springframework.core.env.PropertySource;
import org.springframework.util.ClassUtils;

/**
 * Spring's own Redis settings as the library's, so an application configures Redis in one place:
 * the application's {@code RedisConnectionDetails} bean (Boot 3.5; {@code
 * DataRedisConnectionDetails} on Boot 4), which Boot makes from {@code spring.data.redis.*} and
 * which Testcontainers' {@code @ServiceConnection} and Docker Compose replace, or, without Spring
 * Data Redis on the class path, the {@code spring.data.redis.*} properties themselves. Used only
 * when neither {@code ratecache.redis.*} nor the {@code REDIS_*} variables name a server; the
 * library's other settings (timeouts, pool) still apply over Spring's. Read through reflection,
 * since the two Boot generations name the type differently; the getters are the same.
 */
final class SpringRedis {
  private static final Logger log = LoggerFactory.getLogger(SpringRedis.class);

  /** The connection details type, Boot 4's first. */
  static final List<String> DETAILS_TYPES = List.of(
      "org.springframework.boot.data.redis.autoconfigure.DataRedisConnectionDetails",
      "org.springframework.boot.autoconfigure.data.redis.RedisConnectionDetails");

  /** The library's settings that choose a server: if any is set, Spring's are not used. */
  private static final List<String> SERVER = List.of(RedisSettings.Name.URL,
      RedisSettings.Name.HOST, RedisSettings.Name.PORT, RedisSettings.Name.CLUSTER_NODES,
      RedisSettings.Name.SENTINELS, RedisSettings.Name.SENTINEL_MASTER);

  private static final String PREFIX = "spring.data.redis.";

  private SpringRedis() {}

  /** The application's connection details bean, if Spring Data Redis is there and defines one. */
  static Object connectionDetails(ListableBeanFactory beans, ClassLoader loader) {
    for (String type : DETAILS_TYPES) {
      if (ClassUtils.isPresent(type, loader)) {
        return beans.getBeanProvider(ClassUtils.resolveClassName(type, loader)).getIfUnique();
      }
    }
    return null;
  }

  /**
   * {@code ours} (the {@code ratecache.redis.*} / {@code REDIS_*} lookup), completed from
   * Spring's Redis settings when it names no server.
   *
   * @param details the connection details bean, or {@code null}
   * @throws ConfigurationException for what Spring configures that the library cannot take (an
   *     SSL bundle, master/replica), naming it
   */
  static Function<String, String> lookup(Function<String, String> ours, Environment env,
      Object details) {
    if (SERVER.stream().anyMatch(n -> ours.apply(n) != null)) {
      return ours;
    }
    Map<String, String> spring = details != null ? fromDetails(details, env)
        : hasProperties(env) ? fromProperties(env) : Map.of();
    if (spring.isEmpty()) {
      return ours;
    }
    log.info("ratecache uses Spring's Redis settings ({}): {}", details != null
        ? "the " + ClassUtils.getShortName(publicType(details)) + " bean" : PREFIX + "*",
        describe(spring));
    return name -> {
      String v = ours.apply(name);
      return v != null ? v : spring.get(name);
    };
  }

  /** The settings from a connection details bean (and the timeouts of {@code spring.data.redis}). */
  static Map<String, String> fromDetails(Object details, Environment env) {
    Map<String, String> out = new LinkedHashMap<>();
    Class<?> type = publicType(details);
    refuseSslBundle(details, type); // Boot 4 has it here, Boot 3.5 on each kind below
    if (call(details, type, "getMasterReplica") != null) {
      throw new ConfigurationException(PREFIX + "masterreplica", "ratecache does not read"
          + " master/replica connections; set ratecache.redis.* (or REDIS_*) for it");
    }
    Object sentinel = call(details, type, "getSentinel");
    Object cluster = call(details, type, "getCluster");
    if (sentinel != null) {
      Class<?> s = returnType(type, "getSentinel");
      refuseSslBundle(sentinel, s);
      put(out, RedisSettings.Name.SENTINEL_MASTER, call(sentinel, s, "getMaster"));
      put(out, RedisSettings.Name.SENTINELS, nodes(call(sentinel, s, "getNodes")));
      put(out, RedisSettings.Name.SENTINEL_PASSWORD, call(sentinel, s, "getPassword"));
      put(out, RedisSettings.Name.DB, call(sentinel, s, "getDatabase"));
    } else if (cluster != null) {
      Class<?> c = returnType(type, "getCluster");
      refuseSslBundle(cluster, c);
      put(out, RedisSettings.Name.CLUSTER_NODES, nodes(call(cluster, c, "getNodes")));
    } else {
      Object standalone = call(details, type, "getStandalone");
      if (standalone != null) {
        Class<?> s = returnType(type, "getStandalone");
        refuseSslBundle(standalone, s);
        put(out, RedisSettings.Name.HOST, call(standalone, s, "getHost"));
        put(out, RedisSettings.Name.PORT, call(standalone, s, "getPort"));
        put(out, RedisSettings.Name.DB, call(standalone, s, "getDatabase"));
      }
    }
    put(out, RedisSettings.Name.USERNAME, call(details, type, "getUsername"));
    put(out, RedisSettings.Name.PASSWORD, call(details, type, "getPassword"));
    if (out.isEmpty()) {
      return out;
    }
    common(out, env);
    return out;
  }

  /** The settings from {@code spring.data.redis.*} (no Spring Data Redis on the class path). */
  static Map<String, String> fromProperties(Environment env) {
    Map<String, String> out = new LinkedHashMap<>();
    put(out, RedisSettings.Name.URL, env.getProperty(PREFIX + "url"));
    put(out, RedisSettings.Name.HOST, env.getProperty(PREFIX + "host"));
    put(out, RedisSettings.Name.PORT, env.getProperty(PREFIX + "port"));
    put(out, RedisSettings.Name.DB, env.getProperty(PREFIX + "database"));
    put(out, RedisSettings.Name.USERNAME, env.getProperty(PREFIX + "username"));
    put(out, RedisSettings.Name.PASSWORD, env.getProperty(PREFIX + "password"));
    put(out, RedisSettings.Name.SENTINEL_MASTER, env.getProperty(PREFIX + "sentinel.master"));
    put(out, RedisSettings.Name.SENTINELS, list(env, PREFIX + "sentinel.nodes"));
    put(out, RedisSettings.Name.SENTINEL_PASSWORD, env.getProperty(PREFIX + "sentinel.password"));
    put(out, RedisSettings.Name.CLUSTER_NODES, list(env, PREFIX + "cluster.nodes"));
    if (env.getProperty(PREFIX + "ssl.bundle") != null) {
      refuseBundle();
    }
    common(out, env);
    return out;
  }

  /** What both forms take from the properties: TLS on, timeouts, the client name. */
  private static void common(Map<String, String> out, Environment env) {
    if ("true".equalsIgnoreCase(env.getProperty(PREFIX + "ssl.enabled"))) {
      out.put(RedisSettings.Name.TLS, "true");
    }
    put(out, RedisSettings.Name.SOCKET_TIMEOUT_MS, millis(env, PREFIX + "timeout"));
    put(out, RedisSettings.Name.CONNECT_TIMEOUT_MS, millis(env, PREFIX + "connect-timeout"));
    put(out, RedisSettings.Name.CLIENT_NAME, env.getProperty(PREFIX + "client-name"));
  }

  private static boolean hasProperties(Environment env) {
    if (!(env instanceof ConfigurableEnvironment configurable)) {
      return false;
    }
    for (PropertySource<?> source : configurable.getPropertySources()) {
      if (source instanceof EnumerablePropertySource<?> names) {
        for (String name : names.getPropertyNames()) {
          if (name.startsWith(PREFIX)) {
            return true;
          }
        }
      }
    }
    return false;
  }

  private static String millis(Environment env, String name) {
    if (env.getProperty(name) == null) {
      return null;
    }
    try {
      return Binder.get(env).bind(name, Duration.class).map(d -> String.valueOf(d.toMillis()))
          .orElse(null);
    } catch (RuntimeException e) {
      throw new ConfigurationException(name, "not a duration: " + env.getProperty(name));
    }
  }

  private static String list(Environment env, String name) {
    List<String> values = Binder.get(env).bind(name, Bindable.listOf(String.class))
        .orElse(List.of());
    return values.isEmpty() ? null : String.join(",", values);
  }

  /** {@code host:port,…} of a list of {@code Node} records. */
  private static String nodes(Object list) {
    if (!(list instanceof List<?> nodes) || nodes.isEmpty()) {
      return null;
    }
    List<String> out = new ArrayList<>();
    for (Object node : nodes) {
      Class<?> type = node.getClass();
      out.add(call(node, type, "host") + ":" + call(node, type, "port"));
    }
    return String.join(",", out);
  }

  private static void refuseSslBundle(Object target, Class<?> type) {
    if (call(target, type, "getSslBundle") != null) {
      refuseBundle();
    }
  }

  private static void refuseBundle() {
    throw new ConfigurationException(PREFIX + "ssl.bundle", "ratecache does not read SSL bundles"
        + " yet; set ratecache.redis.tls=true with ratecache.redis.tls-ca-cert-file (and"
        + " tls-cert-file / tls-key-file for client certificates), or spring.data.redis.ssl.enabled"
        + " alone to trust the JVM's CAs");
  }

  private static void put(Map<String, String> out, String name, Object value) {
    if (value != null && !value.toString().isEmpty()) {
      out.put(name, value.toString());
    }
  }

  /** The settings for a log line, the password masked. */
  private static String describe(Map<String, String> settings) {
    Map<String, String> shown = new LinkedHashMap<>(settings);
    shown.computeIfPresent(RedisSettings.Name.PASSWORD, (k, v) -> "****");
    shown.computeIfPresent(RedisSettings.Name.SENTINEL_PASSWORD, (k, v) -> "****");
    shown.computeIfPresent(RedisSettings.Name.URL, (k, v) -> v.replaceAll("//[^@/]*@", "//****@"));
    return shown.toString();
  }

  /** The public details interface {@code details} implements (its class may not be public). */
  private static Class<?> publicType(Object details) {
    ClassLoader loader = details.getClass().getClassLoader();
    for (String type : DETAILS_TYPES) {
      if (ClassUtils.isPresent(type, loader)) {
        Class<?> c = ClassUtils.resolveClassName(type, loader);
        if (c.isInstance(details)) {
          return c;
        }
      }
    }
    throw new IllegalArgumentException("not Redis connection details: " + details.getClass());
  }

  private static Class<?> returnType(Class<?> type, String method) {
    try {
      return type.getMethod(method).getReturnType();
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code type}'s public no-argument {@code method} on {@code target}; null if it has none. */
  private static Object call(Object target, Class<?> type, String method) {
    Method m;
    try {
      m = type.getMethod(method);
    } catch (NoSuchMethodException absent) {
      return null; // not in this Boot generation
    }
    try {
      return m.invoke(target);
    } catch (IllegalAccessException e) {
      throw new IllegalStateException("cannot read " + method + " of " + type.getName(), e);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw cause instanceof RuntimeException r ? r : new IllegalStateException(cause);
    }
  }
}
