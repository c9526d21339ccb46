package dev.ratecache.redis;

import redis.clients.jedis.exceptions.JedisAccessControlException;
import redis.clients.jedis.exceptions.JedisBusyException;
import redis.clients.jedis.exceptions.JedisClusterException;
import redis.clients.jedis.exceptions.JedisConnectionException;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.exceptions.JedisException;

/**
 * What a failed Redis call means for health: Redis could not be used (it counts towards DOWN),
 * Redis answered with an error that is the caller's alone, or the failure has nothing to do with
 * Redis. Pure functions of the exception and its causes.
 */
final class Failures {
  private Failures() {}

  /** The three meanings of a failure. */
  enum Kind { UNAVAILABLE, REDIS_ERROR, NOT_REDIS }


  /** Sorts a failure: could Redis not be used, did it answer with an error, or is it unrelated? */
  static Kind classify(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (isRefusal(t)) {
        // One command this user may not run: Redis serves, and the probe would find it so;
        // counting it as an outage would switch DOWN and UP again for as long as it lasts.
        return Kind.REDIS_ERROR;
      }
      if (t instanceof RedisUnavailableException
          || t instanceof JedisConnectionException
          || t instanceof JedisAccessControlException
          || t instanceof JedisBusyException
          || t instanceof JedisClusterException) {
        return Kind.UNAVAILABLE;
      }
      if (t instanceof JedisDataException) {
        String m = String.valueOf(t.getMessage());
        // Replies that mean "this server cannot serve you now", not "your command is wrong".
        if (m.startsWith("LOADING") || m.startsWith("MASTERDOWN") || m.startsWith("TRYAGAIN")
            || m.startsWith("NOAUTH") || m.startsWith("WRONGPASS")
            || m.startsWith("CLUSTERDOWN") || refusesWrites(m)) {
          return Kind.UNAVAILABLE;
        }
        return Kind.REDIS_ERROR;
      }
      if (t instanceof JedisException) {
        // Pool exhaustion, cluster attempts exhausted, cluster slots cache failures.
        return Kind.UNAVAILABLE;
      }
    }
    return Kind.NOT_REDIS;
  }

  /** Whether {@code t} is a reply that never came within the socket timeout. */
  static boolean timedOut(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.net.SocketTimeoutException) {
        return true;
      }
    }
    return false;
  }

  /** An ACL refusal of one command or key ({@code NOPERM}), not of the login itself. */
  static boolean isRefusal(Throwable t) {
    return t instanceof JedisAccessControlException
        && String.valueOf(t.getMessage()).startsWith("NOPERM");
  }

  /** Whether {@code error} or one of its causes is an ACL refusal. */
  static boolean refused(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (isRefusal(t)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Replies of a server that answers but refuses every write: a replica ({@code READONLY}), out
   * of memory under {@code noeviction} ({@code OOM}), a failed background save with {@code
   * stop-writes-on-bgsave-error} ({@code MISCONF}), too few replicas for {@code
   * min-replicas-to-write} ({@code NOREPLICAS}). Every feature writes, so such a server counts as
   * unavailable until the probe's own write succeeds.
   */
  static boolean refusesWrites(String reply) {
    return reply.startsWith("READONLY") || reply.startsWith("OOM")
        || reply.startsWith("MISCONF") || reply.startsWith("NOREPLICAS");
  }

  /** One line about a failure: its type and message, and the root cause's if different. */
  static String describe(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String text = e.getClass().getSimpleName() + ": " + e.getMessage();
    if (root != e && root.getMessage() != null && !text.contains(root.getMessage())) {
      text += " (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
    return text;
  }
}
