package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import dev.ratecache.internal.SettingValues;
import dev.ratecache.internal.SettingsCatalog;
import dev.ratecache.redis.RedisSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a {@link RateLimiter} from {@code web.xml} init-params; every name and value is checked
 * at start-up and an error names the init-param.
 *
 * <p>The init-params, their defaults and meanings are {@code SettingsCatalog}'s list (scope
 * {@code RATE_LIMIT}), shown in {@code docs/rate-limiting.md}; {@code REDIS_*} or {@code redis.*}
 * init-params override the environment's Redis settings.
 */
final class InitParams {
  /** The init-params other than a profile's, from the one list of settings. */
  private static final Set<String> GENERAL = new java.util.TreeSet<>();
  /** {@code profile.<name>.<setting>}, with the settings the one list names. */
  private static final Pattern PROFILE_PARAM;
  /** Those settings, as an error message names them: {@code (limit|prefixes|…)}. */
  private static final String PROFILE_SETTINGS;

  static {
    List<String> perProfile = new ArrayList<>();
    for (SettingsCatalog.Setting s : SettingsCatalog.of(SettingsCatalog.Scope.RATE_LIMIT)) {
      if (s.name().startsWith("profile.<name>.")) {
        perProfile.add(s.name().substring("profile.<name>.".length()));
      } else {
        GENERAL.add(s.name());
      }
    }
    PROFILE_SETTINGS = "(" + String.join("|", perProfile) + ")";
    List<String> patterns = new ArrayList<>();
    for (String setting : perProfile) {
      patterns.add(Pattern.quote(setting).replace("<plan>", "\\E[^.]+\\Q"));
    }
    PROFILE_PARAM = Pattern.compile("profile\\.([^.]+)\\.(" + String.join("|", patterns) + ")");
  }

  private InitParams() {}

  /**
   * Builds the limiter.
   *
   * @param params the init-params
   * @param environment where Redis settings not given as init-params are read from
   * @throws ConfigurationException naming the init-param that is unknown or malformed
   */
  static RateLimiter limiter(Map<String, String> params, Function<String, String> environment) {
    return apply(RateLimiter.builder().environment(environment), params).build();
  }

  /**
   * Applies the init-params to {@code b}: profiles, identity, headers and the rest; Redis
   * settings among them override the builder's environment.
   *
   * @throws ConfigurationException naming the init-param that is unknown or malformed
   */
  static RateLimiter.Builder apply(RateLimiter.Builder b, Map<String, String> params) {
    Map<String, Map<String, String>> perProfile = new LinkedHashMap<>();
    Map<String, String> redis = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : params.entrySet()) {
      String name = e.getKey().trim();
      Matcher m = PROFILE_PARAM.matcher(name);
      if (m.matches()) {
        perProfile.computeIfAbsent(m.group(1), k -> new LinkedHashMap<>())
            .put(m.group(2), e.getValue());
      } else if (RedisSettings.Name.ALL.contains(canonicalRedisName(name))) {
        redis.put(canonicalRedisName(name), e.getValue());
      } else if (!GENERAL.contains(name)) {
        throw new ConfigurationException(name, "unknown init-param; expected one of "
            + GENERAL + ", profile.<name>." + PROFILE_SETTINGS + " or a Redis setting"
            + " such as REDIS_HOST");
      }
    }

    Map<String, RateLimitProfile> defaults = new LinkedHashMap<>();
    RateLimitProfile.defaults().forEach(p -> defaults.put(p.name(), p));

    Set<String> enabled = new LinkedHashSet<>();
    String listed = params.get("profiles");
    if (listed != null && !listed.isBlank()) {
      for (String n : listed.split(",")) {
        if (!n.isBlank()) {
          enabled.add(n.trim());
        }
      }
    } else {
      enabled.addAll(defaults.keySet());
      enabled.addAll(perProfile.keySet());
    }
    for (String configured : perProfile.keySet()) {
      if (!enabled.contains(configured)) {
        throw new ConfigurationException("profile." + configured + ".*",
            "profile '" + configured + "' is configured but not listed in 'profiles' ("
                + enabled + ")");
      }
    }
    List<RateLimitProfile> profiles = new ArrayList<>();
    for (String name : enabled) {
      Map<String, String> settings = perProfile.getOrDefault(name, Map.of());
      RateLimitProfile base = defaults.get(name);
      if (base == null && !settings.containsKey("limit")) {
        throw new ConfigurationException("profiles", "unknown profile '" + name
            + "': not a default (" + defaults.keySet() + ") and no profile." + name
            + ".limit given");
      }
      RateLimitProfile.Builder pb =
          base != null ? base.toBuilder() : RateLimitProfile.builder(name);
      String prefix = "profile." + name + ".";
      if (settings.containsKey("limit")) {
        pb.limits(Limit.parseAll(settings.get("limit"), prefix + "limit"));
      }
      for (Map.Entry<String, String> setting : settings.entrySet()) {
        if (setting.getKey().startsWith("limit.")) {
          String plan = setting.getKey().substring("limit.".length());
          pb.planLimits(plan, Limit.parseAll(setting.getValue(), prefix + setting.getKey()));
        }
      }
      if (settings.containsKey("prefixes")) {
        List<String> prefixes = new ArrayList<>();
        for (String p : settings.get("prefixes").split(",")) {
          if (!p.isBlank()) {
            prefixes.add(p.trim());
          }
        }
        pb.prefixes(prefixes);
      }
      if (settings.containsKey("methods")) {
        pb.methods(settings.get("methods").split(","));
      }
      if (settings.containsKey("fallback")) {
        pb.fallback(SettingValues.choice(prefix + "fallback", settings.get("fallback"),
            FallbackMode.class));
      }
      if (settings.containsKey("mode")) {
        pb.mode(SettingValues.choice(prefix + "mode", settings.get("mode"),
            EnforcementMode.class));
      }
      if (settings.containsKey("count")) {
        pb.count(SettingValues.choice(prefix + "count", settings.get("count"), CountMode.class));
      }
      if (settings.containsKey("allow")) {
        pb.allow(list(settings.get("allow")));
      }
      if (settings.containsKey("lockout") || settings.containsKey("lockout-max")
          || settings.containsKey("lockout-reset")) {
        pb.lockout(Lockout.parse(name, settings.get("lockout"), settings.get("lockout-max"),
            settings.get("lockout-reset")));
      }
      if (settings.containsKey("key")) {
        pb.key(BucketKey.parse(prefix + "key", settings.get("key")));
      }
      if (settings.containsKey("cost")) {
        pb.cost(SettingValues.atLeast(prefix + "cost", settings.get("cost"), 1));
      }
      if (settings.containsKey("cost-function")) {
        pb.costFunction(load(settings.get("cost-function").trim(), CostFunction.class,
            prefix + "cost-function"));
      }
      if (settings.containsKey("cost-on-hit")) {
        pb.costOnHit(SettingValues.atLeast(prefix + "cost-on-hit", settings.get("cost-on-hit"),
            0));
      }
      if (settings.containsKey("deny")) {
        pb.deny(list(settings.get("deny")));
      }
      profiles.add(pb.build());
    }
    b.profiles(profiles);

    ClientKeyResolver.Builder keys = ClientKeyResolver.builder();
    ifPresent(params, "key-strategy", keys::strategies);
    ifPresent(params, "api-key-header", v -> keys.apiKeyHeader(v.trim()));
    ifPresent(params, "api-key-verifier", v -> keys.apiKeyVerifier(loadVerifier(v.trim())));
    String named = params.get("api-key-verifier");
    if ((named == null || named.isBlank()) && b.apiKeyVerifier() != null) {
      keys.apiKeyVerifier(b.apiKeyVerifier());
    }
    ifPresent(params, "trusted-proxies", keys::trustedProxies);
    ifPresent(params, "forwarded-header", keys::forwardedHeader);
    ifPresent(params, "principal-case-insensitive",
        v -> keys.foldPrincipalCase(SettingValues.bool("principal-case-insensitive", v)));
    ifPresent(params, "ipv6-prefix", v -> keys.ipv6Prefix(SettingValues.integer("ipv6-prefix", v)));
    b.keyResolver(keys.build());
    ifPresent(params, "headers",
        v -> b.headerStyle(SettingValues.choice("headers", v, HeaderStyle.class)));
    ifPresent(params, "case-insensitive",
        v -> b.caseInsensitivePaths(SettingValues.bool("case-insensitive", v)));
    ifPresent(params, "charge-preflight",
        v -> b.chargePreflight(SettingValues.bool("charge-preflight", v)));
    ifPresent(params, "local-max-buckets",
        v -> b.localMaxBuckets(SettingValues.integer("local-max-buckets", v)));
    ifPresent(params, "redis-buckets", v -> b.redisBuckets(
        SettingValues.choice("redis-buckets", v, RedisBucketProtocol.class)));
    ifPresent(params, "problem-type", v -> b.problemType(v.trim()));
    ifPresent(params, "mode",
        v -> b.mode(SettingValues.choice("mode", v, EnforcementMode.class)));
    ifPresent(params, "allow", v -> b.allow(list(v)));
    ifPresent(params, "deny", v -> b.deny(list(v)));
    ifPresent(params, "overrides-max",
        v -> b.maxOverrides(SettingValues.integer("overrides-max", v)));
    ifPresent(params, "audit-max",
        v -> b.auditMax(SettingValues.atLeast("audit-max", v, 1)));

    b.redisOverrides(redis);
    return b;
  }

  /** Instantiates the named {@link ApiKeyVerifier} from the application's class loader. */
  private static ApiKeyVerifier loadVerifier(String className) {
    return load(className, ApiKeyVerifier.class, "api-key-verifier");
  }

  /** Instantiates {@code className}, a {@code type} with a public no-argument constructor. */
  private static <T> T load(String className, Class<T> type, String setting) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    try {
      Class<?> found = Class.forName(className, true,
          loader != null ? loader : InitParams.class.getClassLoader());
      if (!type.isAssignableFrom(found)) {
        throw new ConfigurationException(setting, className + " does not implement "
            + type.getName());
      }
      return type.cast(found.getConstructor().newInstance());
    } catch (ClassNotFoundException e) {
      throw new ConfigurationException(setting, "no class " + className);
    } catch (NoSuchMethodException e) {
      throw new ConfigurationException(setting, className
          + " has no public no-argument constructor");
    } catch (ReflectiveOperationException | LinkageError e) {
      throw new ConfigurationException(setting, "cannot create " + className + ": "
          + (e.getCause() != null ? e.getCause() : e));
    }
  }


  /** A comma-separated list, blanks dropped. */
  private static List<String> list(String text) {
    List<String> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static String canonicalRedisName(String name) {
    return name.trim().replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  private static void ifPresent(Map<String, String> params, String name,
      java.util.function.Consumer<String> action) {
    String v = params.get(name);
    if (v != null && !v.isBlank()) {
      action.accept(v);
    }
  }
}
