package dev.ratecache.redis;

import dev.ratecache.redis.RedisSettings.Endpoint;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The shape of the Redis deployment, with what only that shape has: one server and its
 * database, a master found through Sentinel, or a Cluster's seed nodes and retry bounds. Part of
 * {@link RedisSettings}; pattern-match on it ({@code switch (settings.topology())}) rather than
 * reading settings that mean something for one shape only. Immutable.
 */
public sealed interface RedisTopology {
  /** The nodes to contact first: the server, the sentinels, or the Cluster's seeds; never empty. */
  List<Endpoint> endpoints();

  /** {@code standalone}, {@code sentinel} or {@code cluster}, as health reports show it. */
  String kind();

  /**
   * One server (possibly behind a proxy or a managed endpoint).
   *
   * @param server its host and port
   * @param database the database index
   */
  record Standalone(Endpoint server, int database) implements RedisTopology {
    public Standalone {
      Objects.requireNonNull(server, "server");
    }

    @Override
    public List<Endpoint> endpoints() {
      return List.of(server);
    }

    @Override
    public String kind() {
      return "standalone";
    }
  }

  /**
   * A master found through Redis Sentinel.
   *
   * @param master the name the sentinels monitor
   * @param sentinels the sentinels to ask; never empty
   * @param sentinelPassword the sentinels' own password, or {@code null} if they need none
   * @param database the database index on the master
   */
  record Sentinel(String master, List<Endpoint> sentinels, String sentinelPassword,
      int database) implements RedisTopology {
    public Sentinel {
      Objects.requireNonNull(master, "master");
      sentinels = List.copyOf(sentinels);
    }

    @Override
    public List<Endpoint> endpoints() {
      return sentinels;
    }

    @Override
    public String kind() {
      return "sentinel";
    }

    @Override
    public String toString() {
      return "Sentinel[master=" + master + ", sentinels=" + sentinels
          + (sentinelPassword != null ? ", sentinelPassword=***" : "") + ", database="
          + database + "]";
    }
  }

  /**
   * A Redis Cluster; keys are spread over masters by hash slot (database 0 only).
   *
   * @param seeds any nodes of the cluster, to learn the rest from; never empty
   * @param maxAttempts attempts per command across redirects and reconnects
   * @param maxRetryDuration the total time a command may spend retrying
   */
  record Cluster(List<Endpoint> seeds, int maxAttempts, Duration maxRetryDuration)
      implements RedisTopology {
    public Cluster {
      seeds = List.copyOf(seeds);
      Objects.requireNonNull(maxRetryDuration, "maxRetryDuration");
    }

    @Override
    public List<Endpoint> endpoints() {
      return seeds;
    }

    @Override
    public String kind() {
      return "cluster";
    }
  }
}
