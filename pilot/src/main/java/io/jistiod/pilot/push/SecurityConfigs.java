package io.jistiod.pilot.push;

import io.jistiod.galley.config.Config;
import java.util.List;

/**
 * The security policies of one push, each list in namespace/name order: what the policy builders in
 * {@code io.jistiod.pilot.security} read. Immutable.
 */
public record SecurityConfigs(
    List<Config> peerAuthentications,
    List<Config> authorizationPolicies,
    List<Config> requestAuthentications) {

  public static final SecurityConfigs EMPTY = new SecurityConfigs(List.of(), List.of(), List.of());

  public SecurityConfigs {
    peerAuthentications = List.copyOf(peerAuthentications);
    authorizationPolicies = List.copyOf(authorizationPolicies);
    requestAuthentications = List.copyOf(requestAuthentications);
  }
}
