package dev.ratecache.support;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.IOException;
import java.security.Principal;

/** Test-only authentication: {@code Authorization: Bearer <name>} makes {@code <name>} the principal. */
public final class BearerAuthFilter implements Filter {
  @Override
  public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest http = (HttpServletRequest) req;
    String auth = http.getHeader("Authorization");
    if (auth != null && auth.startsWith("Bearer ") && auth.length() > 7) {
      String name = auth.substring(7).trim();
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
    chain.doFilter(req, res);
  }
}
