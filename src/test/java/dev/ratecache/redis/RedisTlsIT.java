package dev.ratecache.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.ratecache.ConfigurationException;
import dev.ratecache.redis.RedisSettings.Name;
import dev.ratecache.redis.RedisSettings.TlsVerify;
import dev.ratecache.support.TestRedis;
import dev.ratecache.testing.RedisServer;
import dev.ratecache.testing.TestCertificates;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * TLS against a real redis-server listening with a certificate from a throwaway CA and requiring
 * client certificates ({@code tls-auth-clients yes}).
 */
class RedisTlsIT {
  static final TestCertificates CERTS = TestCertificates.shared();

  @RegisterExtension
  static final RedisServer redis = RedisServer.builder().tls(CERTS, true).build();

  @BeforeEach
  void clean() {
    redis.flushAll();
  }

  /** Mutual TLS to {@code localhost}, the name the server certificate carries. */
  private RedisSettings.Builder mutual() {
    return TestRedis.settings(redis).host("localhost").port(redis.tlsPort()).tls(true)
        .tlsCaCertFile(CERTS.caCert())
        .tlsCertFile(CERTS.clientCert())
        .tlsKeyFile(CERTS.clientKey());
  }

  @Test
  void mutualTlsWithTheConfiguredCaAndClientCertificateCarriesCommands() {
    try (RedisConnector c = RedisConnector.create(mutual().build())) {
      c.run(j -> j.set("over-tls", "yes"));
      assertThat(c.<String>execute(j -> j.get("over-tls"))).isEqualTo("yes");
      assertThat(c.isAvailable()).isTrue();
    }
    // The write really went through this server (read back over its plain port).
    assertThat(redis.<String>withClient(j -> j.get("over-tls"))).isEqualTo("yes");
  }

  @Test
  void theSameFromSettingsNamesAndARedissUrl() {
    RedisSettings settings = RedisSettings.fromProperties(Map.of(
        "REDIS_URL", "rediss://localhost:" + redis.tlsPort() + "/2",
        "redis.tls.ca-cert-file", CERTS.caCert().toString(),
        "REDIS_TLS_CERT_FILE", CERTS.clientCert().toString(),
        "REDIS_TLS_KEY_FILE", CERTS.clientKey().toString()));
    assertThat(settings.tls()).isTrue();
    assertThat(settings.tlsVerify()).isEqualTo(TlsVerify.FULL);
    try (RedisConnector c = RedisConnector.create(settings)) {
      assertThat(c.checkNow()).isTrue();
      c.run(j -> j.set("db2", "x"));
    }
    assertThat(redis.<String>withClient(j -> {
      j.select(2);
      return j.get("db2");
    })).isEqualTo("x");
  }

  @Test
  void aServerOutsideTheJvmTrustStoreIsRefusedAndTheConnectorFailsFast() {
    RedisSettings settings = TestRedis.settings(redis).host("localhost").port(redis.tlsPort()).tls(true)
        .build(); // no CA file: the JVM's default trust store does not know the test CA
    try (RedisConnector c = RedisConnector.create(settings)) {
      assertThat(c.checkNow()).isFalse();
      assertThat(c.health().snapshot().lastError()).containsIgnoringCase("certif");
      // Known down: calls fail fast, with the one shared exception (nothing sent, no handshake).
      RedisUnavailableException first = catchThrowableOfType(
          () -> c.execute(j -> j.get("k")), RedisUnavailableException.class);
      RedisUnavailableException second = catchThrowableOfType(
          () -> c.execute(j -> j.get("k")), RedisUnavailableException.class);
      assertThat(second).as("the shared fail-fast exception").isSameAs(first);
    }
  }

  @Test
  void theHostNameIsCheckedUnlessVerifyIsCa() {
    // The certificate names localhost only; 127.0.0.1 is the same server under another name.
    RedisSettings.Builder byIp = mutual().host("127.0.0.1");
    try (RedisConnector c = RedisConnector.create(byIp.build())) {
      assertThat(c.checkNow()).as("FULL verification by IP").isFalse();
      assertThat(c.health().snapshot().lastError()).containsIgnoringCase("127.0.0.1");
    }
    try (RedisConnector c = RedisConnector.create(byIp.tlsVerify(TlsVerify.CA).build())) {
      assertThat(c.checkNow()).as("CA-only verification by IP").isTrue();
      assertThat(c.<String>execute(j -> j.ping())).isEqualTo("PONG");
    }
  }

  @Test
  void aServerRequiringClientCertificatesRefusesAClientWithout() {
    RedisSettings settings = TestRedis.settings(redis).host("localhost").port(redis.tlsPort()).tls(true)
        .tlsCaCertFile(CERTS.caCert()).build();
    try (RedisConnector c = RedisConnector.create(settings)) {
      assertThat(c.checkNow()).isFalse();
    }
  }

  // ---------------------------------------------------------------- start-up errors, no network

  private static RedisSettings.Builder tls() {
    return RedisSettings.builder().tls(true);
  }

  /**
   * Settings are values: the files are read when a connector is made from them (at start-up,
   * before any request), and a bad one fails there, naming its setting.
   */
  private static void failsNaming(RedisSettings.Builder b, String setting, String... words) {
    assertThatThrownBy(() -> RedisConnector.create(b.build()).close())
        .isInstanceOfSatisfying(ConfigurationException.class,
            e -> assertThat(e.setting()).isEqualTo(setting))
        .hasMessageContainingAll(words);
  }

  @Test
  void aMissingOrEmptyCaFileFailsAtStartNamingTheSetting() throws Exception {
    failsNaming(tls().tlsCaCertFile(CERTS.file("nope.crt")), Name.TLS_CA_CERT_FILE,
        Name.TLS_CA_CERT_FILE, "nope.crt", "not a readable file");
    Path junk = Files.writeString(CERTS.file("junk.crt"), "not a certificate\n");
    failsNaming(tls().tlsCaCertFile(junk), Name.TLS_CA_CERT_FILE, "no PEM");
    Path broken = Files.writeString(CERTS.file("broken.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    failsNaming(tls().tlsCaCertFile(broken), Name.TLS_CA_CERT_FILE, "malformed certificate");
  }

  @Test
  void keysMustBeUnencryptedPkcs8AndBelongToTheCertificate() throws Exception {
    Path pkcs1 = Files.writeString(CERTS.file("legacy.key"),
        "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    failsNaming(tls().tlsCertFile(CERTS.clientCert()).tlsKeyFile(pkcs1), Name.TLS_KEY_FILE,
        "RSA PRIVATE KEY", "openssl pkcs8 -topk8 -nocrypt");
    failsNaming(tls().tlsCertFile(CERTS.clientCert()).tlsKeyFile(CERTS.serverKey()),
        Name.TLS_KEY_FILE, "does not belong", Name.TLS_CERT_FILE);
    failsNaming(tls().tlsCertFile(CERTS.clientCert()), Name.TLS_KEY_FILE,
        "must be set together with " + Name.TLS_CERT_FILE);
    failsNaming(tls().tlsKeyFile(CERTS.clientKey()), Name.TLS_CERT_FILE,
        "must be set together with " + Name.TLS_KEY_FILE);
  }

  @Test
  void tlsFilesOrVerifyWithoutTlsFailNamingTheSetting() {
    failsNaming(RedisSettings.builder().tlsCaCertFile(CERTS.caCert()), Name.TLS_CA_CERT_FILE,
        "TLS is off", "REDIS_TLS=true", "rediss://");
    failsNaming(RedisSettings.builder().tlsVerify(TlsVerify.CA), Name.TLS_VERIFY, "TLS is off");
    assertThatThrownBy(() -> RedisSettings.fromProperties(Map.of("REDIS_TLS", "true",
        "REDIS_TLS_VERIFY", "none")))
        .isInstanceOfSatisfying(ConfigurationException.class,
            e -> assertThat(e.setting()).isEqualTo(Name.TLS_VERIFY))
        .hasMessageContaining("[full, ca]");
  }
}
