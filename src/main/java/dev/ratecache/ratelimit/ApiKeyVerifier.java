package dev.ratecache.ratelimit;

import java.util.Objects;
import java.util.function.Predicate;

/**
 * Says which API keys are real, so that only a real key gives a client a bucket of its own.
 *
 * <p>An anonymous client can send a new random key with every request; if unverified keys
 * counted, each would be a new client with a full allowance. So without a verifier the
 * {@link ClientKeyResolver.Strategy#API_KEY API_KEY} strategy is skipped (the client is then
 * identified by the next strategy, usually its address), and with one, a key the verifier does
 * not recognise is skipped the same way.
 *
 * <p>Called on the request thread for every request that carries the key header, before the
 * rate limit: keep it fast (an in-memory lookup or a cache in front of the real check).
 * Implementations must be thread-safe. In {@code web.xml}, name a class with a public no-argument
 * constructor in the {@code api-key-verifier} init-param.
 */
@FunctionalInterface
public interface ApiKeyVerifier {
  /**
   * The client a key belongs to.
   *
   * @param apiKey the header's value, trimmed; never empty
   * @return a stable identity for the key's owner (an account id, say, so that one account's
   *     keys share a bucket; or the key itself), or {@code null} if the key is not valid
   */
  String verify(String apiKey);

  /**
   * The owner of a key and the plan it is on ({@code free}, {@code pro}...; limits per plan are
   * {@code profile.<name>.limit.<plan>}). By default {@link #verify} names the owner and there is
   * no plan; a verifier that knows plans overrides this (or is made by {@link #withPlans}).
   *
   * @return the owner, or {@code null} if the key is not valid
   */
  default Owner owner(String apiKey) {
    String id = verify(apiKey);
    return id == null || id.isBlank() ? null : new Owner(id, null);
  }

  /**
   * Who a verified key belongs to.
   *
   * @param id a stable identity for the key's owner
   * @param plan the owner's plan, or {@code null} for none (the profile's own limits)
   */
  record Owner(String id, String plan) {
    public Owner {
      Objects.requireNonNull(id, "id");
    }
  }

  /**
   * A verifier that knows plans: {@code lookup} gives the owner and plan of a valid key, or
   * {@code null}.
   */
  static ApiKeyVerifier withPlans(java.util.function.Function<String, Owner> lookup) {
    Objects.requireNonNull(lookup, "lookup");
    return new ApiKeyVerifier() {
      @Override
      public String verify(String apiKey) {
        Owner o = lookup.apply(apiKey);
        return o == null ? null : o.id();
      }

      @Override
      public Owner owner(String apiKey) {
        return lookup.apply(apiKey);
      }
    };
  }

  /** A verifier that accepts the keys {@code valid} accepts, each key its own client. */
  static ApiKeyVerifier of(Predicate<String> valid) {
    Objects.requireNonNull(valid, "valid");
    return key -> valid.test(key) ? key : null;
  }
}
