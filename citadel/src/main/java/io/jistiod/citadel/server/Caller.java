package io.jistiod.citadel.server;

import java.util.List;
import java.util.Objects;

/**
 * An authenticated caller.
 *
 * @param authenticator the name of the authenticator that vouched for it, for logs
 * @param identities what the issued certificate will certify, usually one SPIFFE ID
 * @param kubernetes the pod behind a Kubernetes token; {@link KubernetesInfo#NONE} otherwise. Node
 *     authorization (impersonation) looks the caller's pod up by it.
 */
public record Caller(String authenticator, List<String> identities, KubernetesInfo kubernetes) {
  public Caller {
    Objects.requireNonNull(authenticator, "authenticator");
    identities = List.copyOf(Objects.requireNonNull(identities, "identities"));
    Objects.requireNonNull(kubernetes, "kubernetes");
    if (identities.isEmpty()) {
      throw new IllegalArgumentException("identities: empty (expected: at least one)");
    }
  }

  /** A caller known by its identities only (a client certificate). */
  public Caller(String authenticator, List<String> identities) {
    this(authenticator, identities, KubernetesInfo.NONE);
  }
}
