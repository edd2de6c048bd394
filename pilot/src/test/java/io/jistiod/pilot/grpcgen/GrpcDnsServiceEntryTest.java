package io.jistiod.pilot.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A DNS ServiceEntry seen by a proxyless gRPC client, as istiod serves it: gRPC gets an EDS cluster
 * (grpcgen builds no other kind), and EDS carries only the endpoints that are IP addresses; names
 * are left out, as istiod's endpoint builder drops every non-IP address.
 */
class GrpcDnsServiceEntryTest {
  private static final String MIXED = "outbound|443||api.example.com";
  private static final String NAMES_ONLY = "outbound|8443||names.example.com";
  private FakeIstiod istiod;
  private FakeIstiod.AdsClient client;

  @BeforeEach
  void setUp() throws Exception {
    istiod =
        new FakeIstiod(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: api, namespace: default}
            spec:
              hosts: [api.example.com]
              location: MESH_EXTERNAL
              resolution: DNS
              ports: [{name: grpc, number: 443, protocol: GRPC}]
              endpoints:
              - {address: backend-1.example.com}
              - {address: 10.7.0.1, ports: {grpc: 8443}}
              - {address: "2001:db8::7"}
            ---
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: names, namespace: default}
            spec:
              hosts: [names.example.com]
              resolution: DNS
              ports: [{name: grpc, number: 8443, protocol: GRPC}]
              endpoints: [{address: a.example.com}, {address: b.example.com}]
            """);
    client = istiod.connect(Meshes.grpcNode());
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  @Test
  void theClusterIsAnEdsCluster() throws Exception {
    client.request(TypeUrls.CLUSTER, MIXED, NAMES_ONLY);
    DiscoveryResponse r = client.next();
    assertThat(r.getResourcesCount()).isEqualTo(2);
    for (var any : r.getResourcesList()) {
      Cluster c = any.unpack(Cluster.class);
      assertThat(c.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
      assertThat(c.getEdsClusterConfig().getServiceName()).isEqualTo(c.getName());
      assertThat(c.getEdsClusterConfig().getEdsConfig().hasAds()).isTrue();
      assertThat(c.hasLoadAssignment()).isFalse();
    }
  }

  @Test
  void endpointsAreTheIpAddressesOnly() throws Exception {
    client.request(TypeUrls.ENDPOINT, MIXED, NAMES_ONLY);
    DiscoveryResponse r = client.next();
    ClusterLoadAssignment mixed = null;
    ClusterLoadAssignment namesOnly = null;
    for (var any : r.getResourcesList()) {
      ClusterLoadAssignment cla = any.unpack(ClusterLoadAssignment.class);
      if (cla.getClusterName().equals(MIXED)) {
        mixed = cla;
      } else if (cla.getClusterName().equals(NAMES_ONLY)) {
        namesOnly = cla;
      }
    }
    assertThat(addresses(mixed)).containsExactlyInAnyOrder("10.7.0.1:8443", "2001:db8::7:443");
    assertThat(namesOnly).isNotNull();
    assertThat(namesOnly.getEndpointsList()).isEmpty();
  }

  private static List<String> addresses(ClusterLoadAssignment cla) {
    assertThat(cla).isNotNull();
    return cla.getEndpointsList().stream()
        .flatMap(l -> l.getLbEndpointsList().stream())
        .map(e -> e.getEndpoint().getAddress().getSocketAddress())
        .map(a -> a.getAddress() + ":" + a.getPortValue())
        .toList();
  }
}
