package io.jistiod.pilot.envoy.waypoint;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.model.Protocol;
import org.junit.jupiter.api.Test;

class WaypointNamesTest {

  @Test
  void inboundVipNamesPortProtocolSubsetAndHost() {
    assertThat(WaypointNames.inboundVip(9080, "http", "reviews.ns.svc.cluster.local"))
        .isEqualTo("inbound-vip|9080|http|reviews.ns.svc.cluster.local");
    assertThat(WaypointNames.inboundVip(3306, "tcp/v1", "db.ns.svc.cluster.local"))
        .isEqualTo("inbound-vip|3306|tcp/v1|db.ns.svc.cluster.local");
  }

  @Test
  void sniffedPortsGetBothChainsOthersOneByProtocol() {
    assertThat(WaypointNames.carriesTcp(Protocol.UNSUPPORTED)).isTrue();
    assertThat(WaypointNames.carriesHttp(Protocol.UNSUPPORTED)).isTrue();
    for (Protocol p : new Protocol[] {Protocol.HTTP, Protocol.HTTP2, Protocol.GRPC}) {
      assertThat(WaypointNames.carriesHttp(p)).as(p.name()).isTrue();
      assertThat(WaypointNames.carriesTcp(p)).as(p.name()).isFalse();
    }
    for (Protocol p :
        new Protocol[] {
          Protocol.TCP, Protocol.TLS, Protocol.HTTPS, Protocol.MYSQL, Protocol.REDIS
        }) {
      assertThat(WaypointNames.carriesTcp(p)).as(p.name()).isTrue();
      assertThat(WaypointNames.carriesHttp(p)).as(p.name()).isFalse();
    }
    assertThat(WaypointNames.carriesTcp(Protocol.UDP)).isFalse();
    assertThat(WaypointNames.carriesHttp(Protocol.UDP)).isFalse();
  }
}
