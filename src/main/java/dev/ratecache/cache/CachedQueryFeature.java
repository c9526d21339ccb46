package dev.ratecache.cache;

import dev.ratecache.ConfigurationException;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HttpMethod;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Priorities;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.container.ContainerResponseContext;
import jakarta.ws.rs.container.ContainerResponseFilter;
import jakarta.ws.rs.container.DynamicFeature;
import jakarta.ws.rs.container.ResourceInfo;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.FeatureContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.WriterInterceptor;
import jakarta.ws.rs.ext.WriterInterceptorContext;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Applies {@link CachedQuery @CachedQuery} and {@link InvalidatesCache @InvalidatesCache} to JAX-RS
 * resource methods. Annotations are read and key templates compiled once, at deploy time: an
 * unknown template variable, an unknown TTL category or {@code @CachedQuery} on a method that is
 * not {@code GET} fails the deployment with the method's name.
 *
 * <p>Cache lookups run after every other request filter of the application (at priority {@link
 * #LOOKUP_PRIORITY}, the last), so a cached response is still authenticated, authorized and
 * rate-limited, and per-user keys see the principal whatever priority the application's
 * authentication filter has (none, {@code AUTHENTICATION}, {@code @PreMatching}, or a servlet
 * filter). The store re-checks it: a response whose request has another principal than its
 * lookup had (a filter at the very same priority, or the resource itself, changed it) is not
 * stored, so no ordering of filters can put one user's response where another reads it.
 * Thread-safe.
 *
 * <p>(Longer than most files here for a reason: the feature and its two JAX-RS filters (request:
 * serve or lead the load; response: store, replay headers, invalidate) share the method
 * metadata they compile at deployment. Key rendering is {@code KeyTemplate}, preconditions
 * {@code Preconditions}, what a hit replays {@code StoredResponse}.)
 */
public final class CachedQueryFeature implements DynamicFeature {
  /** The default largest response body that is stored. */
  public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

  /**
   * The priority of the lookup: the largest a request filter can have, so that it runs after the
   * application's authentication and authorization filters (JAX-RS runs request filters in
   * ascending priority; a filter without {@code @Priority} has {@code Priorities.USER}).
   */
  public static final int LOOKUP_PRIORITY = Integer.MAX_VALUE;

  static final String KEY_PROPERTY = "dev.ratecache.cache.key";
  /** What the lookup saw at the key ({@code CacheStore.Seen}): a store writes only if unchanged. */
  static final String SEEN_PROPERTY = "dev.ratecache.cache.seen";
  /** When this request's own load (the resource method) began, on the cache's clock. */
  static final String LOAD_START_PROPERTY = "dev.ratecache.cache.loadStart";
  /** The principal the lookup keyed on ("" for none), re-checked before storing. */
  static final String PRINCIPAL_PROPERTY = "dev.ratecache.cache.principal";
  static final String STORE_PROPERTY = "dev.ratecache.cache.store";
  /** The {@link SingleFlight.Leader} ticket of a request that loads a cold key for others. */
  static final String FLIGHT_PROPERTY = "dev.ratecache.cache.flight";
  /** The shared key of which the request's key is one user's variant, if it is one. */
  static final String BASE_PROPERTY = "dev.ratecache.cache.base";
  /** A shared entry's key without its {@code Vary} variant (invalidated with it). */
  static final String VARY_BASE_PROPERTY = "dev.ratecache.cache.varyBase";
  /** The entry whose variants ({@code Vary}) are counted against the route's bound. */
  static final String VARY_ENTRY_PROPERTY = "dev.ratecache.cache.varyEntry";
  /** A 404 to store (negative caching). */
  static final String NOT_FOUND_PROPERTY = "dev.ratecache.cache.notFound";
  /** The fleet lease a request running the method holds on its key. */
  static final String LEASE_PROPERTY = "dev.ratecache.cache.lease";
  /** A stale stored response to answer a 5xx with (stale-if-error), or to refresh. */
  static final String STALE_PROPERTY = "dev.ratecache.cache.stale";
  private static final Pattern PATH_VARIABLE =
      Pattern.compile("\\{\\s*([A-Za-z_][A-Za-z0-9_.-]*)\\s*(?::[^}]*)?}");

  private static final org.slf4j.Logger log =
      org.slf4j.LoggerFactory.getLogger(CachedQueryFeature.class);
  private final dev.ratecache.internal.ThrottledLog errorLog =
      new dev.ratecache.internal.ThrottledLog(log, Duration.ofMinutes(1), java.time.Clock.systemUTC());
  private final dev.ratecache.internal.ThrottledLog budgetLog =
      new dev.ratecache.internal.ThrottledLog(log, Duration.ofMinutes(1), java.time.Clock.systemUTC());
  private final QueryCache cache;
  private final int maxBodyBytes;
  /** Set at deploy if a cached method has variants (per user, Vary): a key takes them along. */
  private volatile boolean anyVariants;

  /** Caches through {@code cache}, storing bodies up to 1 MiB. */
  public CachedQueryFeature(QueryCache cache) {
    this(cache, DEFAULT_MAX_BODY_BYTES);
  }

  /** Caches through {@code cache}, storing bodies up to {@code maxBodyBytes}. */
  public CachedQueryFeature(QueryCache cache, int maxBodyBytes) {
    this.cache = Objects.requireNonNull(cache, "cache");
    if (maxBodyBytes < 1) {
      throw new ConfigurationException("maxBodyBytes", "must be positive, got " + maxBodyBytes);
    }
    this.maxBodyBytes = maxBodyBytes;
  }

  @Override
  public void configure(ResourceInfo resourceInfo, FeatureContext context) {
    Method method = resourceInfo.getResourceMethod();
    String where = resourceInfo.getResourceClass().getName() + "." + method.getName();
    CachedQuery cached = method.getAnnotation(CachedQuery.class);
    InvalidatesCache invalidates = method.getAnnotation(InvalidatesCache.class);
    if (cached == null && invalidates == null) {
      return;
    }
    Set<String> names = declaredNames(resourceInfo);
    if (cached != null) {
      if (method.getAnnotation(GET.class) == null) {
        throw new ConfigurationException("@CachedQuery", "only GET methods can be cached; "
            + where + " is not GET");
      }
      KeyTemplate template = checked(cached.value(), names, where, "@CachedQuery");
      Duration ttl = ttl(cached, template, where);
      if (!cached.shared()) {
        anyVariants = true;
      }
      Duration swr = window(cached.staleWhileRevalidateSeconds(), cache.staleWhileRevalidate(),
          "staleWhileRevalidateSeconds", where);
      Duration sie = window(cached.staleIfErrorSeconds(), cache.staleIfError(),
          "staleIfErrorSeconds", where);
      if (cached.notFoundTtlSeconds() < 0) {
        throw new ConfigurationException("@CachedQuery", "notFoundTtlSeconds must be 0 (off) or"
            + " positive, got " + cached.notFoundTtlSeconds() + " on " + where);
      }
      List<KeyTemplate> tags = tagTemplates(cached.tags(), names, where, "@CachedQuery");
      List<String> vary = VaryHeaders.checked(cached.vary(), cached.maxVariants(), where);
      if (!vary.isEmpty()) {
        anyVariants = true; // its variants are found through the key's index, as users' are
      }
      context.register(new Lookup(template, ttl, cached.shared(), ParamValues.of(method), swr,
          sie, Duration.ofSeconds(cached.notFoundTtlSeconds()), tags, vary,
          cached.maxVariants()), LOOKUP_PRIORITY);
    }
    if (invalidates != null) {
      List<KeyTemplate> templates = java.util.Arrays.stream(invalidates.value())
          .map(t -> checked(t, names, where, "@InvalidatesCache")).toList();
      List<KeyTemplate> tags = tagTemplates(invalidates.tags(), names, where,
          "@InvalidatesCache");
      if (templates.isEmpty() && tags.isEmpty()) {
        throw new ConfigurationException("@InvalidatesCache", "names no key, pattern or tag on "
            + where);
      }
      context.register(new InvalidateAfterSuccess(templates, tags, ParamValues.of(method)),
          Priorities.AUTHORIZATION + 500);
    }
  }

  private static KeyTemplate checked(String text, Set<String> names, String where,
      String annotation) {
    KeyTemplate template = KeyTemplate.parse(text, annotation + " on " + where);
    for (String variable : template.variables()) {
      if (!names.contains(variable)) {
        throw new ConfigurationException(annotation, "unknown variable {" + variable + "} in '"
            + text + "' on " + where + "; the method's path and query parameters are " + names);
      }
    }
    return template;
  }

  /** Tag templates, checked as key templates are, at most {@link Tags#MAX} and no patterns. */
  private static List<KeyTemplate> tagTemplates(String[] texts, Set<String> names, String where,
      String annotation) {
    if (texts.length > Tags.MAX) {
      throw new ConfigurationException(annotation, "at most " + Tags.MAX + " tags, got "
          + texts.length + " on " + where);
    }
    List<KeyTemplate> out = new ArrayList<>();
    for (String text : texts) {
      KeyTemplate t = checked(text, names, where, annotation);
      if (t.isPattern()) {
        throw new ConfigurationException(annotation, "a tag is a name, not a pattern: '" + text
            + "' on " + where);
      }
      out.add(t);
    }
    return List.copyOf(out);
  }

  /** The stored names of {@code tags} rendered for a request; none if one cannot be. */
  static List<String> tagNames(List<KeyTemplate> tags, Function<String, String> values) {
    if (tags.isEmpty()) {
      return List.of();
    }
    List<String> rendered = new ArrayList<>(tags.size());
    for (KeyTemplate t : tags) {
      rendered.add(t.renderRaw(values));
    }
    return Tags.names(rendered);
  }

  private static Duration window(long seconds, Duration cacheDefault, String name,
      String where) {
    if (seconds < -1) {
      throw new ConfigurationException("@CachedQuery", name + " must be -1 (the cache's), 0 (off)"
          + " or positive, got " + seconds + " on " + where);
    }
    return seconds == -1 ? cacheDefault : Duration.ofSeconds(seconds);
  }

  /** A {@code Cache-Control} directive's seconds ({@code stale-if-error=60}), or -1 if absent. */
  static long directive(String cacheControl, String name) {
    if (cacheControl == null) {
      return -1;
    }
    for (String part : cacheControl.split(",")) {
      String p = part.trim();
      int eq = p.indexOf('=');
      if (eq > 0 && p.substring(0, eq).trim().equalsIgnoreCase(name)) {
        String v = p.substring(eq + 1).trim().replace("\"", "");
        if (v.matches("[0-9]{1,9}")) {
          return Long.parseLong(v);
        }
      }
    }
    return -1;
  }

  private Duration ttl(CachedQuery cached, KeyTemplate template, String where) {
    if (cached.ttlSeconds() != -1 && cached.ttlSeconds() < 1) {
      throw new ConfigurationException("@CachedQuery", "ttlSeconds must be positive, got "
          + cached.ttlSeconds() + " on " + where);
    }
    if (cached.ttlSeconds() > 0) {
      return Duration.ofSeconds(cached.ttlSeconds());
    }
    if (!cached.category().isEmpty()) {
      if (!cache.ttls().has(cached.category())) {
        throw new ConfigurationException("@CachedQuery", "unknown TTL category '"
            + cached.category() + "' on " + where + "; known: " + cache.ttls().asMap().keySet());
      }
      return cache.ttls().of(cached.category());
    }
    String category = CacheKeys.category(template.toString());
    if (category.equals(CacheTtl.OTHER) || !cache.ttls().has(category)) {
      throw new ConfigurationException("@CachedQuery", "key '" + template + "' on " + where
          + " is in no TTL category (" + cache.ttls().asMap().keySet()
          + " follow the documented key prefixes); set ttlSeconds, or category (\"other\" for"
          + " the default " + cache.ttls().of(CacheTtl.OTHER).toSeconds() + " s)");
    }
    return cache.ttls().of(category);
  }

  /** Names a template may use: {@code @PathParam}, {@code @QueryParam} and {@code @Path} variables. */
  private static Set<String> declaredNames(ResourceInfo info) {
    Set<String> names = new LinkedHashSet<>();
    Method method = info.getResourceMethod();
    for (Parameter p : method.getParameters()) {
      for (Annotation a : p.getAnnotations()) {
        if (a instanceof PathParam pp) {
          names.add(pp.value());
        } else if (a instanceof QueryParam qp) {
          names.add(qp.value());
        }
      }
    }
    for (Path path : new Path[] {info.getResourceClass().getAnnotation(Path.class),
        method.getAnnotation(Path.class)}) {
      if (path != null) {
        Matcher m = PATH_VARIABLE.matcher(path.value());
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  private static String principal(ContainerRequestContext request) {
    if (request.getSecurityContext() == null) {
      return null;
    }
    Principal p = request.getSecurityContext().getUserPrincipal();
    return p == null ? null : p.getName();
  }

  private static List<String> headerValues(ContainerRequestContext request, String name) {
    List<String> values = request.getHeaders().get(name);
    return values == null ? List.of() : values;
  }

  /** A strong entity tag: 128 bits of SHA-256 of the body. */
  static EntityTag etag(byte[] body) {
    return new EntityTag(CacheKeys.hash(body).substring(0, 22));
  }

  /** The lookup before the method, and the store after it. */
  final class Lookup implements ContainerRequestFilter, ContainerResponseFilter, WriterInterceptor {
    private final KeyTemplate template;
    private final Duration ttl;
    private final boolean shared;
    private final ParamValues params;
    private final Duration staleWhileRevalidate;
    private final Duration staleIfError;

    private final Duration notFoundTtl;
    private final List<KeyTemplate> tags;
    private final List<String> vary;
    private final int maxVariants;

    Lookup(KeyTemplate template, Duration ttl, boolean shared, ParamValues params,
        Duration staleWhileRevalidate, Duration staleIfError, Duration notFoundTtl,
        List<KeyTemplate> tags, List<String> vary, int maxVariants) {
      this.vary = vary;
      this.maxVariants = maxVariants;
      this.notFoundTtl = notFoundTtl;
      this.tags = tags;
      this.template = template;
      this.ttl = ttl;
      this.shared = shared;
      this.params = params;
      this.staleWhileRevalidate = staleWhileRevalidate;
      this.staleIfError = staleIfError;
    }

    /** The route's window, or what the stored response's Cache-Control says for itself. */
    private Duration window(StoredResponse stored, String directive, Duration route) {
      long s = directive(stored.headers().get("Cache-Control"), directive);
      return s >= 0 ? Duration.ofSeconds(s) : route;
    }

    @Override
    public void filter(ContainerRequestContext request) {
      String method = request.getMethod();
      if (!HttpMethod.GET.equals(method) && !HttpMethod.HEAD.equals(method)) {
        return;
      }
      String key;
      List<String> tagged;
      try {
        Function<String, String> values = params.of(request);
        key = template.render(values);
        tagged = tagNames(tags, values);
      } catch (ParamValues.NotConvertible e) {
        return; // the method cannot take this request (404/400 follows): nothing to cache
      } catch (IllegalArgumentException blankTag) {
        return; // a tag rendered blank from the request: served, not cached (no tag to name it)
      }
      String user = principal(request);
      request.setProperty(PRINCIPAL_PROPERTY, user == null ? "" : user);
      if (!shared && user != null) {
        request.setProperty(BASE_PROPERTY, key);
        key = ResponseStore.userVariant(key, user);
      }
      if (!vary.isEmpty()) {
        String variant = VaryHeaders.suffix(vary, request.getHeaders()::get);
        if (variant == null) {
          return; // a header value too long to key: served, not cached
        }
        if (request.getProperty(BASE_PROPERTY) == null) {
          request.setProperty(VARY_BASE_PROPERTY, key);
        }
        request.setProperty(VARY_ENTRY_PROPERTY, key);
        key = key + variant;
      }
      request.setProperty(KEY_PROPERTY, key);
      CacheStore.Seen seen = cache.responses().observe(key, tagged);
      String json = seen.value();
      long now = cache.nowMillis();
      if (QueryCache.ABSENT.equals(json)) {
        if (!notFoundTtl.isZero() && seen.freshAt(now)) {
          // A stored absence (negative caching): the method would answer 404 again.
          request.setProperty(dev.ratecache.internal.RequestAttributes.CACHE_HIT, Boolean.TRUE);
          request.abortWith(Response.status(Response.Status.NOT_FOUND)
              .entity("{\"title\":\"Not Found\",\"status\":404}")
              .type("application/problem+json").header("X-Cache", "HIT").build());
          return;
        }
        cache.responses().countAsMiss(key);
        json = null;
        seen = new CacheStore.Seen(null, seen.token());
      }
      if (json != null && !seen.freshAt(now)) {
        StoredResponse stale = StoredResponse.decode(json);
        if (QueryCache.within(seen, now, window(stale, "stale-while-revalidate",
            staleWhileRevalidate))) {
          // One request per fleet runs the method (a refresh); every other is served at once.
          SingleFlight.Ticket ticket = cache.responses().flights().begin(key);
          if (ticket instanceof SingleFlight.Leader leader) {
            String holder = cache.takeLease(key, seen);
            if (holder != null) {
              request.setProperty(FLIGHT_PROPERTY, leader);
              request.setProperty(LEASE_PROPERTY, holder);
              request.setProperty(STALE_PROPERTY, new Stale(stale, seen.storedAt()));
              loading(request, seen);
              return;
            }
            leader.complete(null); // another instance refreshes it
          }
          cache.servedStale(QueryCache.StaleReason.REVALIDATING);
          request.setProperty(dev.ratecache.internal.RequestAttributes.CACHE_HIT, Boolean.TRUE);
          request.abortWith(replay(request, stale, "STALE", seen.storedAt()).build());
          return;
        }
        if (QueryCache.within(seen, now, window(stale, "stale-if-error", staleIfError))) {
          request.setProperty(STALE_PROPERTY, new Stale(stale, seen.storedAt()));
        }
        cache.responses().countAsMiss(key);
        json = null;
      }
      if (json == null) {
        // Cold: one request runs the method; those arriving meanwhile wait for it (bounded)
        // and are served what it stored, or run the method themselves if it is slow.
        SingleFlight.Ticket ticket = cache.responses().flights().begin(key);
        if (ticket instanceof SingleFlight.Leader leader) {
          String holder = cache.takeLease(key, seen);
          if (holder == null) {
            // Another instance runs the method: wait for what it stores (bounded), as above.
            CacheStore.Seen other = cache.awaitOther(key, seen);
            if (other.freshAt(cache.nowMillis())) {
              leader.complete(null);
              request.abortWith(replay(request, StoredResponse.decode(other.value()), "HIT", 0)
                  .build());
              request.setProperty(dev.ratecache.internal.RequestAttributes.CACHE_HIT,
                  Boolean.TRUE);
              return;
            }
            seen = other;
          }
          request.setProperty(FLIGHT_PROPERTY, leader);
          request.setProperty(LEASE_PROPERTY, holder);
          loading(request, seen);
          return;
        }
        Object outcome = awaited((SingleFlight.Follower) ticket);
        if (outcome instanceof LoadFailed failed) {
          // The leader's load failed: the same status, without running the method again.
          request.abortWith(Response.status(failed.status()).build());
          return;
        }
        if (outcome == LANDED) {
          seen = cache.responses().observe(key, tagged); // the leader's, if still current
          json = seen.value();
        }
        if (json == null) {
          loading(request, seen);
          return;
        }
      }
      // A hit: a rate-limit profile with a cost-on-hit charges that instead of its cost.
      request.setProperty(dev.ratecache.internal.RequestAttributes.CACHE_HIT, Boolean.TRUE);
      request.abortWith(replay(request, StoredResponse.decode(json), "HIT", 0).build());
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
      if (request.getProperty(KEY_PROPERTY) == null
          || response.getHeaders().containsKey("X-Cache")) {
        return;
      }
      response.getHeaders().putSingle("X-Cache", "MISS");
      boolean sharedEntry = request.getProperty(BASE_PROPERTY) == null; // not one user's
      String varyRefused = vary.isEmpty() ? null
          : Cacheability.headerRefusal(response.getStringHeaders(), sharedEntry, vary);
      String user = principal(request);
      boolean samePrincipal = (shared && sharedEntry)
          || Objects.equals(user == null ? "" : user, request.getProperty(PRINCIPAL_PROPERTY));
      MediaType type = response.getMediaType();
      boolean storable = Cacheability.refusal(request.getMethod(), response.getStatus(),
          response.hasEntity(), type == null ? null : type.toString(),
          response.getStringHeaders(), sharedEntry, samePrincipal, vary) == null;
      if (!vary.isEmpty() && varyRefused == null) {
        // Caches downstream must key on the same headers as this one (sent on a hit too).
        response.getHeaders().putSingle(HttpHeaders.VARY,
            VaryHeaders.merged(response.getHeaderString(HttpHeaders.VARY), vary));
      }
      if (storable) {
        request.setProperty(STORE_PROPERTY, Boolean.TRUE); // the writer stores, then lands
        return;
      }
      giveBack(request::getProperty);
      if (response.getStatus() == 404 && !notFoundTtl.isZero() && samePrincipal
          && HttpMethod.GET.equals(request.getMethod())
          && Cacheability.headerRefusal(response.getStringHeaders(), sharedEntry, vary)
          == null) {
        if (response.hasEntity()) {
          request.setProperty(NOT_FOUND_PROPERTY, Boolean.TRUE);
          request.setProperty(STORE_PROPERTY, Boolean.TRUE); // stored with its body
          return;
        }
        storeAbsence(request);
        land(request.getProperty(FLIGHT_PROPERTY));
        return;
      }
      if (response.getStatus() >= 500 && request.getProperty(STALE_PROPERTY) instanceof Stale s) {
        // Stale-if-error: the last good answer instead of the failure, counted and logged.
        cache.servedStale(QueryCache.StaleReason.ERROR);
        errorLog.warn("stale:" + template, "@CachedQuery route " + template + " answered "
            + response.getStatus() + "; served its stored response (stale-if-error)", null);
        Response r = replay(request, s.response(), "STALE", s.storedAt()).build();
        response.setStatus(r.getStatus());
        response.getHeaders().clear();
        r.getHeaders().forEach((name, values) -> response.getHeaders().put(name, values));
        response.setEntity(r.getEntity(), new java.lang.annotation.Annotation[0],
            r.getMediaType());
        land(request.getProperty(FLIGHT_PROPERTY));
      } else if (response.getStatus() >= 500) {
        fail(request.getProperty(FLIGHT_PROPERTY), response.getStatus());
      } else {
        land(request.getProperty(FLIGHT_PROPERTY));
      }
    }

    @Override
    public void aroundWriteTo(WriterInterceptorContext context) throws IOException {
      Object key = context.getProperty(KEY_PROPERTY);
      if (key == null || context.getProperty(STORE_PROPERTY) == null) {
        context.proceed();
        return;
      }
      try {
        store(context, (String) key);
      } finally {
        giveBack(context::getProperty);
        land(context.getProperty(FLIGHT_PROPERTY));
      }
    }

    /** Negative caching: the method's 404 stored as an absence for the not-found TTL. */
    private void storeAbsence(ContainerRequestContext request) {
      String key = (String) request.getProperty(KEY_PROPERTY);
      if (!(request.getProperty(SEEN_PROPERTY) instanceof CacheStore.Seen seen)
          || !(request.getProperty(LOAD_START_PROPERTY) instanceof Long start)
          || cache.outlivedTombstones(start)) {
        return;
      }
      if (!cache.responses().withinBudget(template.toString(),
          key.length() + QueryCache.ABSENT.length(), notFoundTtl)
          || !admitted(request::getProperty, key, notFoundTtl)) {
        return;
      }
      if (request.getProperty(BASE_PROPERTY) instanceof String base) {
        cache.responses().putVariant(base, key, QueryCache.ABSENT, notFoundTtl, Duration.ZERO,
            seen);
      } else if (request.getProperty(VARY_BASE_PROPERTY) instanceof String base) {
        cache.responses().putVariant(base, key, QueryCache.ABSENT, notFoundTtl, Duration.ZERO,
            seen);
      } else {
        cache.responses().putJson(key, QueryCache.ABSENT, notFoundTtl, Duration.ZERO, seen);
      }
    }

    private void store(WriterInterceptorContext context, String key) throws IOException {
      OutputStream original = context.getOutputStream();
      Capture capture = new Capture(original, maxBodyBytes);
      context.setOutputStream(capture);
      context.proceed();
      if (capture.overflowed()) {
        return; // too large: already streamed to the client, not stored
      }
      byte[] body = capture.bytes();
      if (context.getProperty(NOT_FOUND_PROPERTY) == null) {
        context.getHeaders().putSingle(HttpHeaders.ETAG, etag(body));
      }
      original.write(body);
      java.util.Map<String, String> sent = new java.util.HashMap<>();
      for (String name : StoredResponse.REPLAYED) {
        Object v = context.getHeaders().getFirst(name);
        if (v != null) {
          sent.put(name, v.toString());
        }
      }
      if (context.getMediaType() != null) {
        sent.put("Content-Type", context.getMediaType().toString());
      }
      int status = context.getProperty(NOT_FOUND_PROPERTY) != null ? 404 : 200;
      String json = StoredResponse.encode(sent, new String(body, StandardCharsets.UTF_8), status);
      if (!(context.getProperty(SEEN_PROPERTY) instanceof CacheStore.Seen seen)
          || !(context.getProperty(LOAD_START_PROPERTY) instanceof Long start)
          || cache.outlivedTombstones(start)) {
        return;
      }
      String trimmed = body.length > 8 ? "" : new String(body, StandardCharsets.UTF_8).trim();
      boolean negative = !notFoundTtl.isZero() && (status == 404
          || trimmed.equals("[]") || trimmed.equals("{}") || trimmed.equals("null"));
      Duration ttl = negative ? notFoundTtl : this.ttl; // negative caching's own TTL
      if (!cache.responses().withinBudget(template.toString(), body.length, ttl)) {
        budgetLog.warn("budget:" + template, "@CachedQuery route " + template + " stored its"
            + " budget of new entries for this TTL window (" + QueryCache.ROUTE_BUDGET_SETTING
            + "): responses are served, not stored, until the window ends", null);
        return;
      }
      String cc = sent.get("Cache-Control");
      // A negative entry lives its own short TTL and no longer: an absence is never served
      // stale (the thing may exist by now).
      Duration window = negative ? Duration.ZERO : QueryCache.staleWindow(
          stale(cc, "stale-while-revalidate", staleWhileRevalidate),
          stale(cc, "stale-if-error", staleIfError));
      if (!admitted(context::getProperty, key, ttl.plus(window))) {
        return;
      }
      if (context.getProperty(BASE_PROPERTY) instanceof String base) {
        cache.responses().putVariant(base, key, json, ttl, window, seen);
      } else if (context.getProperty(VARY_BASE_PROPERTY) instanceof String base) {
        cache.responses().putVariant(base, key, json, ttl, window, seen);
      } else {
        cache.responses().putJson(key, json, ttl, window, seen);
      }
    }

    /** Whether a {@code Vary} variant may be stored: its entry keeps at most the bound. */
    private boolean admitted(Function<String, Object> properties, String key, Duration life) {
      if (!(properties.apply(VARY_ENTRY_PROPERTY) instanceof String entry)) {
        return true;
      }
      if (cache.responses().admitVariant(entry, key, life, maxVariants)) {
        return true;
      }
      budgetLog.warn("vary:" + template, "@CachedQuery route " + template + " keeps "
          + maxVariants + " Vary variants of a key (maxVariants): a new one is served, not"
          + " stored, until one expires", null);
      return false;
    }
  }

  private static Duration stale(String cacheControl, String directive, Duration route) {
    long s = directive(cacheControl, directive);
    return s >= 0 ? Duration.ofSeconds(s) : route;
  }

  /** A stored response past its TTL, kept to answer a failure with (stale-if-error). */
  record Stale(StoredResponse response, long storedAt) {}

  /** Gives back the fleet lease this request took, if any (once). */
  private void giveBack(java.util.function.Function<String, Object> properties) {
    Object key = properties.apply(KEY_PROPERTY);
    Object holder = properties.apply(LEASE_PROPERTY);
    if (key instanceof String k && holder instanceof String h && !h.isEmpty()) {
      cache.giveBack(k, h);
    }
  }

  /**
   * The stored response as an answer to {@code request}: {@code 304} or {@code 412} as its
   * preconditions say, else {@code 200} with the body byte for byte; the headers the resource set;
   * {@code X-Cache: <how>}, and {@code Age} for a stale one.
   */
  private Response.ResponseBuilder replay(ContainerRequestContext request,
      StoredResponse stored, String how, long storedAt) {
    byte[] body = stored.body().getBytes(StandardCharsets.UTF_8);
    if (stored.status() != 200) { // a cached 404: as it was sent, without validators
      Response.ResponseBuilder absent = Response.status(stored.status()).entity(body);
      stored.headers().forEach((name, value) -> {
        if (name.equals("Content-Type")) {
          absent.type(value);
        } else if (!name.equals(StoredResponse.STATUS)) {
          absent.header(name, value);
        }
      });
      return absent.header("X-Cache", how);
    }
    EntityTag tag = etag(body);
    // Our own evaluation: Jersey's throws on a malformed validator, which was a 500 per request.
    Response.ResponseBuilder hit = switch (Preconditions.evaluate(
        headerValues(request, HttpHeaders.IF_MATCH),
        headerValues(request, HttpHeaders.IF_NONE_MATCH), tag.getValue())) {
      case NOT_MODIFIED -> Response.notModified();
      case FAILED -> Response.status(Response.Status.PRECONDITION_FAILED);
      case PROCEED -> Response.ok(body, MediaType.APPLICATION_JSON_TYPE);
    };
    // What the resource said of its representation and caching, as it said it.
    stored.headers().forEach((name, value) -> {
      if (name.equals("Content-Type")) {
        hit.type(value);
      } else {
        hit.header(name, value);
      }
    });
    if (how.equals("STALE")) {
      long now = cache.nowMillis();
      hit.header("Age", storedAt <= 0 || now <= storedAt ? 0 : (now - storedAt) / 1000);
    }
    return hit.tag(tag).header("X-Cache", how);
  }

  private static final Object LANDED = new Object();

  /**
   * Marks {@code request} as running the method for a key it found {@code seen}: its response is
   * stored only if nothing invalidated the key since, and it took less than a tombstone lives.
   */
  private void loading(ContainerRequestContext request, CacheStore.Seen seen) {
    request.setProperty(SEEN_PROPERTY, seen);
    request.setProperty(LOAD_START_PROPERTY, cache.loadStart());
  }

  /**
   * Waits for the request loading the same key: {@link #LANDED} if it finished (stored or not),
   * its {@link LoadFailed} if it failed, {@code null} if it is still loading at the end of the
   * wait (load for yourself).
   */
  private static Object awaited(SingleFlight.Follower follower) {
    try {
      follower.await();
      return LANDED;
    } catch (java.util.concurrent.TimeoutException slow) {
      return null;
    } catch (java.util.concurrent.ExecutionException failed) {
      return failed.getCause() instanceof LoadFailed f ? f : new LoadFailed(500);
    }
  }

  /** Ends a leader's flight, if this request led one: the requests waiting on it go on. */
  private static void land(Object ticket) {
    if (ticket instanceof SingleFlight.Leader leader) {
      leader.complete(null);
    }
  }

  /** Ends a leader's flight with a failure: the requests waiting on it answer {@code status}. */
  private static void fail(Object ticket, int status) {
    if (ticket instanceof SingleFlight.Leader leader) {
      leader.fail(new LoadFailed(status));
    }
  }

  /** A cold request's load failed with {@code status}; shared with the requests that waited. */
  static final class LoadFailed extends RuntimeException {
    private final int status;

    LoadFailed(int status) {
      super("the load answered " + status, null, false, false);
      this.status = status;
    }

    int status() {
      return status;
    }
  }

  /** Invalidates after a successful response. */
  final class InvalidateAfterSuccess implements ContainerResponseFilter {
    private final List<KeyTemplate> templates;
    private final List<KeyTemplate> tags;
    private final ParamValues params;

    InvalidateAfterSuccess(List<KeyTemplate> templates, List<KeyTemplate> tags,
        ParamValues params) {
      this.templates = templates;
      this.tags = tags;
      this.params = params;
    }

    @Override
    public void filter(ContainerRequestContext request, ContainerResponseContext response) {
      if (response.getStatusInfo().getFamily() != Response.Status.Family.SUCCESSFUL) {
        return;
      }
      Function<String, String> values = params.of(request);
      for (KeyTemplate t : templates) {
        String rendered;
        try {
          rendered = t.render(values);
        } catch (ParamValues.NotConvertible e) {
          continue; // cannot happen after a 2xx from the method; nothing it could name
        }
        if (t.isPattern()) {
          cache.invalidateMatching(rendered);
        } else {
          cache.invalidate(rendered);
          if (anyVariants) {
            // Per-user copies of this key, found through their index (no keyspace scan).
            cache.responses().invalidateVariants(rendered);
          }
        }
      }
      for (KeyTemplate t : tags) {
        try {
          cache.invalidateTag(t.renderRaw(values));
        } catch (ParamValues.NotConvertible | IllegalArgumentException e) {
          // as above; or blank: no response was cached under a blank tag
        }
      }
    }
  }

  /** Buffers a body up to a limit; past it, streams everything to the client and gives up. */
  private static final class Capture extends OutputStream {
    private final OutputStream target;
    private final int limit;
    private ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    Capture(OutputStream target, int limit) {
      this.target = target;
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (buffer != null && buffer.size() + len > limit) {
        buffer.writeTo(target);
        buffer = null;
      }
      if (buffer != null) {
        buffer.write(b, off, len);
      } else {
        target.write(b, off, len);
      }
    }

    boolean overflowed() {
      return buffer == null;
    }

    byte[] bytes() {
      return buffer.toByteArray();
    }
  }
}
