package dev.ratecache.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;

/** Free loopback TCP ports, never the same one twice in a JVM. */
public final class Ports {
  private static final Set<Integer> handedOut = new HashSet<>();

  private Ports() {}

  /** A port that is free on 127.0.0.1 now and was not handed out before by this class. */
  public static synchronized int free() {
    for (int i = 0; i < 100; i++) {
      try (ServerSocket s = new ServerSocket()) {
        s.setReuseAddress(false);
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = s.getLocalPort();
        // Keep clear of the cluster-bus offset so port + 10000 stays a valid port.
        if (port < 55000 && handedOut.add(port)) {
          return port;
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    throw new IllegalStateException("No free loopback port found");
  }
}
