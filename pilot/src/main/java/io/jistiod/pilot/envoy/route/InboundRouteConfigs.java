package io.jistiod.pilot.envoy.route;

import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.route.v3.Decorator;
import io.envoyproxy.envoy.config.route.v3.RetryPolicy;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.RouteMatch;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.pilot.model.Protocol;

/**
 * The route configuration of a sidecar's inbound HTTP filter chain. istiod puts it inline in the
 * listener's HTTP connection manager (inbound traffic has no RDS), so the listener generator calls
 * this; it is never served over RDS.
 */
public final class InboundRouteConfigs {
  private InboundRouteConfigs() {}

  /**
   * @param clusterName {@code inbound|TARGETPORT||}, or {@code InboundPassthroughCluster}; also the
   *     configuration's name
   * @param hostname the service the chain serves, empty for the passthrough chains
   * @param servicePort its service port (names the virtual host and the tracing operation), 0 for
   *     passthrough
   * @param protocol the port's protocol: gRPC gets no retry, since "reset-before-request" breaks
   *     streams
   */
  public static RouteConfiguration build(
      String clusterName, String hostname, int servicePort, Protocol protocol) {
    Duration none = Duration.getDefaultInstance();
    RouteAction.Builder action =
        RouteAction.newBuilder()
            .setCluster(clusterName)
            .setTimeout(none)
            .setMaxStreamDuration(
                RouteAction.MaxStreamDuration.newBuilder()
                    .setMaxStreamDuration(none)
                    .setGrpcTimeoutHeaderMax(none));
    if (protocol != Protocol.GRPC && protocol != Protocol.GRPC_WEB) {
      // retry only requests the application never saw: safe for any method
      action.setRetryPolicy(
          RetryPolicy.newBuilder()
              .setRetryOn("reset-before-request")
              .setNumRetries(UInt32Value.of(2)));
    }
    Route route =
        Route.newBuilder()
            .setName("default")
            .setMatch(RouteMatch.newBuilder().setPrefix("/"))
            .setRoute(action)
            .setDecorator(Decorator.newBuilder().setOperation(hostname + ":" + servicePort + "/*"))
            .build();
    return RouteConfiguration.newBuilder()
        .setName(clusterName)
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .setName("inbound|http|" + servicePort)
                .addDomains("*")
                .addRoutes(route))
        .setValidateClusters(BoolValue.of(false))
        .build();
  }
}
