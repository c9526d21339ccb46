package dev.ratecache.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.scan.StandardJarScanner;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real servlet container, embedded Jetty 12 (ee10) or embedded Apache Tomcat 11, serving one
 * exploded web application (a folder with {@code WEB-INF/web.xml}) at a context path, as an
 * adopter deploys a WAR: the container reads web.xml, initialises its filters and servlets, and
 * routes requests by its own rules. Requests go over a plain socket with the request line exactly
 * as written ({@link #send}), so tests can try spellings an HTTP client library would tidy up.
 */
public abstract class ServletContainer implements AutoCloseable {
  /** The containers a test matrix runs on. */
  public enum Kind {
    JETTY, TOMCAT
  }

  /** Starts {@code kind} serving {@code webapp} at {@code contextPath} ("" for the root). */
  public static ServletContainer start(Kind kind, Path webapp, String contextPath)
      throws Exception {
    return kind == Kind.JETTY ? new Jetty(webapp, contextPath) : new TomcatContainer(webapp,
        contextPath);
  }

  /**
   * Writes a {@code web.xml} whose {@code <web-app>} holds {@code elements} into {@code webapp}
   * and starts {@code kind} serving it at {@code contextPath}.
   */
  public static ServletContainer deploy(Kind kind, Path webapp, String contextPath,
      String elements) throws Exception {
    String webXml = """
        <?xml version="1.0" encoding="UTF-8"?>
        <web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"
                 metadata-complete="true">
        %s
        </web-app>
        """.formatted(elements);
    java.nio.file.Files.createDirectories(webapp.resolve("WEB-INF"));
    java.nio.file.Files.writeString(webapp.resolve("WEB-INF/web.xml"), webXml,
        StandardCharsets.UTF_8);
    return start(kind, webapp, contextPath);
  }

  /**
   * A Jersey servlet mapped to {@code /api/*}, loaded at start-up, with these init-params
   * (alternating names and values), as {@code web.xml} elements.
   */
  public static String jerseyAtApi(String... initParams) {
    StringBuilder params = new StringBuilder();
    for (int i = 0; i < initParams.length; i += 2) {
      params.append("    <init-param><param-name>").append(initParams[i])
          .append("</param-name><param-value>").append(initParams[i + 1])
          .append("</param-value></init-param>\n");
    }
    return """
          <servlet>
            <servlet-name>jersey</servlet-name>
            <servlet-class>org.glassfish.jersey.servlet.ServletContainer</servlet-class>
        %s    <load-on-startup>1</load-on-startup>
          </servlet>
          <servlet-mapping><servlet-name>jersey</servlet-name><url-pattern>/api/*</url-pattern></servlet-mapping>
        """.formatted(params);
  }

  /** The port on 127.0.0.1. */
  public abstract int port();

  /** A response read off the socket: status, headers (names lower-cased) and body. */
  public record Response(int status, Map<String, String> headers, String body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  /**
   * Sends {@code method target} with the given headers (alternating names and values) and
   * {@code Connection: close}, the target written to the socket byte for byte.
   */
  public Response send(String method, String target, String... headers) throws IOException {
    return sendBody(method, target, "", headers);
  }

  /** As {@link #send}, with {@code body} (ISO-8859-1 text) and its {@code Content-Length}. */
  public Response sendBody(String method, String target, String body, String... headers)
      throws IOException {
    StringBuilder request = new StringBuilder(method).append(' ').append(target)
        .append(" HTTP/1.1\r\nHost: 127.0.0.1:").append(port()).append("\r\n");
    for (int i = 0; i < headers.length; i += 2) {
      request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
    }
    request.append("Content-Length: ").append(body.length())
        .append("\r\nConnection: close\r\n\r\n").append(body);
    try (Socket socket = new Socket("127.0.0.1", port())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      return parse(socket.getInputStream());
    }
  }

  private static Response parse(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    String text = all.toString(StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IOException("no complete response: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new TreeMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    String body = text.substring(end + 4);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      body = unchunk(body);
    }
    return new Response(status, headers, body);
  }

  private static String unchunk(String chunked) {
    StringBuilder b = new StringBuilder();
    int i = 0;
    while (i < chunked.length()) {
      int lineEnd = chunked.indexOf("\r\n", i);
      if (lineEnd < 0) {
        break;
      }
      int size = Integer.parseInt(chunked.substring(i, lineEnd).split(";")[0].trim(), 16);
      if (size == 0) {
        break;
      }
      b.append(chunked, lineEnd + 2, Math.min(chunked.length(), lineEnd + 2 + size));
      i = lineEnd + 2 + size + 2;
    }
    return b.toString();
  }

  /** Embedded Jetty 12 with the ee10 (Servlet 6.0) web application support. */
  private static final class Jetty extends ServletContainer {
    private final Server server;
    private final int port;

    Jetty(Path webapp, String contextPath) throws Exception {
      server = new Server();
      ServerConnector connector = new ServerConnector(server);
      connector.setHost("127.0.0.1");
      connector.setPort(0);
      server.addConnector(connector);
      WebAppContext context = new WebAppContext(webapp.toString(),
          contextPath.isEmpty() ? "/" : contextPath);
      context.setParentLoaderPriority(true); // the test's classes, not copies of them
      context.setThrowUnavailableOnStartupException(true);
      server.setHandler(context);
      server.start();
      port = connector.getLocalPort();
    }

    @Override
    public int port() {
      return port;
    }

    @Override
    public void close() throws Exception {
      server.stop();
    }
  }

  /** Embedded Apache Tomcat 11 deploying the folder as a web application. */
  private static final class TomcatContainer extends ServletContainer {
    private final Tomcat tomcat;
    private final Path base;

    TomcatContainer(Path webapp, String contextPath) throws Exception {
      base = java.nio.file.Files.createTempDirectory("ratecache-tomcat");
      tomcat = new Tomcat();
      tomcat.setBaseDir(base.toString());
      tomcat.setHostname("127.0.0.1");
      tomcat.setPort(0);
      tomcat.getConnector().setProperty("address", "127.0.0.1");
      Context context = tomcat.addWebapp(contextPath, webapp.toString());
      StandardJarScanner scanner = new StandardJarScanner();
      scanner.setScanClassPath(false); // web.xml says everything; no annotation scanning
      scanner.setScanManifest(false);
      context.setJarScanner(scanner);
      context.setParentClassLoader(ServletContainer.class.getClassLoader());
      tomcat.start();
      if (!context.getState().isAvailable()) {
        throw new IllegalStateException("Tomcat did not start the web application at '"
            + contextPath + "' (a filter or servlet failed to initialise; see the log)");
      }
    }

    @Override
    public int port() {
      return tomcat.getConnector().getLocalPort();
    }

    @Override
    public void close() throws Exception {
      tomcat.stop();
      tomcat.destroy();
      try (var files = java.nio.file.Files.walk(base)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
