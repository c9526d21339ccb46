package dev.ratecache.testing;

import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.function.Consumer;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

/**
 * A real embedded Jetty 12 server on a free loopback port, and a real HTTP client of its own.
 *
 * <p>The client's pooled connections live and die with this server: a client shared between
 * servers once sent a request on a connection that a closed server (whose port a new one had
 * taken) or Jetty's idle timeout had just closed, and the JDK client does not resend a POST
 * ("header parser received no bytes"). For the same reason the server keeps idle connections
 * for 10 minutes instead of Jetty's 30 s.
 */
public final class JettyApp implements AutoCloseable {
  private final Server server;
  private final int port;
  private final java.util.concurrent.ExecutorService clientThreads =
      java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "jettyapp-client");
        t.setDaemon(true);
        return t;
      });
  private final HttpClient client = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .executor(clientThreads)
      .build();

  private JettyApp(Server server, int port) {
    this.server = server;
    this.port = port;
  }

  /**
   * Starts a server whose root context answers {@code 200 ok} on every path, after {@code setup}
   * has added filters or servlets to the context.
   */
  public static JettyApp start(Consumer<ServletContextHandler> setup) throws Exception {
    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder(new OkServlet()), "/*");
    setup.accept(context);
    return start(context);
  }

  /** Starts a server around any handler (a web.xml context, say). */
  public static JettyApp start(Handler handler) throws Exception {
    Server server = new Server();
    ServerConnector connector = new ServerConnector(server);
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    connector.setIdleTimeout(Duration.ofMinutes(10).toMillis());
    server.addConnector(connector);
    server.setHandler(handler);
    server.start();
    return new JettyApp(server, connector.getLocalPort());
  }

  public int port() {
    return port;
  }

  public URI uri(String path) {
    return URI.create("http://127.0.0.1:" + port + path);
  }

  /**
   * Sends a request without a body; headers alternate name, value. (It sent {@code {}} with every
   * POST once: a body the application never reads makes the server close the connection after
   * answering, sometimes after the client has pooled it for the next request, which then fails
   * with no bytes received. Use {@link #sendBody} for a body.)
   */
  public HttpResponse<String> send(String method, String path, String... headers)
      throws IOException, InterruptedException {
    return sendBody(method, path, null, headers);
  }

  /** Sends a request with {@code body} (none if null); headers alternate name, value. */
  public HttpResponse<String> sendBody(String method, String path, String body,
      String... headers) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A plain socket to the server, for what {@link HttpClient} hides (connection reuse). */
  public RawConnection connect() throws IOException {
    return new RawConnection(port);
  }

  @Override
  public void close() {
    clientThreads.shutdownNow();
    try {
      server.stop();
    } catch (Exception e) {
      throw new IllegalStateException("Stopping Jetty failed", e);
    }
  }

  /** An HTTP/1.1 connection driven by hand: write request bytes, read responses one by one. */
  public static final class RawConnection implements AutoCloseable {
    private final java.net.Socket socket;
    private final java.io.InputStream in;

    RawConnection(int port) throws IOException {
      socket = new java.net.Socket("127.0.0.1", port);
      socket.setSoTimeout(10_000);
      in = new java.io.BufferedInputStream(socket.getInputStream());
    }

    /** Writes {@code text} (CRLFs included) as ISO-8859-1 bytes. */
    public RawConnection write(String text) throws IOException {
      socket.getOutputStream().write(text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      socket.getOutputStream().flush();
      return this;
    }

    /** Reads one response: its status, its headers (names lower-cased) and a sized body. */
    public RawResponse read() throws IOException {
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        int c = in.read();
        if (c < 0) {
          throw new java.io.EOFException("connection closed after: " + head);
        }
        head.append((char) c);
      }
      String[] lines = head.toString().split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      java.util.Map<String, String> headers = new java.util.TreeMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
      byte[] body = in.readNBytes(Integer.parseInt(headers.getOrDefault("content-length", "0")));
      return new RawResponse(status, headers,
          new String(body, java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Whether the server closes the connection within the read timeout. */
    public boolean closedByServer() throws IOException {
      try {
        return in.read() < 0;
      } catch (java.net.SocketTimeoutException e) {
        return false;
      } catch (java.net.SocketException e) {
        return true; // reset
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  /** A response read by a {@link RawConnection}. */
  public record RawResponse(int status, java.util.Map<String, String> headers, String body) {}

  /** Answers every request with 200 and the body {@code ok}. */
  public static final class OkServlet extends HttpServlet {
    @Override
    protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
      resp.setStatus(200);
      resp.setContentType("text/plain");
      resp.getWriter().write("ok");
    }
  }
}
