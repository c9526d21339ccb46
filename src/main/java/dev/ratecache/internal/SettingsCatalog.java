package dev.ratecache.internal;

import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Every setting the library reads, in one list: its name as an environment variable or
 * init-param, the Spring property it is read from, its type, its documented default and its
 * meaning. The parsers take the names they accept from here ({@code InitParams}) or are held to
 * it by {@code SettingsCatalogTest}, which also holds the settings tables of {@code docs/} and the
 * starter's Spring configuration metadata against it, so none of them can drift from the code.
 */
public final class SettingsCatalog {
  private SettingsCatalog() {}

  /** Which part of the library reads a setting. */
  public enum Scope {
    /** {@code REDIS_*}: the connection (environment, init-params, {@code ratecache.redis.*}). */
    REDIS,
    /** The rate limiter's init-params ({@code ratecache.ratelimit.*}). */
    RATE_LIMIT,
    /** {@code CACHE_*}: the query and response cache ({@code ratecache.cache.*}). */
    CACHE
  }

  /** What a value must be. */
  public enum Type {
    TEXT("java.lang.String"),
    NUMBER("java.lang.Long"),
    BOOLEAN("java.lang.Boolean");

    private final String javaType;

    Type(String javaType) {
      this.javaType = javaType;
    }

    /** The type Spring's configuration metadata gives it. */
    public String javaType() {
      return javaType;
    }
  }

  /**
   * One setting.
   *
   * @param scope who reads it
   * @param name the environment variable or init-param; {@code <name>} marks a part the user
   *     chooses ({@code profile.<name>.limit})
   * @param type what its value must be
   * @param defaultValue the default as the docs state it ({@code none} if there is none)
   * @param meaning one line for people
   */
  public record Setting(Scope scope, String name, Type type, String defaultValue,
      String meaning) {
    /** Whether the name has a part the user chooses. */
    public boolean isTemplate() {
      return name.contains("<");
    }

    /** The Spring Boot property it is read from. */
    public String springProperty() {
      return switch (scope) {
        case REDIS -> "ratecache.redis." + kebab(name.substring("REDIS_".length()));
        case CACHE -> "ratecache.cache." + kebab(name.substring("CACHE_".length()));
        case RATE_LIMIT -> "ratecache.ratelimit." + name;
      };
    }

    private static String kebab(String upperSnake) {
      return upperSnake.toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** Every setting, in the order the docs list them. */
  public static final List<Setting> ALL = List.of(
      new Setting(Scope.REDIS, "REDIS_HOST", Type.TEXT, "localhost",
          "standalone server host"),
      new Setting(Scope.REDIS, "REDIS_PORT", Type.NUMBER, "6379",
          "standalone server port"),
      new Setting(Scope.REDIS, "REDIS_PASSWORD", Type.TEXT, "none",
          "password (empty = no authentication)"),
      new Setting(Scope.REDIS, "REDIS_USERNAME", Type.TEXT, "none",
          "ACL user"),
      new Setting(Scope.REDIS, "REDIS_DB", Type.NUMBER, "0",
          "database index (Cluster: only 0)"),
      new Setting(Scope.REDIS, "REDIS_URL", Type.TEXT, "none",
          "`redis://[user[:password]@]host[:port][/db]`, or `rediss://` for TLS; overrides host, port, user, password, db and TLS"),
      new Setting(Scope.REDIS, "REDIS_TLS", Type.BOOLEAN, "false",
          "use TLS"),
      new Setting(Scope.REDIS, "REDIS_TLS_CA_CERT_FILE", Type.TEXT, "JVM trust store",
          "PEM file of the CA certificates to trust (redis-server's `tls-ca-cert-file`)"),
      new Setting(Scope.REDIS, "REDIS_TLS_CERT_FILE", Type.TEXT, "none",
          "PEM client certificate chain, for servers with `tls-auth-clients yes`"),
      new Setting(Scope.REDIS, "REDIS_TLS_KEY_FILE", Type.TEXT, "none",
          "its key, unencrypted PKCS#8 PEM (`BEGIN PRIVATE KEY`)"),
      new Setting(Scope.REDIS, "REDIS_TLS_VERIFY", Type.TEXT, "full",
          "`full`: certificate chain and host name; `ca`: chain only (for nodes reached by an address their certificate does not name, such as cluster nodes announced by IP)"),
      new Setting(Scope.REDIS, "REDIS_CLUSTER_NODES", Type.TEXT, "none",
          "`host:port,host:port` seeds; selects Cluster mode"),
      new Setting(Scope.REDIS, "REDIS_SENTINELS", Type.TEXT, "none",
          "`host:port,…` sentinels; selects Sentinel mode (with `REDIS_SENTINEL_MASTER`)"),
      new Setting(Scope.REDIS, "REDIS_SENTINEL_MASTER", Type.TEXT, "none",
          "the master name Sentinel monitors"),
      new Setting(Scope.REDIS, "REDIS_SENTINEL_PASSWORD", Type.TEXT, "none",
          "password of the sentinels themselves"),
      new Setting(Scope.REDIS, "REDIS_ENABLED", Type.BOOLEAN, "true",
          "`false` runs on the in-memory fallback only, never touching the network"),
      new Setting(Scope.REDIS, "REDIS_CLIENT_NAME", Type.TEXT, "ratecache",
          "name shown by `CLIENT LIST`"),
      new Setting(Scope.REDIS, "REDIS_CONNECT_TIMEOUT_MS", Type.NUMBER, "500",
          "TCP connect timeout"),
      new Setting(Scope.REDIS, "REDIS_SOCKET_TIMEOUT_MS", Type.NUMBER, "500",
          "reply timeout"),
      new Setting(Scope.REDIS, "REDIS_POOL_MAX_TOTAL", Type.NUMBER, "32",
          "connections per node"),
      new Setting(Scope.REDIS, "REDIS_POOL_MAX_WAIT_MS", Type.NUMBER, "200",
          "longest wait for a pooled connection"),
      new Setting(Scope.REDIS, "REDIS_CLUSTER_MAX_ATTEMPTS", Type.NUMBER, "5",
          "Cluster: attempts per command, redirections included (a command meeting a resharding can need `ASK` then `MOVED`)"),
      new Setting(Scope.REDIS, "REDIS_CLUSTER_MAX_RETRY_MS", Type.NUMBER, "1000",
          "Cluster: total retry time per command"),
      new Setting(Scope.REDIS, "REDIS_FAILURE_THRESHOLD", Type.NUMBER, "3",
          "consecutive failed or slow calls that mark Redis down (one call that waits out the socket timeout is enough on its own)"),
      new Setting(Scope.REDIS, "REDIS_SLOW_CALL_MS", Type.NUMBER, "socket timeout",
          "a successful call this slow counts as a failure"),
      new Setting(Scope.REDIS, "REDIS_PROBE_INITIAL_MS", Type.NUMBER, "250",
          "first background probe delay once Redis is down"),
      new Setting(Scope.REDIS, "REDIS_PROBE_MAX_MS", Type.NUMBER, "5000",
          "cap on the probe delay (exponential backoff with ±20% jitter)"),
      new Setting(Scope.REDIS, "REDIS_WAIT_REPLICAS", Type.NUMBER, "0",
          "replicas that must acknowledge a cache invalidation (`WAIT`); 1 on a Cluster or Sentinel with replicas keeps an invalidation from being lost with a master that crashes just after it"),
      new Setting(Scope.REDIS, "REDIS_WAIT_REPLICAS_TIMEOUT_MS", Type.NUMBER, "100",
          "longest wait for them; one not acknowledged in time is made again after the next failover"),
      new Setting(Scope.RATE_LIMIT, "profiles", Type.TEXT, "chat,auth,upload,search (+ any configured)",
          "profiles in use"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.limit", Type.TEXT, "per default profile",
          "limits, e.g. `20/1m` or `10/1s, 1000/1h`"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.limit.<plan>", Type.TEXT, "the profile's limit",
          "limits of clients on plan `<plan>` (named by the API key's verifier, the `dev.ratecache.plan` request attribute or an operator's assignment; never by the client), e.g. `200/1m`"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.prefixes", Type.TEXT, "per default profile",
          "URL prefixes, comma-separated"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.methods", Type.TEXT, "all",
          "HTTP methods, e.g. `POST,PUT`"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.fallback", Type.TEXT, "local",
          "`local`, `open` or `closed`"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.mode", Type.TEXT, "enforce",
          "`enforce`, or `shadow`: every decision computed and counted (`would_reject`), nothing refused (unset: the limiter's `mode`)"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.count", Type.TEXT, "all",
          "`all`, `failures` (only 4xx/5xx answers and requests that throw use the limit: a login route) or `successes`; charged on arrival, given back when the answer does not count"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.allow", Type.TEXT, "none",
          "clients this profile never limits (added to `allow`)"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.deny", Type.TEXT, "none",
          "clients this profile refuses with 403 (added to `deny`)"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.lockout", Type.TEXT, "none",
          "after the limit is hit, block the client this long (e.g. `1m`), doubling on each lockout in a row; refused with 429 `\"reason\":\"blocked\"`, nothing charged"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.lockout-max", Type.TEXT, "1h (or the lockout, if longer)",
          "the longest block"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.lockout-reset", Type.TEXT, "1h",
          "quiet time after a block that starts the escalation again"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.key", Type.TEXT, "client",
          "whose bucket: `client`, `account` (the `dev.ratecache.account` request attribute the application sets) or `account+client`; a request naming no account is charged as its client"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.cost", Type.NUMBER, "1",
          "tokens a request costs (a bulk export: 10); `@RateLimited(cost = …)` sets it per route"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.cost-function", Type.TEXT, "none",
          "a `CostFunction` class (public no-argument constructor) that works out each request's cost from the request, held to 1..1,000,000"),
      new Setting(Scope.RATE_LIMIT, "profile.<name>.cost-on-hit", Type.NUMBER, "the cost",
          "tokens a request costs in the end when its answer came from the cache (`@CachedQuery` hit) or was a 304; the difference is given back"),
      new Setting(Scope.RATE_LIMIT, "mode", Type.TEXT, "enforce",
          "the mode of profiles that set none: `enforce` or `shadow`"),
      new Setting(Scope.RATE_LIMIT, "allow", Type.TEXT, "none",
          "clients no profile limits, comma-separated: addresses or CIDR blocks (after trusted proxies), `user:<name>`, `key:<owner>` (a verified API key's owner), `client:<id>`, `app:<id>`; admitted uncharged, counted as `allowlisted`"),
      new Setting(Scope.RATE_LIMIT, "deny", Type.TEXT, "none",
          "clients every profile refuses with 403 problem+json, in the forms of `allow`; wins over `allow`"),
      new Setting(Scope.RATE_LIMIT, "overrides-max", Type.NUMBER, "10000",
          "most runtime overrides (per-client and per-plan limits, plan assignments, timed denials) kept in Redis; a write past it is refused"),
      new Setting(Scope.RATE_LIMIT, "audit-max", Type.NUMBER, "10000",
          "about how many records the audit trail's Redis stream (`ratecache:audit`) keeps"),
      new Setting(Scope.RATE_LIMIT, "key-strategy", Type.TEXT, "principal,api-key,ip",
          "identity order or subset"),
      new Setting(Scope.RATE_LIMIT, "api-key-header", Type.TEXT, "X-API-Key",
          "API-key header name"),
      new Setting(Scope.RATE_LIMIT, "api-key-verifier", Type.TEXT, "none: keys ignored",
          "class implementing `ApiKeyVerifier` (public no-argument constructor)"),
      new Setting(Scope.RATE_LIMIT, "trusted-proxies", Type.TEXT, "none",
          "IPs/CIDRs whose forwarding header is believed"),
      new Setting(Scope.RATE_LIMIT, "forwarded-header", Type.TEXT, "x-forwarded-for",
          "the header those proxies set: `x-forwarded-for` or `forwarded`"),
      new Setting(Scope.RATE_LIMIT, "principal-case-insensitive", Type.BOOLEAN, "true",
          "`Alice` and `alice` are one client"),
      new Setting(Scope.RATE_LIMIT, "charge-preflight", Type.BOOLEAN, "false",
          "CORS preflights cost a token"),
      new Setting(Scope.RATE_LIMIT, "ipv6-prefix", Type.NUMBER, "64",
          "IPv6 grouping"),
      new Setting(Scope.RATE_LIMIT, "headers", Type.TEXT, "draft",
          "`draft`, `legacy`, `both` or `none`"),
      new Setting(Scope.RATE_LIMIT, "case-insensitive", Type.BOOLEAN, "true",
          "fold case when matching prefixes"),
      new Setting(Scope.RATE_LIMIT, "local-max-buckets", Type.NUMBER, "100000",
          "bound on in-memory buckets, cached rejections and remembered states"),
      new Setting(Scope.RATE_LIMIT, "redis-buckets", Type.TEXT, "one-round-trip",
          "`one-round-trip` (one command per decision, usually) or `bucket4j-jedis` (GET + EVAL)"),
      new Setting(Scope.RATE_LIMIT, "problem-type", Type.TEXT, "about:blank",
          "`type` of the problem+json body"),
      new Setting(Scope.CACHE, "CACHE_TTL_USER", Type.NUMBER, "300",
          "seconds entries of the `user` category live (`query:user:…`)"),
      new Setting(Scope.CACHE, "CACHE_TTL_CHAT", Type.NUMBER, "180",
          "seconds for the `chat` category"),
      new Setting(Scope.CACHE, "CACHE_TTL_MESSAGES", Type.NUMBER, "120",
          "seconds for the `messages` category"),
      new Setting(Scope.CACHE, "CACHE_TTL_DOCUMENTS", Type.NUMBER, "60",
          "seconds for the `documents` category"),
      new Setting(Scope.CACHE, "CACHE_TTL_DOCUMENT_STATS", Type.NUMBER, "30",
          "seconds for the `document_stats` category"),
      new Setting(Scope.CACHE, "CACHE_TTL_AUTH", Type.NUMBER, "900",
          "seconds for the `auth` category (`auth:…`)"),
      new Setting(Scope.CACHE, "CACHE_TTL_OTHER", Type.NUMBER, "60",
          "seconds for keys of no known category"),
      new Setting(Scope.CACHE, "CACHE_LOAD_WAIT_MS", Type.NUMBER, "5000",
          "longest wait for another caller's load of the same key; then the caller loads itself"),
      new Setting(Scope.CACHE, "CACHE_FAILURE_MEMORY_MS", Type.NUMBER, "0",
          "how long a failed load is remembered and answered without loading (0: only the callers already waiting share it)"),
      new Setting(Scope.CACHE, "CACHE_ROUTE_BUDGET_BYTES", Type.NUMBER, "67108864",
          "bytes of new entries one `@CachedQuery` route may store per TTL window (64 MiB; 0: no bound)"),
      new Setting(Scope.CACHE, "CACHE_NEAR_TTL_MS", Type.NUMBER, "0",
          "near cache: how long an instance serves a copy without asking Redis (0: off)"),
      new Setting(Scope.CACHE, "CACHE_NEAR_MAX_BYTES", Type.NUMBER, "16777216",
          "near cache: most bytes of copies held (16 MiB)"),
      new Setting(Scope.CACHE, "CACHE_TTL_JITTER_PERCENT", Type.NUMBER, "0",
          "each entry's TTL shortened by a random 0 to this many percent (at most 50), so entries written together (a warm-up, a deploy) do not expire together"),
      new Setting(Scope.CACHE, "CACHE_STALE_WHILE_REVALIDATE_MS", Type.NUMBER, "0",
          "stale-while-revalidate: how long past its TTL an entry is served at once while one refresh per fleet runs (0: off)"),
      new Setting(Scope.CACHE, "CACHE_STALE_IF_ERROR_MS", Type.NUMBER, "0",
          "stale-if-error: how long past its TTL an entry answers a failed load (0: off)"),
      new Setting(Scope.CACHE, "CACHE_FLEET_LOADS", Type.BOOLEAN, "true",
          "a miss is loaded once per fleet: one instance takes a lease in Redis, the others wait for its value (at most the load wait)"),
      new Setting(Scope.CACHE, "CACHE_TAG_RETENTION_MS", Type.NUMBER, "86400000",
          "the longest a tagged entry lives (one day): a tag's invalidation is kept in Redis this long, and a tagged entry's TTL plus stale window is cut to it"),
      new Setting(Scope.CACHE, "CACHE_COMPRESS_MIN_BYTES", Type.NUMBER, "4096",
          "values of at least this many bytes are stored in Redis compressed with LZ4, when that makes them smaller (0: off); every instance reads both forms"));

  /** The settings of one scope. */
  public static List<Setting> of(Scope scope) {
    return ALL.stream().filter(s -> s.scope() == scope).toList();
  }

  /**
   * The default of a number setting, for the parsers to read (so the code and the docs state one
   * default).
   *
   * @throws IllegalArgumentException if there is no such setting or its default is no number
   */
  public static long defaultNumber(String name) {
    Setting s = named(name).orElseThrow(() -> new IllegalArgumentException("no setting " + name));
    try {
      return Long.parseLong(s.defaultValue());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " has no number as its default", e);
    }
  }

  /** The setting named {@code name}, if there is one. */
  public static Optional<Setting> named(String name) {
    return ALL.stream().filter(s -> s.name().equals(name)).findFirst();
  }
}
