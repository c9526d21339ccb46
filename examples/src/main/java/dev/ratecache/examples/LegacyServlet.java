package dev.ratecache.examples;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;

/**
 * The servlet of the {@code /legacy} context, whose rate limiting comes entirely from
 * {@code web.xml}: it answers every path with a small JSON body.
 */
public final class LegacyServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
    resp.setContentType("application/json");
    String path = req.getPathInfo() == null ? "/" : req.getPathInfo();
    resp.getWriter().write("{\"context\":\"legacy\",\"method\":\"" + req.getMethod()
        + "\",\"pathLength\":" + path.length() + "}");
  }
}
