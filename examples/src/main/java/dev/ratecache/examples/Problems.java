package dev.ratecache.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** RFC 9457 {@code application/problem+json} errors for the demo API. */
public final class Problems {
  private Problems() {}

  /** A response with a problem body. */
  public static Response response(int status, String title, String detail) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("type", "about:blank");
    body.put("title", title);
    body.put("status", status);
    body.put("detail", detail);
    return Response.status(status).type("application/problem+json").entity(body).build();
  }

  /** An exception that becomes {@code 400} with a problem body. */
  public static WebApplicationException badRequest(String detail) {
    return new WebApplicationException(response(400, "Bad Request", detail));
  }

  /** An exception that becomes {@code 404} with a problem body. */
  public static WebApplicationException notFound(String detail) {
    return new WebApplicationException(response(404, "Not Found", detail));
  }

  /** Malformed or mistyped JSON bodies are the client's mistake: 400, never 500. */
  @Provider
  public static final class JsonErrors implements ExceptionMapper<JsonProcessingException> {
    @Override
    public Response toResponse(JsonProcessingException e) {
      return response(400, "Bad Request", "Malformed JSON body: " + e.getOriginalMessage());
    }
  }

  /** Anything else: the framework's own responses pass through; a bug is a logged 500. */
  @Provider
  public static final class Unexpected implements ExceptionMapper<Throwable> {
    private static final Logger log = LoggerFactory.getLogger(Unexpected.class);

    @Override
    public Response toResponse(Throwable e) {
      if (e instanceof WebApplicationException w) {
        return w.getResponse();
      }
      log.error("Unexpected error", e);
      return response(500, "Internal Server Error", "An unexpected error occurred.");
    }
  }
}
