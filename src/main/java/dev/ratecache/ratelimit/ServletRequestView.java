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

  /**
   * Servlet path plus path info: the path the container resolved and dispatches on, so no
   * spelling of the context path ({@code //ctx}, {@code /./ctx}, {@code /%63tx}) or of the path
   * changes it.
   */
  @Override
  public String path() {
    String servletPath = request.getServletPath();
    String pathInfo = request.getPathInfo();
    String path = (servletPath == null ? "" : servletPath) + (pathInfo == null ? "" : pathInfo);
    return path.isEmpty() ? "/" : path;
  }

  /** The raw request URI without the context path; normalised later by the route table. */
  @Override
  public String rawPath() {
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
  public String query() {
    return request.getQueryString();
  }

  @Override
  public Object attribute(String name) {
    return request.getAttribute(name);
  }

  @Override
  public String remoteAddress() {
    return request.getRemoteAddr();
  }
}
