package dev.ratecache.ratelimit;

import jakarta.servlet.http.HttpServletRequest;
import java.security.Principal;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/** A {@link RequestView} of a servlet request. */
final class ServletRequestView implements RequestView {
  private final HttpServletRequest request;

  ServletRequestView(HttpServletRequest request) {
    this.request = request;
  }

  @Override
  public String method() {
    return request.getMethod();
  }

  /** The raw request URI without the context path; normalised later by the route table. */
  @Override
  public String path() {
    String uri = request.getRequestURI();
    String context = request.getContextPath();
    if (uri == null) {
      return "/";
    }
    if (context != null && !context.isEmpty() && uri.startsWith(context)) {
      return uri.substring(context.length());
    }
    return uri;
  }

  @Override
  public String principal() {
    Principal p = request.getUserPrincipal();
    return p == null ? null : p.getName();
  }

  @Override
  public List<String> headers(String name) {
    Enumeration<String> values = request.getHeaders(name);
    return values == null ? List.of() : Collections.list(values);
  }

  @Override
  public String remoteAddress() {
    return request.getRemoteAddr();
  }
}
