package io.jistiod.pilot.envoy.route;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.route.v3.DirectResponseAction;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.OutboundTrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;

/**
 * The last virtual host of a sidecar's outbound route configuration, for hosts no service answers:
 * {@code allow_any} forwards them to where the client was going (PassthroughCluster, or the
 * Sidecar's egressProxy), {@code block_all} answers 502, per outboundTrafficPolicy (the Sidecar's
 * if it sets one, else the mesh's).
 */
final class CatchAllRoutes {
  private CatchAllRoutes() {}

  static final String ALLOW_ANY = "allow_any";
  static final String BLOCK_ALL = "block_all";
  static final String PASSTHROUGH_CLUSTER = "PassthroughCluster";

  static VirtualHost virtualHost(Proxy proxy, PushContext push, boolean attemptCount) {
    OutboundTrafficPolicy policy = sidecarPolicy(proxy, push);
    boolean allowAny =
        policy != null
            ? policy.getMode() == OutboundTrafficPolicy.Mode.ALLOW_ANY
            : push.meshConfig().getOutboundTrafficPolicy().getMode()
                == MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY;
    RouteMatch any = RouteMatch.newBuilder().setPrefix("/").build();
    if (!allowAny) {
      return VirtualHost.newBuilder()
          .setName(BLOCK_ALL)
          .addDomains("*")
          .addRoutes(
              Route.newBuilder()
                  .setName(BLOCK_ALL)
                  .setMatch(any)
                  .setDirectResponse(DirectResponseAction.newBuilder().setStatus(502)))
          .setIncludeRequestAttemptCount(attemptCount)
          .build();
    }
    String cluster = PASSTHROUGH_CLUSTER;
    if (policy != null && policy.hasEgressProxy()) {
      var egress = policy.getEgressProxy();
      cluster =
          ClusterName.outbound(egress.getHost(), egress.getPort().getNumber(), egress.getSubset())
              .toString();
    }
    Duration none = Duration.getDefaultInstance();
    return VirtualHost.newBuilder()
        .setName(ALLOW_ANY)
        .addDomains("*")
        .addRoutes(
            Route.newBuilder()
                .setName(ALLOW_ANY)
                .setMatch(any)
                .setRoute(
                    RouteAction.newBuilder()
                        .setCluster(cluster)
                        .setTimeout(none)
                        .setMaxGrpcTimeout(none)))
        .setIncludeRequestAttemptCount(attemptCount)
        .build();
  }

  private static OutboundTrafficPolicy sidecarPolicy(Proxy proxy, PushContext push) {
    return push.sidecarFor(proxy)
        .map(c -> c.spec(Sidecar.class))
        .filter(Sidecar::hasOutboundTrafficPolicy)
        .map(Sidecar::getOutboundTrafficPolicy)
        .orElse(null);
  }
}
