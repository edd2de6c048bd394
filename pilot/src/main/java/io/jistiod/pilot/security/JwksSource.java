package io.jistiod.pilot.security;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Where the key sets of {@code jwksUri} (or of an issuer's OpenID discovery document) come from
 * while a push is built. Implementations must answer at once: a push never waits for the network.
 */
public interface JwksSource {
  /** Knows no key set: every remote JWKS is replaced by one that rejects every token. */
  JwksSource NONE = (issuer, jwksUri, timeout, requestedBy) -> Optional.empty();

  /**
   * The key set for {@code jwksUri} (empty: found through {@code issuer}'s OpenID discovery), or
   * empty while it is not fetched yet or cannot be fetched.
   *
   * @param timeout the rule's fetch timeout (istiod's default: 5s)
   * @param requestedBy the rule asking, e.g. {@code RequestAuthentication ns/name
   *     spec.jwtRules[0]}, named in the log when its key set cannot be fetched
   */
  Optional<String> jwks(String issuer, String jwksUri, Duration timeout, String requestedBy);

  /**
   * This source as one push sees it: the first answer per issuer and URI is kept, so every chain
   * and proxy of the push gets the same keys even if a fetch completes meanwhile (the fetch then
   * triggers the next push).
   */
  static JwksSource perPush(JwksSource source) {
    Map<List<String>, Optional<String>> seen = new ConcurrentHashMap<>();
    return (issuer, jwksUri, timeout, requestedBy) ->
        seen.computeIfAbsent(
            List.of(issuer, jwksUri), k -> source.jwks(issuer, jwksUri, timeout, requestedBy));
  }
}
