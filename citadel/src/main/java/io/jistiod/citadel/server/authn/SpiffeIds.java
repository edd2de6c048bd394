package io.jistiod.citadel.server.authn;

import java.util.Objects;

/** SPIFFE IDs of Kubernetes service accounts, as Istio spells them ({@code pkg/spiffe}). */
public final class SpiffeIds {
  public static final String SCHEME_PREFIX = "spiffe://";

  private SpiffeIds() {}

  /**
   * {@code spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>}. An {@code @} in the trust
   * domain becomes {@code .}, as Istio does, because {@code @} is not allowed in a URI host.
   */
  public static String forServiceAccount(
      String trustDomain, String namespace, String serviceAccount) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    return SCHEME_PREFIX
        + trustDomain.replace('@', '.')
        + "/ns/"
        + namespace
        + "/sa/"
        + serviceAccount;
  }
}
