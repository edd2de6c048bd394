package io.jistiod.pilot.ambient;

import java.util.Objects;

/**
 * What, besides the Kubernetes objects, goes into every address, and how sidecars and gateways
 * treat ambient destinations.
 *
 * @param clusterId istiod's cluster ID ({@code --clusterID}, {@code Kubernetes} by default): the
 *     first part of every workload uid
 * @param domainSuffix the cluster DNS suffix of service hostnames
 * @param sendHbone istiod's {@code PILOT_ENABLE_SENDING_HBONE} (on by default with ambient):
 *     sidecars and gateways tunnel to ambient workloads over HBONE ({@code connect_originate})
 * @param preferHbone {@code PILOT_PREFER_SENDING_HBONE} (off by default): HBONE also to workloads
 *     that accept Istio mTLS through a sidecar
 * @param ingressWaypointRouting {@code ENABLE_INGRESS_WAYPOINT_ROUTING} (on by default with
 *     ambient): gateways send to the waypoint of a Service labelled {@code
 *     istio.io/ingress-use-waypoint}
 * @param sidecarListenHbone {@code PILOT_ENABLE_SIDECAR_LISTENING_HBONE} (on by default with
 *     ambient): a sidecar whose agent sends {@code ENABLE_HBONE} also accepts HBONE on 15008
 */
public record AmbientSettings(
    String clusterId,
    String domainSuffix,
    boolean sendHbone,
    boolean preferHbone,
    boolean ingressWaypointRouting,
    boolean sidecarListenHbone) {
  public AmbientSettings {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(domainSuffix, "domainSuffix");
  }

  /** With istiod 1.27's defaults for ambient mode. */
  public AmbientSettings(String clusterId, String domainSuffix) {
    this(clusterId, domainSuffix, true, false, true, true);
  }

  /** With istiod 1.27's default for sidecars' HBONE listening. */
  public AmbientSettings(
      String clusterId,
      String domainSuffix,
      boolean sendHbone,
      boolean preferHbone,
      boolean ingressWaypointRouting) {
    this(clusterId, domainSuffix, sendHbone, preferHbone, ingressWaypointRouting, true);
  }
}
