package dev.ratecache.cli;

import dev.ratecache.redis.RedisSettings;
import dev.ratecache.redis.RedisSettings.Name;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * The connection options every command shares; each defaults to the library's environment
 * variable of the same meaning.
 */
final class ConnectionOptions {
  @Option(names = "--url", description = "redis:// or rediss:// URL (env REDIS_URL)")
  String url;

  @Option(names = "--host", description = "standalone host (env REDIS_HOST, default localhost)")
  String host;

  @Option(names = "--port", description = "standalone port (env REDIS_PORT, default 6379)")
  Integer port;

  @Option(names = "--password", description = "password (env REDIS_PASSWORD)")
  String password;

  @Option(names = "--db", description = "database index (env REDIS_DB, default 0)")
  Integer db;

  @Option(names = "--cluster", paramLabel = "HOST:PORT,…",
      description = "cluster seed nodes (env REDIS_CLUSTER_NODES)")
  String cluster;

  /**
   * The settings: options override the environment; an explicit topology option (URL, host/port
   * or cluster) replaces whatever topology the environment names. Pure.
   */
  RedisSettings settings(Map<String, String> env) {
    Map<String, String> m = new HashMap<>();
    env.forEach((k, v) -> {
      if (k.startsWith("REDIS_")) {
        m.put(k, v);
      }
    });
    if (url != null) {
      dropTopology(m);
      m.put(Name.URL, url);
    }
    if (host != null || port != null) {
      dropTopology(m);
      if (host != null) {
        m.put(Name.HOST, host);
      }
      if (port != null) {
        m.put(Name.PORT, String.valueOf(port));
      }
    }
    if (cluster != null) {
      dropTopology(m);
      m.put(Name.CLUSTER_NODES, cluster);
    }
    if (password != null) {
      m.put(Name.PASSWORD, password);
    }
    if (db != null) {
      m.put(Name.DB, String.valueOf(db));
    }
    // A command-line tool should learn at once that Redis is unreachable.
    m.putIfAbsent(Name.FAILURE_THRESHOLD, "1");
    return RedisSettings.fromLookup(m::get);
  }

  private static void dropTopology(Map<String, String> m) {
    m.remove(Name.URL);
    m.remove(Name.CLUSTER_NODES);
    m.remove(Name.SENTINELS);
  }
}
