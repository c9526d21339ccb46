package dev.ratecache.examples;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.security.Principal;

/**
 * Demo-only authentication: {@code Authorization: Bearer <name>} makes {@code <name>} the
 * request's principal, so rate limits follow the user instead of the IP. Never use this in a
 * real application.
 */
public final class DemoAuthFilter implements Filter {
  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) req;
    String auth = http.getHeader("Authorization");
    if (auth != null && auth.startsWith("Bearer ")) {
      String name = auth.substring(7).trim();
      if (!name.isEmpty() && name.length() <= 64) {
        Principal principal = () -> name;
        chain.doFilter(new HttpServletRequestWrapper(http) {
          @Override
          public Principal getUserPrincipal() {
            return principal;
          }

          @Override
          public String getRemoteUser() {
            return name;
          }
        }, res);
        return;
      }
    }
    chain.doFilter(req, res);
  }
}
