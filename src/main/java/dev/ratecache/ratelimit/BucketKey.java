package dev.ratecache.ratelimit;

import dev.ratecache.ConfigurationException;
import java.util.Locale;

/**
 * Whose bucket a profile charges ({@code profile.<name>.key}): the client (the default), the
 * account a request names, or the two together. The account is what the application put in the
 * request attribute {@link ClientKeyResolver#ACCOUNT_ATTRIBUTE} (the user name a login form
 * tries, say); a request that names none is charged as its client.
 *
 * <p>For a login route, {@code account+client} limits the tries at one account from one client
 * (a brute force), while the real user, elsewhere, keeps its own bucket; a second profile by
 * {@code client} (a prefix profile, say) limits the accounts one client tries (credential
 * stuffing).
 */
public enum BucketKey {
  /** The client as the resolver names it (principal, verified key, address). */
  CLIENT,
  /** The account the request names, whoever tries it. */
  ACCOUNT,
  /** The account together with the client. */
  ACCOUNT_AND_CLIENT;

  /** Reads {@code client}, {@code account} or {@code account+client}. */
  static BucketKey parse(String setting, String text) {
    String t = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    return switch (t) {
      case "client" -> CLIENT;
      case "account" -> ACCOUNT;
      case "account+client", "client+account" -> ACCOUNT_AND_CLIENT;
      default -> throw new ConfigurationException(setting, "'" + text
          + "' is not client, account or account+client");
    };
  }

  @Override
  public String toString() {
    return this == ACCOUNT_AND_CLIENT ? "account+client" : name().toLowerCase(Locale.ROOT);
  }
}
