package dev.ratecache.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.ratecache.ConfigurationException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Allow and deny lists: the forms an operator writes, and what they match. */
class ClientListTest {
  private final ClientKeyResolver resolver = ClientKeyResolver.builder().build();

  private ClientList list(String... entries) {
    return ClientList.of(List.of(entries), "deny", resolver);
  }

  @Test
  void addressesAndBlocksMatchTheClientsAddress() {
    ClientList l = list("203.0.113.0/24", "192.0.2.7", "2001:db8::/32");
    assertThat(l.namesAddresses()).isTrue();
    assertThat(l.contains(IpAddress.parse("203.0.113.200"), "ip:203.0.113.200")).isTrue();
    assertThat(l.contains(IpAddress.parse("203.0.114.1"), "ip:203.0.114.1")).isFalse();
    assertThat(l.contains(IpAddress.parse("192.0.2.7"), "u:alice")).as("any identity").isTrue();
    assertThat(l.contains(IpAddress.parse("192.0.2.8"), "x")).isFalse();
    assertThat(l.contains(IpAddress.parse("2001:db8:1::9"), "x")).isTrue();
    assertThat(l.contains(IpAddress.parse("2001:db9::1"), "x")).isFalse();
    assertThat(l.contains(null, "ip:unknown")).as("no address, no address match").isFalse();
  }

  @Test
  void identitiesAreSpelledAsTheResolverSpellsClients() {
    ClientList l = list("user:Alice", "key:partner-co", "client:acct-9", "app:nightly");
    assertThat(l.namesAddresses()).isFalse();
    assertThat(l.contains(null, resolver.keyOf("user:alice"))).as("principals folded").isTrue();
    assertThat(l.contains(null, ClientKeyResolver.safe("u:", "alice"))).isTrue();
    assertThat(l.contains(null, "k:" + ClientKeyResolver.hash("partner-co")))
        .as("a key's owner, hashed as the resolver hashes it").isTrue();
    assertThat(l.contains(null, "c:acct-9")).isTrue();
    assertThat(l.contains(null, ClientKeyResolver.forApplication("nightly"))).isTrue();
    assertThat(l.contains(null, "u:bob")).isFalse();
    assertThat(l.contains(null, "partner-co")).as("a raw value is not a client").isFalse();
  }

  @Test
  void anythingElseFailsNamingTheSetting() {
    for (String bad : List.of("example.com", "user:", "10.0.0.0/33", "10.0.0/8x", "*",
        "role:admin", "1.2.3.4/-1")) {
      assertThatThrownBy(() -> list(bad)).as(bad).isInstanceOf(ConfigurationException.class)
          .hasMessageStartingWith("deny");
    }
    assertThat(list().isEmpty()).isTrue();
    assertThat(list(" ", "").isEmpty()).isTrue();
  }
}
