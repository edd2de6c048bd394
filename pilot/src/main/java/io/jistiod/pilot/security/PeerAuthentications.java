package io.jistiod.pilot.security;

import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;

/**
 * PeerAuthentication resolved as istiod resolves it: mesh-wide (root namespace), namespace,
 * workload selector and port-level, UNSET inheriting from the level above.
 *
 * <p>Integration point (issue #12): today every port is PERMISSIVE.
 */
public final class PeerAuthentications {
  private PeerAuthentications() {}

  /** The mode of {@code proxy}'s inbound traffic to {@code targetPort} (0: any other port). */
  public static MtlsMode inboundMode(PushContext push, Proxy proxy, int targetPort) {
    return MtlsMode.PERMISSIVE;
  }
}
