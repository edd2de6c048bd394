package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.BackendTLSPolicySpec;
import io.jistiod.galley.api.gateway.v1.LocalObjectReference;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigStore;
import io.jistiod.galley.config.GatewayApiKinds;

/**
 * What the wiring needs to know of BackendTLSPolicies to convert again when their inputs change.
 */
public final class BackendTlsPolicies {
  private BackendTlsPolicies() {}

  /**
   * Whether a BackendTLSPolicy of {@code store} takes its CA certificate from the ConfigMap {@code
   * namespace/name} (so a change to it changes the conversion).
   */
  public static boolean refersTo(ConfigStore store, String namespace, String name) {
    for (Config c : store.list(GatewayApiKinds.BACKEND_TLS_POLICY, namespace)) {
      for (LocalObjectReference ref :
          c.spec(BackendTLSPolicySpec.class).getValidation().getCaCertificateRefsList()) {
        if (ref.getKind().equals("ConfigMap") && ref.getName().equals(name)) {
          return true;
        }
      }
    }
    return false;
  }
}
