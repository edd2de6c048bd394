package io.jistiod.citadel.server;

import java.util.Optional;

/**
 * Decides whether an authenticated caller may obtain a certificate for another identity (request
 * metadata {@code ImpersonatedIdentity}), as a node proxy (ztunnel) does for the pods on its node.
 */
public interface ImpersonationAuthorizer {
  /**
   * Why {@code caller} may not obtain {@code requestedIdentity}; empty if it may. The reason is for
   * logs only: callers get an opaque answer.
   *
   * @param clusterId the call's {@code clusterid} header, empty if absent
   */
  Optional<String> refusal(String clusterId, Caller caller, String requestedIdentity);
}
