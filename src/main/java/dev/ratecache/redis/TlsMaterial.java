package dev.ratecache.redis;

import dev.ratecache.ConfigurationException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Builds the TLS socket factory from the PEM files redis-server itself is configured with: a CA
 * bundle to trust, and optionally a client certificate chain with its key for servers that
 * authenticate clients ({@code tls-auth-clients yes}). Every problem names its setting.
 */
final class TlsMaterial {
  private static final Pattern PEM = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]*?)-----END \\1-----");

  private TlsMaterial() {}

  /**
   * A socket factory trusting {@code caFile} (or the JVM's trust store when null) and presenting
   * {@code certFile}/{@code keyFile} when given.
   */
  static SSLSocketFactory socketFactory(Path caFile, Path certFile, Path keyFile) {
    try {
      TrustManagerFactory trust = null;
      if (caFile != null) {
        KeyStore roots = emptyStore();
        int i = 0;
        for (X509Certificate c : certificates(RedisSettings.Name.TLS_CA_CERT_FILE, caFile)) {
          roots.setCertificateEntry("ca-" + i++, c);
        }
        trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(roots);
      }
      KeyManagerFactory keys = null;
      if (certFile != null) {
        List<X509Certificate> chain =
            certificates(RedisSettings.Name.TLS_CERT_FILE, certFile);
        PrivateKey key = privateKey(keyFile, chain.get(0));
        KeyStore store = emptyStore();
        char[] none = new char[0];
        store.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
        keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, none);
      }
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys == null ? null : keys.getKeyManagers(),
          trust == null ? null : trust.getTrustManagers(), null);
      return context.getSocketFactory();
    } catch (GeneralSecurityException | IOException e) {
      throw new ConfigurationException(RedisSettings.Name.TLS,
          "cannot set up TLS from the configured files: " + e.getMessage(), e);
    }
  }

  private static KeyStore emptyStore() throws GeneralSecurityException, IOException {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    return store;
  }

  /** Every certificate in a PEM file; at least one. */
  static List<X509Certificate> certificates(String setting, Path file) {
    List<byte[]> blocks = blocks(setting, file, "CERTIFICATE");
    if (blocks.isEmpty()) {
      throw new ConfigurationException(setting,
          "names " + file + ", which holds no PEM '-----BEGIN CERTIFICATE-----' block");
    }
    List<X509Certificate> result = new ArrayList<>();
    try {
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (byte[] der : blocks) {
        Collection<? extends Certificate> certs =
            factory.generateCertificates(new ByteArrayInputStream(der));
        for (Certificate c : certs) {
          result.add((X509Certificate) c);
        }
      }
    } catch (GeneralSecurityException e) {
      throw new ConfigurationException(setting,
          "names " + file + ", which holds a malformed certificate: " + e.getMessage(), e);
    }
    return result;
  }

  /** The unencrypted PKCS#8 key in {@code file}, checked against the certificate's public key. */
  private static PrivateKey privateKey(Path file, X509Certificate certificate) {
    String setting = RedisSettings.Name.TLS_KEY_FILE;
    String text = read(setting, file);
    for (String legacy : List.of("RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY")) {
      if (text.contains("-----BEGIN " + legacy + "-----")) {
        throw new ConfigurationException(setting, "names " + file + ", which holds a '"
            + legacy + "'; an unencrypted PKCS#8 key ('PRIVATE KEY') is needed. Convert it with"
            + " openssl pkcs8 -topk8 -nocrypt -in " + file + " -out key.pk8.pem");
      }
    }
    List<byte[]> blocks = blocks(setting, file, "PRIVATE KEY");
    if (blocks.size() != 1) {
      throw new ConfigurationException(setting, "names " + file + ", which must hold exactly one"
          + " '-----BEGIN PRIVATE KEY-----' block, found " + blocks.size());
    }
    String algorithm = certificate.getPublicKey().getAlgorithm();
    PrivateKey key;
    try {
      key = KeyFactory.getInstance(algorithm)
          .generatePrivate(new PKCS8EncodedKeySpec(blocks.get(0)));
      if (!matches(key, certificate)) {
        throw new ConfigurationException(setting, "names " + file + ", whose key does not belong"
            + " to the certificate in " + RedisSettings.Name.TLS_CERT_FILE);
      }
      return key;
    } catch (InvalidKeySpecException e) {
      throw new ConfigurationException(setting, "names " + file + ", which is not a " + algorithm
          + " key matching the certificate in " + RedisSettings.Name.TLS_CERT_FILE, e);
    } catch (GeneralSecurityException e) {
      throw new ConfigurationException(setting,
          "cannot read the key in " + file + ": " + e.getMessage(), e);
    }
  }

  /** Whether a signature made with {@code key} verifies with the certificate's public key. */
  private static boolean matches(PrivateKey key, X509Certificate certificate)
      throws GeneralSecurityException {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      default -> key.getAlgorithm(); // Ed25519, Ed448
    };
    byte[] probe = "ratecache key check".getBytes(StandardCharsets.US_ASCII);
    Signature signer = Signature.getInstance(algorithm);
    signer.initSign(key);
    signer.update(probe);
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance(algorithm);
    verifier.initVerify(certificate.getPublicKey());
    verifier.update(probe);
    return verifier.verify(signature);
  }

  private static List<byte[]> blocks(String setting, Path file, String type) {
    Matcher m = PEM.matcher(read(setting, file));
    List<byte[]> result = new ArrayList<>();
    while (m.find()) {
      if (m.group(1).equals(type)) {
        try {
          result.add(Base64.getMimeDecoder().decode(m.group(2)));
        } catch (IllegalArgumentException e) {
          throw new ConfigurationException(setting,
              "names " + file + ", whose " + type + " block is not valid base64", e);
        }
      }
    }
    return result;
  }

  private static String read(String setting, Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigurationException(setting, "names " + file + ", which is not a readable file");
    }
    try {
      return Files.readString(file, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new ConfigurationException(setting, "cannot read " + file + ": " + e, e);
    }
  }
}
