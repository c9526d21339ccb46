package dev.ratecache.ops;

import dev.ratecache.ConfigurationException;
import dev.ratecache.json.JsonCodec;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.SecurityContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The opt-in admin endpoint, under {@code /admin/ratecache} of the JAX-RS application: health,
 * statistics, clear-by-pattern and warm-up. Nothing is exposed unless an application registers
 * an instance made with {@link #withToken} or {@link #withRole}; every request without the
 * credential gets {@code 401} (or {@code 403} for a principal without the role).
 *
 * <ul>
 *   <li>{@code GET health}: the {@link HealthReport}; {@code 503} when degraded.
 *   <li>{@code GET stats}: this instance, the fleet and Redis.
 *   <li>{@code POST clear?pattern=…}: removes matching keys (all the library's keys without a
 *       pattern); answers {@code {"removed": n}}.
 *   <li>{@code POST warm}: runs warm-up; answers the {@link WarmupReport}.
 *   <li>{@code GET overrides}: the rate limiter's runtime overrides; {@code POST overrides}
 *       with {@code kind=limit|plan|deny}, {@code subject} and as needed {@code profile},
 *       {@code value}, {@code ttl} writes one (a limit for a client or {@code plan:<name>}, a
 *       client's plan, a timed denial); {@code
 *       DELETE overrides?kind=…&subject=…[&profile=…]} removes one. 400 for a malformed one,
 *       503 while Redis is down.
 *   <li>{@code GET explain?path=…&method=…&client=…[&plan=…][&account=…][&profile=…]}: what the
 *       rate limiter would do with that client's next request, and why; changes nothing.
 *   <li>{@code POST reset?client=…[&profile=…][&account=…]}: resets one client's buckets and
 *       locks on every instance.
 *   <li>{@code GET audit[?count=50]}: the audit trail's latest records.
 * </ul>
 */
@Path("/admin/ratecache")
public final class AdminResource {
  private final Operations operations;
  private final JsonCodec json;
  private final byte[] token;
  private final String role;

  private AdminResource(Operations operations, String token, String role) {
    this.operations = Objects.requireNonNull(operations, "operations");
    this.json = operations.json();
    this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    this.role = role;
  }

  /**
   * An endpoint that requires {@code Authorization: Bearer <token>}.
   *
   * @throws ConfigurationException if the token is shorter than 16 characters
   */
  public static AdminResource withToken(Operations operations, String token) {
    if (token == null || token.length() < 16) {
      throw new ConfigurationException("ADMIN_TOKEN",
          "the admin token must be at least 16 characters");
    }
    return new AdminResource(operations, token, null);
  }

  /** An endpoint that requires an authenticated principal in {@code role}. */
  public static AdminResource withRole(Operations operations, String role) {
    if (role == null || role.isBlank()) {
      throw new ConfigurationException("admin role", "must not be empty");
    }
    return new AdminResource(operations, null, role);
  }

  @GET
  @Path("health")
  public Response health(@Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    HealthReport report = operations.health();
    return json(report.healthy() ? 200 : 503, report);
  }

  @GET
  @Path("stats")
  public Response stats(@Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instance", operations.localStats());
    try {
      var fleet = operations.fleet();
      body.put("fleet", fleet);
      body.put("total", InstanceStats.total(fleet));
      body.put("redis", operations.redisStats());
    } catch (RuntimeException redisUnavailable) {
      body.put("redis", Map.of("error", "Redis unavailable: " + redisUnavailable.getMessage()));
    }
    return json(200, body);
  }

  @POST
  @Path("clear")
  public Response clear(@QueryParam("pattern") String pattern, @Context HttpHeaders headers,
      @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    String refused = pattern == null ? null : Operations.checkPattern(pattern);
    if (refused != null) {
      return problem(400, "Bad Request", "pattern " + refused);
    }
    try {
      return json(200, Map.of("removed", operations.clear(pattern, n -> { })));
    } catch (RuntimeException e) {
      return problem(503, "Service Unavailable", "Redis unavailable: " + e.getMessage());
    }
  }

  @GET
  @Path("overrides")
  public Response overrides(@Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> operations.listOverrides());
  }

  @POST
  @Path("overrides")
  public Response override(@QueryParam("kind") String kind, @QueryParam("profile") String profile,
      @QueryParam("subject") String subject, @QueryParam("value") String value,
      @QueryParam("ttl") String ttl, @Context HttpHeaders headers,
      @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> operations.override(kind, profile, subject, value, ttl));
  }

  @DELETE
  @Path("overrides")
  public Response removeOverride(@QueryParam("kind") String kind,
      @QueryParam("profile") String profile, @QueryParam("subject") String subject,
      @Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> Map.of("removed",
        operations.removeOverride(kind, profile, subject)));
  }

  @GET
  @Path("explain")
  public Response explain(@QueryParam("path") String path, @QueryParam("method") String method,
      @QueryParam("client") String client, @QueryParam("plan") String plan,
      @QueryParam("account") String account, @QueryParam("profile") String profile,
      @Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> operations.explain(path, method, client, plan, account, profile));
  }

  @POST
  @Path("reset")
  public Response reset(@QueryParam("client") String client,
      @QueryParam("profile") String profile, @QueryParam("account") String account,
      @Context HttpHeaders headers,
      @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> operations.resetClient(profile, client, account));
  }

  @GET
  @Path("audit")
  public Response audit(@QueryParam("count") @jakarta.ws.rs.DefaultValue("50") int count,
      @Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return operatorCall(() -> operations.audit(count));
  }

  /**
   * 400 for a malformed request, 409 without a limiter (or its Redis), 503 with Redis down.
   */
  private Response operatorCall(java.util.function.Supplier<Object> call) {
    try {
      return json(200, call.get());
    } catch (IllegalArgumentException e) {
      return problem(400, "Bad Request", e.getMessage());
    } catch (IllegalStateException e) {
      return problem(409, "Conflict", e.getMessage());
    } catch (RuntimeException e) {
      return problem(503, "Service Unavailable", "Redis unavailable: " + e.getMessage());
    }
  }

  @POST
  @Path("warm")
  public Response warm(@Context HttpHeaders headers, @Context SecurityContext security) {
    Response denied = deny(headers, security);
    if (denied != null) {
      return denied;
    }
    return json(200, operations.warm());
  }

  private Response deny(HttpHeaders headers, SecurityContext security) {
    if (token != null) {
      String given = bearerToken(headers.getHeaderString(HttpHeaders.AUTHORIZATION));
      return given != null && MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), token)
          ? null : withChallenge();
    }
    if (security == null || security.getUserPrincipal() == null) {
      return withChallenge();
    }
    return security.isUserInRole(role) ? null
        : problem(403, "Forbidden", "role '" + role + "' required");
  }

  /**
   * The token of an {@code Authorization: Bearer <token>} header, or {@code null}: the scheme is
   * matched without case (RFC 9110 section 11.1: {@code bearer}, {@code BEARER}), followed by one
   * or more spaces (RFC 6750 section 2.1), the token trimmed; anything else has no token.
   */
  static String bearerToken(String header) {
    if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer", 0, 6)
        || header.charAt(6) != ' ') {
      return null;
    }
    String token = header.substring(7).trim();
    return token.isEmpty() || token.indexOf(' ') >= 0 ? null : token;
  }

  private Response withChallenge() {
    return Response.fromResponse(problem(401, "Unauthorized", "admin credential required"))
        .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"ratecache\"").build();
  }

  private Response json(int status, Object body) {
    return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
        .entity(json.encode(body)).build();
  }

  private Response problem(int status, String title, String detail) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("type", "about:blank");
    p.put("title", title);
    p.put("status", status);
    p.put("detail", detail);
    return Response.status(status).type("application/problem+json").entity(json.encode(p))
        .build();
  }
}
