package io.jistiod.pilot.security;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import java.util.Map;

/**
 * PeerAuthentication resolved as istiod resolves it: mesh-wide (root namespace), namespace,
 * workload selector and port-level, UNSET inheriting from the level above. The server side (inbound
 * chains) and the client side (auto mTLS) ask here.
 */
public final class PeerAuthentications {
  private PeerAuthentications() {}

  /** The mode of {@code proxy}'s inbound traffic to {@code targetPort} (0: any other port). */
  public static MtlsMode inboundMode(PushContext push, Proxy proxy, int targetPort) {
    return forProxy(push, proxy).forPort(targetPort);
  }

  /** The merged policy of {@code proxy}'s own workload (its namespace and labels). */
  public static EffectivePeerAuthentication forProxy(PushContext push, Proxy proxy) {
    return PeerAuthenticationIndex.of(push)
        .forWorkload(proxy.configNamespace(), proxy.metadata().labels());
  }

  /**
   * The mode a destination workload accepts on {@code targetPort}, as istiod's EDS decides whether
   * to mark an endpoint for mTLS.
   */
  public static MtlsMode workloadMode(
      PushContext push, String namespace, Map<String, String> labels, int targetPort) {
    return PeerAuthenticationIndex.of(push).forWorkload(namespace, labels).forPort(targetPort);
  }

  /**
   * The mode istiod infers for a service in {@code namespace} when it decides whether a cluster
   * gets auto mTLS at all: the namespace- or mesh-wide policy only (workload and port-level
   * policies act per endpoint, through {@link #workloadMode}).
   */
  public static MtlsMode namespaceMode(PushContext push, String namespace) {
    return PeerAuthenticationIndex.of(push).namespaceMode(namespace);
  }
}
