package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.StatusRuntimeException;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The state-of-the-world ADS rules (reliability.md XDS-03, 05, 06, 07, 08, 10, 12). */
class AdsProtocolTest {
  private static final String V1 = "outbound|50051|v1|greeter.default.svc.cluster.local";
  private static final String V2 = "outbound|50051|v2|greeter.default.svc.cluster.local";
  private FakeIstiod istiod;
  private FakeIstiod.AdsClient client;

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER, Meshes.greeterSplit(80, 20));
    client = istiod.connect(Meshes.grpcNode());
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  @Test
  void ackGetsNoResponse() throws Exception {
    client.request(TypeUrls.CLUSTER, V1);
    DiscoveryResponse r = client.next();
    assertThat(r.getResourcesCount()).isEqualTo(1);
    client.ack(r, V1);
    client.expectNothing(300);
  }

  @Test
  void nackIsCountedAndNothingIsResentUntilAChange() throws Exception {
    client.request(TypeUrls.ENDPOINT, V1);
    DiscoveryResponse r = client.next();
    client.send(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.ENDPOINT)
            .setResponseNonce(r.getNonce())
            .addResourceNames(V1)
            .setErrorDetail(Status.newBuilder().setCode(3).setMessage("bad endpoints")));
    client.expectNothing(300);
    assertThat(istiod.counter("pilot_total_xds_rejects", "eds")).isEqualTo(1);

    // A push with unchanged content sends nothing either.
    istiod.push();
    client.expectNothing(300);

    // A real change sends a new version with a new nonce.
    istiod.apply(Meshes.GREETER.replace("10.0.0.2", "10.0.0.7"));
    istiod.push();
    DiscoveryResponse next = client.next();
    assertThat(next.getVersionInfo()).isNotEqualTo(r.getVersionInfo());
    assertThat(next.getNonce()).isNotEqualTo(r.getNonce());
  }

  @Test
  void staleNonceIsIgnoredAndCounted() throws Exception {
    client.request(TypeUrls.ENDPOINT, V1);
    DiscoveryResponse first = client.next();
    client.ack(first, V1, V2); // subscribes to V2 too: answered, with V2 alone (partial EDS)
    DiscoveryResponse second = client.next();
    assertThat(second.getResourcesList())
        .extracting(a -> a.unpack(ClusterLoadAssignment.class).getClusterName())
        .containsExactly(V2);
    // A request still carrying the first nonce is stale.
    client.send(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.ENDPOINT)
            .setResponseNonce(first.getNonce())
            .addResourceNames(V1));
    client.expectNothing(300);
    assertThat(istiod.counter("pilot_xds_expired_nonce", "eds")).isEqualTo(1);
  }

  @Test
  void addedNamesAreAnsweredRemovedNamesAreNot() throws Exception {
    client.request(TypeUrls.CLUSTER, V1);
    DiscoveryResponse r1 = client.next();
    client.ack(r1, V1, V2);
    DiscoveryResponse r2 = client.next();
    assertThat(r2.getResourcesList())
        .extracting(a -> a.unpack(Cluster.class).getName())
        .containsExactlyInAnyOrder(V1, V2);
    client.ack(r2, V2);
    client.expectNothing(300);
  }

  @Test
  void emptyNamesOnEdsUnsubscribes() throws Exception {
    client.request(TypeUrls.ENDPOINT, V1);
    DiscoveryResponse r = client.next();
    client.ack(r);
    client.expectNothing(200);
    istiod.apply(Meshes.GREETER.replace("10.0.0.2", "10.0.0.8"));
    istiod.push();
    client.expectNothing(300);
  }

  @Test
  void versionChangesExactlyWhenContentChanges() throws Exception {
    client.request(TypeUrls.ENDPOINT, V1);
    DiscoveryResponse r1 = client.next();
    client.ack(r1, V1);
    // Re-subscribing to the same content on a new stream gets the same version.
    FakeIstiod.AdsClient other = istiod.connect(Meshes.grpcNode());
    other.request(TypeUrls.ENDPOINT, V1);
    assertThat(other.next().getVersionInfo()).isEqualTo(r1.getVersionInfo());
    istiod.apply(Meshes.GREETER.replace("10.0.0.1", "10.0.0.5"));
    istiod.push();
    DiscoveryResponse r2 = client.next();
    assertThat(r2.getVersionInfo()).isNotEqualTo(r1.getVersionInfo());
    assertThat(r2.getResources(0).unpack(ClusterLoadAssignment.class).toString())
        .contains("10.0.0.5");
  }

  @Test
  void clustersAreAlwaysTheFullSet() throws Exception {
    client.request(TypeUrls.CLUSTER); // wildcard
    DiscoveryResponse r = client.next();
    assertThat(r.getResourcesCount()).isEqualTo(3); // default, v1, v2
    client.ack(r);
    istiod.apply(
        Meshes.GREETER.replace(
            "  - name: v2\n    labels: {version: v2}\n    trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n",
            ""));
    istiod.push();
    DiscoveryResponse after = client.next();
    assertThat(after.getResourcesList())
        .extracting(a -> a.unpack(Cluster.class).getName())
        .containsExactlyInAnyOrder("outbound|50051||greeter.default.svc.cluster.local", V1);
  }

  @Test
  void resentClustersBringTheirEndpoints() throws Exception {
    client.request(TypeUrls.CLUSTER, V2);
    client.ack(client.next(), V2);
    client.request(TypeUrls.ENDPOINT, V2);
    client.ack(client.next(), V2);
    // A cluster-only change (load balancer) re-sends CDS, and EDS follows though unchanged.
    istiod.apply(Meshes.GREETER.replace("LEAST_REQUEST", "ROUND_ROBIN"));
    istiod.push();
    assertThat(client.next().getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(client.next().getTypeUrl()).isEqualTo(TypeUrls.ENDPOINT);
  }

  @Test
  void missingNodeIsInvalidArgument() {
    FakeIstiod.AdsClient bad = istiod.connect(Node.getDefaultInstance());
    bad.request(TypeUrls.CLUSTER);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> bad.error != null);
    assertThat(((StatusRuntimeException) bad.error).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void malformedNodeIdIsInvalidArgumentAndServerKeepsServing() throws Exception {
    FakeIstiod.AdsClient bad = istiod.connect(Node.newBuilder().setId("not~an~id").build());
    bad.request(TypeUrls.CLUSTER);
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> bad.error != null);
    assertThat(((StatusRuntimeException) bad.error).getStatus().getCode())
        .isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
    client.request(TypeUrls.CLUSTER, V1);
    assertThat(client.next().getResourcesCount()).isEqualTo(1);
  }

  @Test
  void connectedClientsAreCounted() throws Exception {
    client.request(TypeUrls.CLUSTER, V1);
    client.next();
    assertThat(istiod.metrics.find("pilot_xds").gauge().value()).isEqualTo(1);
    client.close();
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.metrics.find("pilot_xds").gauge().value() == 0);
  }

  @Test
  void endpointOnlyPushRecomputesOnlyEndpoints() throws Exception {
    client.request(TypeUrls.CLUSTER, V1);
    client.ack(client.next(), V1);
    client.request(TypeUrls.ENDPOINT, V1);
    client.ack(client.next(), V1);
    // Change both a cluster setting and an endpoint, but announce only an endpoint change.
    istiod.apply(
        Meshes.GREETER.replace("10.0.0.2", "10.0.0.6").replace("LEAST_REQUEST", "ROUND_ROBIN"));
    istiod.pushEndpoints();
    DiscoveryResponse r = client.next();
    assertThat(r.getTypeUrl()).isEqualTo(TypeUrls.ENDPOINT);
    assertThat(r.getResources(0).unpack(ClusterLoadAssignment.class).toString())
        .contains("10.0.0.6");
    client.expectNothing(300);
  }
}
