package dev.ratecache.support;

import dev.ratecache.testing.RedisServer;
import java.util.List;
import redis.clients.jedis.args.ClientPauseMode;
import redis.clients.jedis.args.ClientType;
import redis.clients.jedis.params.ClientKillParams;

/** Faults the history checks inject into running Redis nodes. */
public final class Faults {
  private Faults() {}

  /** Cuts every pub/sub connection on {@code nodes} (instances then resubscribe). */
  public static void cutPubSub(List<RedisServer> nodes) {
    for (RedisServer node : nodes) {
      try {
        node.withClient(j -> j.clientKill(ClientKillParams.clientKillParams()
            .type(ClientType.PUBSUB)));
      } catch (RuntimeException none) {
        // no subscriber on that node right now
      }
    }
  }

  /** Holds every write on {@code nodes} for {@code millis} ({@code CLIENT PAUSE … WRITE}). */
  public static void pauseWrites(List<RedisServer> nodes, long millis) {
    for (RedisServer node : nodes) {
      node.withClient(j -> j.clientPause(millis, ClientPauseMode.WRITE));
    }
  }
}
