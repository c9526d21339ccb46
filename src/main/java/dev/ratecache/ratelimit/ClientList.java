package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * An allow or deny list: clients named as an operator knows them, compiled once. An entry is an
 * address or CIDR block ({@code 203.0.113.7}, {@code 10.0.0.0/8}, {@code 2001:db8::/32}), matched
 * against the client's address after trusted proxies, or an identity ({@code user:alice}, {@code
 * key:<owner>} for a verified API key's owner, {@code client:<id>} for what the application set
 * in {@link ClientKeyResolver#CLIENT_ATTRIBUTE}, {@code app:<id>} for {@code tryAcquire}),
 * matched against the client the resolver named. Immutable; matching is a few comparisons and a
 * hash lookup, bounded by the configured entries.
 */
final class ClientList {
  static final ClientList EMPTY = new ClientList(List.of(), Set.of(), List.of());

  private final List<IpAddress.Cidr> networks;
  private final Set<String> clients;
  private final List<String> entries;

  private ClientList(List<IpAddress.Cidr> networks, Set<String> clients, List<String> entries) {
    this.networks = List.copyOf(networks);
    this.clients = Set.copyOf(clients);
    this.entries = List.copyOf(entries);
  }

  /**
   * Compiles {@code entries}, identities through {@code resolver} (which owns how a client key is
   * spelled).
   *
   * @throws ConfigurationException naming {@code setting} for an entry that is neither
   */
  static ClientList of(List<String> entries, String setting, ClientKeyResolver resolver) {
    if (entries.isEmpty()) {
      return EMPTY;
    }
    List<IpAddress.Cidr> networks = new ArrayList<>();
    Set<String> clients = new HashSet<>();
    for (String raw : entries) {
      String entry = raw.trim();
      if (entry.isEmpty()) {
        continue;
      }
      String key = resolver.keyOf(entry);
      if (key != null) {
        clients.add(key);
      } else if (entry.matches("[0-9A-Fa-f.:]+(/\\d{1,3})?")) {
        networks.add(IpAddress.Cidr.parse(entry, setting));
      } else {
        throw new ConfigurationException(setting, "'" + entry + "' is neither an address or CIDR"
            + " block nor a client (user:<name>, key:<owner>, client:<id>, app:<id>)");
      }
    }
    return new ClientList(networks, clients, entries);
  }

  /** Both lists' entries in one. */
  ClientList and(ClientList other) {
    if (other.isEmpty()) {
      return this;
    }
    if (isEmpty()) {
      return other;
    }
    List<IpAddress.Cidr> n = new ArrayList<>(networks);
    n.addAll(other.networks);
    Set<String> c = new HashSet<>(clients);
    c.addAll(other.clients);
    List<String> e = new ArrayList<>(entries);
    e.addAll(other.entries);
    return new ClientList(n, c, e);
  }

  boolean isEmpty() {
    return networks.isEmpty() && clients.isEmpty();
  }

  /** Whether the list names addresses (then the client's address must be worked out). */
  boolean namesAddresses() {
    return !networks.isEmpty();
  }

  /**
   * Whether the client is on the list.
   *
   * @param address the client's address after trusted proxies, or null if not known
   * @param clientKey the client as the resolver named it
   */
  boolean contains(InetAddress address, String clientKey) {
    if (clients.contains(clientKey)) {
      return true;
    }
    if (address != null) {
      for (IpAddress.Cidr c : networks) {
        if (c.contains(address)) {
          return true;
        }
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return entries.toString();
  }
}
