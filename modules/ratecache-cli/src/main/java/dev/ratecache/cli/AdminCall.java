package dev.ratecache.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.StringJoiner;

/**
 * One call to a running application's admin endpoint ({@code /admin/ratecache/...}), as the
 * commands that act through it ({@code warm}, {@code override}) make it: the URL and token
 * checked, the token sent as a bearer, failures told on {@code err} with the CLI's exit codes.
 */
final class AdminCall {
  /** The answer, or the exit code to end with when there is none ({@code response} null). */
  record Result(HttpResponse<String> response, int exit) {}

  private AdminCall() {}

  /**
   * Calls {@code method path?query} (query values encoded; null ones left out).
   *
   * @return the response if the endpoint answered 200, else the exit code, explained on err
   */
  static Result call(PrintStream err, Map<String, String> env, String appUrl, String token,
      String method, String path, Map<String, String> query, Duration timeout)
      throws InterruptedException {
    URI base;
    try {
      base = URI.create(appUrl.endsWith("/") ? appUrl : appUrl + "/");
      if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("not http(s)");
      }
    } catch (IllegalArgumentException e) {
      err.println("error: --app-url '" + appUrl + "' is not an http(s) URL");
      return new Result(null, Main.USAGE);
    }
    String bearer = token != null ? token : env.get("ADMIN_TOKEN");
    if (bearer == null || bearer.isBlank()) {
      err.println("error: no admin token: pass --token or set ADMIN_TOKEN");
      return new Result(null, Main.USAGE);
    }
    StringJoiner q = new StringJoiner("&", "?", "").setEmptyValue("");
    query.forEach((k, v) -> {
      if (v != null) {
        q.add(k + "=" + URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    });
    HttpRequest request = HttpRequest.newBuilder(base.resolve("admin/ratecache/" + path + q))
        .timeout(timeout)
        .header("Authorization", "Bearer " + bearer)
        .method(method, HttpRequest.BodyPublishers.noBody()).build();
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()
          .send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      err.println("error: cannot reach " + base + ": " + e);
      return new Result(null, Main.UNREACHABLE);
    }
    if (response.statusCode() == 401 || response.statusCode() == 403) {
      err.println("error: the admin endpoint refused the token (HTTP "
          + response.statusCode() + ")");
      return new Result(null, Main.FAILED);
    }
    if (response.statusCode() != 200) {
      err.println("error: " + path + " answered HTTP " + response.statusCode() + ": "
          + response.body());
      return new Result(null, response.statusCode() == 400 ? Main.USAGE
          : response.statusCode() == 503 ? Main.UNREACHABLE : Main.FAILED);
    }
    return new Result(response, Main.OK);
  }
}
