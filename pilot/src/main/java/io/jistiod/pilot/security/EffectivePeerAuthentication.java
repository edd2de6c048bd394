package io.jistiod.pilot.security;

import java.util.Map;
import java.util.TreeMap;

/**
 * The PeerAuthentication that applies to one workload once mesh, namespace and workload policies
 * are merged: a mode for the workload and, from its workload policy, modes for single ports.
 *
 * @param perPort target port to mode, from the workload policy's {@code portLevelMtls} (UNSET
 *     already replaced by the workload's mode); sorted by port
 */
public record EffectivePeerAuthentication(MtlsMode mode, Map<Integer, MtlsMode> perPort) {
  /** No policy anywhere: istiod's default. */
  public static final EffectivePeerAuthentication DEFAULT =
      new EffectivePeerAuthentication(MtlsMode.PERMISSIVE, Map.of());

  public EffectivePeerAuthentication {
    perPort = java.util.Collections.unmodifiableMap(new TreeMap<>(perPort));
  }

  /** The mode of {@code targetPort}: its port-level mode if it has one, else the workload's. */
  public MtlsMode forPort(int targetPort) {
    return perPort.getOrDefault(targetPort, mode);
  }
}
