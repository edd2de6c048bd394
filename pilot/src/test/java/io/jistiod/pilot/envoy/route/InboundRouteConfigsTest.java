package io.jistiod.pilot.envoy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.jistiod.pilot.model.Protocol;
import org.junit.jupiter.api.Test;

class InboundRouteConfigsTest {

  @Test
  void oneWildcardHostToTheInboundClusterNamedByTheServicePort() {
    RouteConfiguration rc =
        InboundRouteConfigs.build(
            "inbound|8080||", "backend.shop.svc.cluster.local", 80, Protocol.HTTP);
    assertThat(rc.getName()).isEqualTo("inbound|8080||");
    assertThat(rc.getValidateClusters().getValue()).isFalse();
    assertThat(rc.getVirtualHosts(0).getName()).isEqualTo("inbound|http|80");
    assertThat(rc.getVirtualHosts(0).getDomainsList()).containsExactly("*");
    Route r = rc.getVirtualHosts(0).getRoutes(0);
    assertThat(r.getName()).isEqualTo("default");
    assertThat(r.getRoute().getCluster()).isEqualTo("inbound|8080||");
    assertThat(r.getDecorator().getOperation()).isEqualTo("backend.shop.svc.cluster.local:80/*");
    assertThat(r.getRoute().getRetryPolicy().getRetryOn()).isEqualTo("reset-before-request");
    assertThat(r.getRoute().getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
    assertThat(r.getRoute().getMaxStreamDuration().hasGrpcTimeoutHeaderMax()).isTrue();
    assertThat(r.getRoute().hasTimeout()).isTrue();
  }

  @Test
  void grpcGetsNoRetryAndPassthroughHasNoService() {
    assertThat(
            InboundRouteConfigs.build(
                    "inbound|9090||", "g.shop.svc.cluster.local", 9090, Protocol.GRPC)
                .getVirtualHosts(0)
                .getRoutes(0)
                .getRoute()
                .hasRetryPolicy())
        .isFalse();
    RouteConfiguration passthrough =
        InboundRouteConfigs.build("InboundPassthroughCluster", "", 0, Protocol.HTTP);
    assertThat(passthrough.getVirtualHosts(0).getName()).isEqualTo("inbound|http|0");
    assertThat(passthrough.getVirtualHosts(0).getRoutes(0).getDecorator().getOperation())
        .isEqualTo(":0/*");
  }
}
