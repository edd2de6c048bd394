package io.jistiod.pilot.push;

import io.jistiod.galley.config.Config;
import io.jistiod.pilot.security.JwksSource;
import java.util.List;
import java.util.Objects;

/**
 * The security policies of one push, each list in namespace/name order: what the policy builders in
 * {@code io.jistiod.pilot.security} read. Immutable.
 *
 * @param jwks the remote JWKS key sets istiod has fetched for RequestAuthentication {@code jwksUri}
 */
public record SecurityConfigs(
    List<Config> peerAuthentications,
    List<Config> authorizationPolicies,
    List<Config> requestAuthentications,
    JwksSource jwks) {

  public static final SecurityConfigs EMPTY = new SecurityConfigs(List.of(), List.of(), List.of());

  public SecurityConfigs {
    peerAuthentications = List.copyOf(peerAuthentications);
    authorizationPolicies = List.copyOf(authorizationPolicies);
    requestAuthentications = List.copyOf(requestAuthentications);
    Objects.requireNonNull(jwks, "jwks");
  }

  /** Without fetched key sets: every {@code jwksUri} gets the JWKS that rejects every token. */
  public SecurityConfigs(
      List<Config> peerAuthentications,
      List<Config> authorizationPolicies,
      List<Config> requestAuthentications) {
    this(peerAuthentications, authorizationPolicies, requestAuthentications, JwksSource.NONE);
  }
}
