package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A named set of limits and the URL prefixes and HTTP methods they guard; an immutable value.
 *
 * <p>{@link #defaults()} gives the four profiles of the original design:
 *
 * <table>
 *   <caption>default profiles</caption>
 *   <tr><th>profile</th><th>prefix</th><th>limit</th></tr>
 *   <tr><td>chat</td><td>/api/chat</td><td>20 / minute</td></tr>
 *   <tr><td>auth</td><td>/api/auth</td><td>5 / 15 minutes</td></tr>
 *   <tr><td>upload</td><td>/api/upload</td><td>5 / minute</td></tr>
 *   <tr><td>search</td><td>/api/search</td><td>30 / minute</td></tr>
 * </table>
 */
public final class RateLimitProfile {
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,63}");
  private static final Pattern METHOD = Pattern.compile("[A-Z]{1,16}");

  private final String name;
  private final List<Limit> limits;
  private final List<String> prefixes;
  private final Set<String> methods;
  private final FallbackMode fallback;
  /** The RateLimit-Policy header value: constant per profile, so formatted once. */
  private final String policyHeader;

  private RateLimitProfile(Builder b) {
    this.name = b.name;
    this.limits = List.copyOf(b.limits);
    this.prefixes = List.copyOf(b.prefixes);
    this.methods = Set.copyOf(b.methods);
    this.fallback = b.fallback;
    this.policyHeader = RateLimitHeaders.policy(this);
  }

  String policyHeader() {
    return policyHeader;
  }

  /**
   * A builder for a profile.
   *
   * @param name lower-case letters, digits, {@code _} and {@code -}; used in Redis keys and in the
   *     RateLimit headers
   * @throws ConfigurationException if the name is not of that form
   */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** The built-in profiles: chat, auth, upload and search. */
  public static List<RateLimitProfile> defaults() {
    return List.of(
        builder("chat").limit(Limit.of(20, Duration.ofMinutes(1))).prefix("/api/chat").build(),
        builder("auth").limit(Limit.of(5, Duration.ofMinutes(15))).prefix("/api/auth").build(),
        builder("upload").limit(Limit.of(5, Duration.ofMinutes(1))).prefix("/api/upload").build(),
        builder("search").limit(Limit.of(30, Duration.ofMinutes(1))).prefix("/api/search")
            .build());
  }

  public String name() {
    return name;
  }

  /** One or more limits; a request must pass all of them. */
  public List<Limit> limits() {
    return limits;
  }

  /** The URL prefixes guarded, normalised; may be empty for annotation-only profiles. */
  public List<String> prefixes() {
    return prefixes;
  }

  /** Upper-case HTTP methods this profile applies to; empty means every method. */
  public Set<String> methods() {
    return methods;
  }

  public FallbackMode fallback() {
    return fallback;
  }

  /** The longest period among the limits. */
  Duration longestPeriod() {
    return limits.stream().map(Limit::period).max(Duration::compareTo).orElseThrow();
  }

  /** A builder that starts from this profile. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.limits.addAll(limits);
    b.prefixes.addAll(prefixes);
    b.methods.addAll(methods);
    b.fallback = fallback;
    return b;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RateLimitProfile p && name.equals(p.name) && limits.equals(p.limits)
        && prefixes.equals(p.prefixes) && methods.equals(p.methods) && fallback == p.fallback;
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, limits, prefixes, methods, fallback);
  }

  @Override
  public String toString() {
    return "RateLimitProfile{" + name + " " + limits + " on " + prefixes
        + (methods.isEmpty() ? "" : " " + methods) + ", fallback " + fallback + "}";
  }

  /** Builds a {@link RateLimitProfile}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final List<Limit> limits = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();
    private final Set<String> methods = new LinkedHashSet<>();
    private FallbackMode fallback = FallbackMode.LOCAL;

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new ConfigurationException("profile", "name '" + name
            + "' must be 1-64 lower-case letters, digits, '_' or '-', starting with a letter"
            + " or digit");
      }
      this.name = name;
    }

    /** Adds a limit. */
    public Builder limit(Limit limit) {
      limits.add(Objects.requireNonNull(limit, "limit"));
      return this;
    }

    /** Replaces every limit. */
    public Builder limits(List<Limit> replacement) {
      limits.clear();
      replacement.forEach(this::limit);
      return this;
    }

    /** Adds a URL prefix, relative to the context path, such as {@code /api/chat}. */
    public Builder prefix(String prefix) {
      String setting = "profile." + name + ".prefixes";
      if (prefix == null || !prefix.startsWith("/")) {
        throw new ConfigurationException(setting, "prefix '" + prefix + "' must start with '/'");
      }
      prefixes.add(PathNormalizer.normalize(prefix, false));
      return this;
    }

    /** Replaces every prefix. */
    public Builder prefixes(List<String> replacement) {
      prefixes.clear();
      replacement.forEach(this::prefix);
      return this;
    }

    /** Restricts the profile to these HTTP methods (default: every method). */
    public Builder methods(String... names) {
      methods.clear();
      for (String m : names) {
        String upper = m.trim().toUpperCase(Locale.ROOT);
        if (!METHOD.matcher(upper).matches()) {
          throw new ConfigurationException("profile." + name + ".methods",
              "'" + m + "' is not an HTTP method");
        }
        methods.add(upper);
      }
      return this;
    }

    /** What to do while Redis is unavailable. Default {@link FallbackMode#LOCAL}. */
    public Builder fallback(FallbackMode mode) {
      this.fallback = Objects.requireNonNull(mode, "fallback");
      return this;
    }

    /**
     * Validates and returns the profile.
     *
     * @throws ConfigurationException if it has no limit
     */
    public RateLimitProfile build() {
      if (limits.isEmpty()) {
        throw new ConfigurationException("profile." + name + ".limit",
            "profile '" + name + "' needs at least one limit, e.g. 20/1m");
      }
      return new RateLimitProfile(this);
    }
  }
}
