package dev.ratecache.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throwaway certificate authority with a server certificate (for {@code localhost} only) and a
 * client certificate, as PEM files in a temporary directory, made with the JDK's own {@code
 * keytool} so tests need nothing beyond the JDK.
 */
public final class TestCertificates {
  private static final String PASS = "changeit";

  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  private static TestCertificates shared;

  /**
   * One set for the whole test JVM: making a set launches keytool eight times, and no test needs
   * a CA of its own.
   */
  public static synchronized TestCertificates shared() {
    if (shared == null) {
      shared = create("ratecache test CA");
    }
    return shared;
  }

  /** A CA named {@code name}, with server and client certificates signed by it. */
  public static TestCertificates create(String name) {
    try {
      TestCertificates c = new TestCertificates(Files.createTempDirectory("ratecache-tls-"));
      c.keytool("-genkeypair", "-alias", "ca", "-keyalg", "EC", "-groupname", "secp256r1",
          "-dname", "CN=" + name, "-ext", "bc:c", "-validity", "2", "-keystore", "ca.p12");
      c.keytool("-exportcert", "-rfc", "-alias", "ca", "-keystore", "ca.p12", "-file", "ca.crt");
      c.issue("server", "CN=localhost", "SAN=dns:localhost");
      c.issue("client", "CN=ratecache-client", null);
      return c;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The CA certificate (PEM). */
  public Path caCert() {
    return dir.resolve("ca.crt");
  }

  /** The server certificate (PEM), valid for the host name {@code localhost} only. */
  public Path serverCert() {
    return dir.resolve("server.crt");
  }

  /** The server's key (PKCS#8 PEM). */
  public Path serverKey() {
    return dir.resolve("server.key");
  }

  /** The client certificate (PEM). */
  public Path clientCert() {
    return dir.resolve("client.crt");
  }

  /** The client's key (PKCS#8 PEM). */
  public Path clientKey() {
    return dir.resolve("client.key");
  }

  /** A file in the certificates' directory, for tests that write broken variants. */
  public Path file(String name) {
    return dir.resolve(name);
  }

  private void issue(String alias, String dname, String san) throws IOException {
    String store = alias + ".p12";
    keytool("-genkeypair", "-alias", alias, "-keyalg", "EC", "-groupname", "secp256r1",
        "-dname", dname, "-validity", "2", "-keystore", store);
    keytool("-certreq", "-alias", alias, "-keystore", store, "-file", alias + ".csr");
    List<String> sign = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca",
        "-keystore", "ca.p12", "-infile", alias + ".csr", "-outfile", alias + ".crt",
        "-validity", "2"));
    if (san != null) {
      sign.addAll(List.of("-ext", san));
    }
    keytool(sign.toArray(new String[0]));
    writeKey(store, alias, dir.resolve(alias + ".key"));
  }

  private void writeKey(String store, String alias, Path target) throws IOException {
    try (InputStream in = Files.newInputStream(dir.resolve(store))) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASS.toCharArray());
      Key key = ks.getKey(alias, PASS.toCharArray());
      String pem = "-----BEGIN PRIVATE KEY-----\n"
          + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
              .encodeToString(key.getEncoded())
          + "\n-----END PRIVATE KEY-----\n";
      Files.writeString(target, pem, StandardCharsets.US_ASCII);
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("Cannot read the key of " + alias, e);
    }
  }

  private void keytool(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("-storetype", "PKCS12", "-storepass", PASS, "-noprompt"));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("keytool " + String.join(" ", args) + " failed:\n" + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
