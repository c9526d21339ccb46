package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClientKeyResolverTest {
  /** A request as tests describe it. */
  static final class Req implements RequestView {
    String principal;
    String remote = "198.51.100.7";
    final Map<String, List<String>> headers = new LinkedHashMap<>();
    final Map<String, Object> attributes = new LinkedHashMap<>();

    Req header(String name, String value) {
      headers.computeIfAbsent(name.toLowerCase(), k -> new ArrayList<>()).add(value);
      return this;
    }

    @Override
    public String method() {
      return "GET";
    }

    @Override
    public String path() {
      return "/";
    }

    @Override
    public String principal() {
      return principal;
    }

    @Override
    public List<String> headers(String name) {
      return headers.getOrDefault(name.toLowerCase(), List.of());
    }

    @Override
    public Object attribute(String name) {
      return attributes.get(name);
    }

    @Override
    public String remoteAddress() {
      return remote;
    }
  }

  private final ClientKeyResolver behindProxy = ClientKeyResolver.builder()
      .trustedProxies("10.0.0.0/8, 127.0.0.1, ::1").build();

  /**
   * The address allow and deny lists match: a forged forwarding header from an untrusted peer
   * is ignored, a trusted proxy's is believed up to the first hop not ours, and an obfuscated or
   * garbage hop is no address at all (so it matches no address entry), never the proxy's own.
   */
  @Test
  void theAddressListsMatchIsTheClientsAfterTrustedProxiesOnly() {
    Req forged = new Req().header("X-Forwarded-For", "10.1.2.3");
    forged.remote = "203.0.113.9";
    assertThat(behindProxy.clientAddress(forged)).isEqualTo(IpAddress.parse("203.0.113.9"));
    Req proxied = new Req().header("X-Forwarded-For", "192.0.2.1, 198.51.100.4, 10.0.0.2");
    proxied.remote = "10.0.0.1";
    assertThat(behindProxy.clientAddress(proxied)).isEqualTo(IpAddress.parse("198.51.100.4"));
    assertThat(behindProxy.clientIp(proxied)).isEqualTo("198.51.100.4");
    Req hidden = new Req().header("X-Forwarded-For", "_hidden");
    hidden.remote = "10.0.0.1";
    assertThat(behindProxy.clientAddress(hidden)).isNull();
    assertThat(behindProxy.clientIp(hidden)).isEqualTo("_hidden");
    Req garbage = new Req().header("X-Forwarded-For", "not an address");
    garbage.remote = "10.0.0.1";
    assertThat(behindProxy.clientAddress(garbage)).isNull();
    assertThat(behindProxy.clientIp(garbage)).isEqualTo("unknown");
  }

  @Test
  void principalThenVerifiedApiKeyThenIp() {
    ClientKeyResolver r = ClientKeyResolver.builder()
        .apiKeyVerifier(ApiKeyVerifier.of(key -> key.equals("sk_live_real"))).build();
    Req req = new Req();
    assertThat(r.resolve(req)).isEqualTo("ip:198.51.100.7");
    req.header("X-API-Key", "sk_live_real");
    assertThat(r.resolve(req)).startsWith("k:").doesNotContain("sk_live");
    req.principal = "alice";
    assertThat(r.resolve(req)).isEqualTo("u:alice");
  }

  @Test
  void unverifiedApiKeysNeverGiveAnAnonymousClientMoreThanItsAddress() {
    ClientKeyResolver noVerifier = ClientKeyResolver.builder().build();
    ClientKeyResolver verifying = ClientKeyResolver.builder()
        .apiKeyVerifier(ApiKeyVerifier.of(key -> key.equals("sk_live_real"))).build();
    java.util.Set<String> noVerifierKeys = new java.util.HashSet<>();
    java.util.Set<String> verifyingKeys = new java.util.HashSet<>();
    for (int i = 0; i < 50; i++) {
      Req req = new Req().header("X-API-Key", "random-" + i);
      noVerifierKeys.add(noVerifier.resolve(req));
      verifyingKeys.add(verifying.resolve(req));
    }
    assertThat(noVerifierKeys).as("without a verifier keys are ignored")
        .containsExactly("ip:198.51.100.7");
    assertThat(verifyingKeys).as("keys the verifier rejects are ignored")
        .containsExactly("ip:198.51.100.7");
  }

  @Test
  void keysOfOneOwnerShareABucketAndTheAppsVerifiedClientWins() {
    ClientKeyResolver r = ClientKeyResolver.builder()
        .apiKeyVerifier(key -> key.startsWith("acme-") ? "account-acme" : null).build();
    assertThat(r.resolve(new Req().header("X-API-Key", "acme-1")))
        .isEqualTo(r.resolve(new Req().header("X-API-Key", "acme-2")));
    Req req = new Req().header("X-API-Key", "acme-1");
    req.principal = "alice";
    req.attributes.put(ClientKeyResolver.CLIENT_ATTRIBUTE, "tenant-7");
    assertThat(r.resolve(req)).as("set by the app's own authentication").isEqualTo("c:tenant-7");
  }

  @Test
  void principalsThatDifferOnlyInCaseAreOneClientUnlessConfigured() {
    Req upper = new Req();
    upper.principal = "Alice";
    assertThat(ClientKeyResolver.builder().build().resolve(upper)).isEqualTo("u:alice");
    assertThat(ClientKeyResolver.builder().foldPrincipalCase(false).build().resolve(upper))
        .isEqualTo("u:Alice");
  }

  @Test
  void strategiesCanBeReorderedOrRestricted() {
    ClientKeyResolver ipOnly = ClientKeyResolver.builder().strategies("ip").build();
    Req req = new Req();
    req.principal = "alice";
    assertThat(ipOnly.resolve(req)).isEqualTo("ip:198.51.100.7");
    assertThatThrownBy(() -> ClientKeyResolver.builder().strategies("ip,cookie"))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("key-strategy:");
  }

  @ParameterizedTest(name = "peer {0}, XFF {1} -> {2}")
  @CsvSource(delimiter = '|', value = {
      // Untrusted peer: headers are ignored, whatever they say.
      "198.51.100.7 | 1.2.3.4 | 198.51.100.7",
      // Trusted proxy: the right-most untrusted address is the client.
      "10.0.0.5 | 203.0.113.9 | 203.0.113.9",
      "10.0.0.5 | 1.2.3.4, 203.0.113.9 | 203.0.113.9",
      "10.0.0.5 | 203.0.113.9, 10.0.0.9 | 203.0.113.9",
      "127.0.0.1 | spoofed, 203.0.113.9 | 203.0.113.9",
      // A hop a trusted proxy could not name: never the proxy's own bucket.
      "10.0.0.5 | 203.0.113.9, unknown | unknown",
      "10.0.0.5 | 203.0.113.9, garbage!! | unknown",
      "10.0.0.5 | 203.0.113.9, | unknown",
      "10.0.0.5 | garbage, 10.0.0.9 | unknown",
      // An obfuscated identifier (RFC 7239 section 6.3) is the client's identity.
      "10.0.0.5 | 203.0.113.9, _hidden-7 | _hidden-7",
      // No header at all: the proxy's own request (a health check, say).
      "10.0.0.5 | | 10.0.0.5",
      // Ports, brackets and quotes some proxies add.
      "10.0.0.5 | 203.0.113.9:4711 | 203.0.113.9",
      "10.0.0.5 | \"203.0.113.9\" | 203.0.113.9",
      "10.0.0.5 | [2001:db8::1]:443 | 2001:db8:0:0:0:0:0:0/64",
      "::1 | 2001:db8:1:2:3:4:5:6 | 2001:db8:1:2:0:0:0:0/64",
  })
  void forwardedForIsTrustedOnlyFromTrustedProxies(String peer, String xff, String client) {
    Req req = new Req();
    req.remote = peer;
    if (xff != null) {
      req.header("X-Forwarded-For", xff);
    }
    assertThat(behindProxy.clientIp(req)).isEqualTo(client);
  }

  @Test
  void onlyTheHeaderTheProxyOwnsCounts() {
    Req req = new Req();
    req.remote = "10.0.0.5";
    req.header("X-Forwarded-For", "9.9.9.9");
    req.header("Forwarded", "for=192.0.2.60;proto=http;by=203.0.113.43, for=\"[2001:db8:cafe::17]:4711\"");
    assertThat(behindProxy.clientIp(req)).as("default: X-Forwarded-For; Forwarded is the client's")
        .isEqualTo("9.9.9.9");
    ClientKeyResolver forwarded = ClientKeyResolver.builder().trustedProxies("10.0.0.0/8")
        .forwardedHeader("forwarded").build();
    assertThat(forwarded.clientIp(req)).as("Forwarded configured: X-Forwarded-For is ignored")
        .isEqualTo("2001:db8:cafe:0:0:0:0:0/64");
    assertThatThrownBy(() -> ClientKeyResolver.builder().forwardedHeader("x-real-ip"))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("forwarded-header:");
  }

  @ParameterizedTest(name = "Forwarded: {0} -> {1}")
  @CsvSource(delimiter = '|', value = {
      "for=192.0.2.60;proto=http;by=203.0.113.43 | 192.0.2.60",
      "for=\"[2001:db8:cafe::17]:4711\" | 2001:db8:cafe:0:0:0:0:0/64",
      "For=\"192.0.2.43:47011\" | 192.0.2.43",
      "for=192.0.2.43, for=10.0.0.9 | 192.0.2.43",
      "for=\"a,b;c\", for=203.0.113.5 | 203.0.113.5",
      "for=203.0.113.5, for=\"a,b;c\" | unknown",
      "for=unknown | unknown",
      "for=_gazonk | _gazonk",
      "proto=https | unknown",
      "for=\"unterminated | unknown",
      "for=\"\\\"quoted\\\"\" | unknown",
  })
  void rfc7239ForwardedIsParsedFully(String header, String client) {
    ClientKeyResolver forwarded = ClientKeyResolver.builder().trustedProxies("10.0.0.0/8")
        .forwardedHeader(ClientKeyResolver.ForwardedHeader.FORWARDED).build();
    Req req = new Req();
    req.remote = "10.0.0.5";
    req.header("Forwarded", header);
    assertThat(forwarded.clientIp(req)).isEqualTo(client);
  }

  @Test
  void multipleHeaderLinesFormOneChain() {
    Req req = new Req();
    req.remote = "10.0.0.5";
    req.header("X-Forwarded-For", "203.0.113.1");
    req.header("X-Forwarded-For", "10.0.0.7");
    assertThat(behindProxy.clientIp(req)).isEqualTo("203.0.113.1");
  }

  @Test
  void ipv6ClientsAreGroupedByPrefixAndMappedV4IsV4() {
    ClientKeyResolver r = ClientKeyResolver.builder().ipv6Prefix(48).build();
    Req a = new Req();
    a.remote = "2001:db8:aaaa:1::1";
    Req b = new Req();
    b.remote = "2001:db8:aaaa:2::2";
    assertThat(r.resolve(a)).isEqualTo(r.resolve(b)).isEqualTo("ip:2001:db8:aaaa:0:0:0:0:0/48");
    Req mapped = new Req();
    mapped.remote = "::ffff:192.0.2.1";
    assertThat(r.resolve(mapped)).isEqualTo("ip:192.0.2.1");
  }

  @Test
  void oddOrLongPrincipalsAreHashedSoInputNeverReachesRedisAsWritten() {
    ClientKeyResolver r = ClientKeyResolver.builder().build();
    Req req = new Req();
    req.principal = "eve*\r\n{bad}";
    String key = r.resolve(req);
    assertThat(key).startsWith("u:h:").matches("[A-Za-z0-9:_-]+");
    req.principal = "x".repeat(500);
    assertThat(r.resolve(req)).hasSizeLessThan(40);
    Req other = new Req();
    other.principal = "eve*\r\n{bad!}";
    assertThat(r.resolve(other)).isNotEqualTo(key);
  }

  @Test
  void hostNamesAreNeverResolvedAndAreRejectedAsProxies() {
    assertThat(IpAddress.parse("localhost")).isNull();
    assertThat(IpAddress.parse("1234")).as("no legacy numeric forms").isNull();
    assertThat(IpAddress.parse("1.2.3")).isNull();
    assertThat(IpAddress.parse("256.1.1.1")).isNull();
    assertThatThrownBy(() -> ClientKeyResolver.builder().trustedProxies("proxy.internal"))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("trusted-proxies:");
    assertThatThrownBy(() -> ClientKeyResolver.builder().trustedProxies("10.0.0.0/33"))
        .hasMessageStartingWith("trusted-proxies:");
  }
}
