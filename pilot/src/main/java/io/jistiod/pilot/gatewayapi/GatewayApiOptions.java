package io.jistiod.pilot.gatewayapi;

import java.util.Objects;

/**
 * The istiod settings the conversion depends on.
 *
 * @param domainSuffix the cluster domain ({@code cluster.local})
 * @param alpha PILOT_ENABLE_ALPHA_GATEWAY_API: TCP and TLS listeners are accepted
 * @param inferencePools ENABLE_GATEWAY_API_INFERENCE_EXTENSION: InferencePool backends
 * @param remoteClass PILOT_MULTI_NETWORK_DISCOVER_GATEWAY_API: the {@code istio-remote} class
 * @param waypointClass ambient waypoints: the {@code istio-waypoint} class
 * @param eastWestClass ambient multi-network: the {@code istio-east-west} class
 * @param manualDeployment ENABLE_GATEWAY_API_MANUAL_DEPLOYMENT: a Gateway with Hostname addresses
 *     is served by those Services instead of one istiod deploys
 * @param mcsHost ENABLE_MCS_HOST: ServiceImport backends use {@code clusterset.local}
 */
public record GatewayApiOptions(
    String domainSuffix,
    boolean alpha,
    boolean inferencePools,
    boolean remoteClass,
    boolean waypointClass,
    boolean eastWestClass,
    boolean manualDeployment,
    boolean mcsHost) {

  public GatewayApiOptions {
    Objects.requireNonNull(domainSuffix, "domainSuffix");
  }

  /** istiod's defaults: only the remote class besides {@code istio}, no alpha kinds. */
  public static GatewayApiOptions defaults(String domainSuffix) {
    return new GatewayApiOptions(domainSuffix, false, false, true, false, false, true, false);
  }
}
