package io.jistiod.pilot.envoy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WaypointRoutesTest {
  private static final String HOST = "reviews.ns.svc.cluster.local";

  private static Service service(ServicePort... ports) {
    return new Service(
        HOST,
        "ns",
        List.of(ports),
        List.of("10.96.0.1"),
        Resolution.STATIC,
        Set.of(),
        new ServiceAttributes(
            ServiceAttributes.KUBERNETES, "reviews", Map.of(), Map.of(), false, ""));
  }

  private static Destination dest(String subset) {
    return Destination.newBuilder().setHost(HOST).setSubset(subset).build();
  }

  @Test
  void servedServiceGoesToItsInboundVipClusterByPortProtocol() {
    Service s =
        service(
            new ServicePort("http", 9080, Protocol.HTTP),
            new ServicePort("db", 3306, Protocol.MYSQL),
            new ServicePort("web", 8080, Protocol.UNSUPPORTED));
    assertThat(WaypointRoutes.clusterName(dest(""), HOST, Optional.of(s), 9080, true))
        .isEqualTo("inbound-vip|9080|http|" + HOST);
    assertThat(WaypointRoutes.clusterName(dest("v1"), HOST, Optional.of(s), 9080, true))
        .isEqualTo("inbound-vip|9080|http/v1|" + HOST);
    assertThat(WaypointRoutes.clusterName(dest(""), HOST, Optional.of(s), 3306, true))
        .isEqualTo("inbound-vip|3306|tcp|" + HOST);
    assertThat(WaypointRoutes.clusterName(dest(""), HOST, Optional.of(s), 8080, true))
        .as("a sniffed port is reached over HTTP from an HTTP route")
        .isEqualTo("inbound-vip|8080|http|" + HOST);
    assertThat(WaypointRoutes.clusterName(dest(""), HOST, Optional.of(s), 1234, true))
        .as("a port the service does not have")
        .isEqualTo("inbound-vip|1234|http|" + HOST);
  }

  @Test
  void serviceTheWaypointDoesNotServeGoesOutbound() {
    Service s = service(new ServicePort("http", 9080, Protocol.HTTP));
    assertThat(WaypointRoutes.clusterName(dest("v2"), HOST, Optional.of(s), 9080, false))
        .isEqualTo("outbound|9080|v2|" + HOST);
  }

  @Test
  void unknownHostStaysInboundAsIstiod() {
    assertThat(WaypointRoutes.clusterName(dest(""), HOST, Optional.empty(), 80, false))
        .isEqualTo("inbound-vip|80|http|" + HOST);
  }
}
