package io.jistiod.pilot.gatewayapi;

import io.jistiod.galley.api.gateway.v1.ReferenceGrantFrom;
import io.jistiod.galley.api.gateway.v1.ReferenceGrantSpec;
import io.jistiod.galley.api.gateway.v1.ReferenceGrantTo;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What ReferenceGrants allow, indexed once: which kinds in which namespace may refer to which kinds
 * (and names) in the grant's namespace. Only the pairs istiod recognises count: from Gateway,
 * XListenerSet and the route kinds, to Secret, Service and InferencePool.
 */
final class ReferenceGrants {
  private static final Set<GroupKind> FROM =
      Set.of(
          GroupKind.GATEWAY,
          GroupKind.HTTP_ROUTE,
          GroupKind.GRPC_ROUTE,
          GroupKind.TLS_ROUTE,
          GroupKind.TCP_ROUTE,
          GroupKind.LISTENER_SET);
  private static final Set<GroupKind> TO =
      Set.of(GroupKind.SECRET, GroupKind.SERVICE, GroupKind.INFERENCE_POOL);

  private record Pair(GroupKind from, String fromNamespace, GroupKind to, String toNamespace) {}

  /** Per pair, the names allowed; null in the list means every name. */
  private final Map<Pair, List<String>> allowed = new HashMap<>();

  ReferenceGrants(List<Config> grants) {
    for (Config grant : grants) {
      ReferenceGrantSpec spec = grant.spec(ReferenceGrantSpec.class);
      for (ReferenceGrantFrom from : spec.getFromList()) {
        GroupKind fromKind = new GroupKind(from.getGroup(), from.getKind());
        if (!FROM.contains(fromKind)) {
          continue;
        }
        for (ReferenceGrantTo to : spec.getToList()) {
          GroupKind toKind = new GroupKind(to.getGroup(), to.getKind());
          if (!TO.contains(toKind)) {
            continue;
          }
          allowed
              .computeIfAbsent(
                  new Pair(fromKind, from.getNamespace(), toKind, grant.namespace()),
                  k -> new ArrayList<>())
              .add(to.hasName() ? to.getName() : null);
        }
      }
    }
  }

  /**
   * Whether a {@code from} object in {@code fromNamespace} may refer to the {@code to} object
   * {@code toNamespace/toName}. Only grants count: same-namespace references are the caller's to
   * allow.
   */
  boolean allows(
      GroupKind from, String fromNamespace, GroupKind to, String toNamespace, String toName) {
    for (String name :
        allowed.getOrDefault(new Pair(from, fromNamespace, to, toNamespace), List.of())) {
      if (name == null || name.equals(toName)) {
        return true;
      }
    }
    return false;
  }
}
