package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.rpc.Status;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Incremental ADS (reliability.md XDS-16, XDS-17, XDS-18). */
class DeltaAdsTest {
  private static final String FQDN = "greeter.default.svc.cluster.local";
  private static final String DEFAULT = "outbound|50051||" + FQDN;
  private static final String V1 = "outbound|50051|v1|" + FQDN;
  private static final String V2 = "outbound|50051|v2|" + FQDN;
  private FakeIstiod istiod;
  private FakeIstiod.DeltaClient client;

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER, Meshes.greeterSplit(80, 20));
    client = istiod.connectDelta(Meshes.grpcNode());
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  private static Map<String, String> versions(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream()
        .collect(Collectors.toMap(Resource::getName, Resource::getVersion));
  }

  @Test
  void wildcardGetsEverythingThenOnlyChanges() throws Exception {
    client.subscribe(TypeUrls.CLUSTER);
    DeltaDiscoveryResponse first = client.next();
    assertThat(versions(first)).containsOnlyKeys(DEFAULT, V1, V2);
    client.ack(first);
    client.expectNothing(200);

    // Nothing changed: nothing is sent, though a push ran (XDS-18).
    istiod.push();
    client.expectNothing(300);

    // Only the v2 cluster changes.
    istiod.apply(Meshes.GREETER.replace("LEAST_REQUEST", "ROUND_ROBIN"));
    istiod.push();
    DeltaDiscoveryResponse changed = client.next();
    assertThat(versions(changed)).containsOnlyKeys(V2);
    assertThat(changed.getRemovedResourcesList()).isEmpty();
    client.ack(changed);

    // Removing subset v2 removes its cluster.
    istiod.apply(
        Meshes.GREETER.replace(
            "  - name: v2\n    labels: {version: v2}\n    trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n",
            ""));
    istiod.push();
    DeltaDiscoveryResponse removed = client.next();
    assertThat(removed.getResourcesList()).isEmpty();
    assertThat(removed.getRemovedResourcesList()).containsExactly(V2);
  }

  @Test
  void reconnectWithInitialVersionsGetsOnlyTheDifference() throws Exception {
    client.subscribe(TypeUrls.CLUSTER);
    Map<String, String> held = versions(client.next());

    // The client reconnects holding everything, one cluster at a stale version and one unknown.
    FakeIstiod.DeltaClient again = istiod.connectDelta(Meshes.grpcNode());
    again.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.CLUSTER)
            .putInitialResourceVersions(DEFAULT, held.get(DEFAULT))
            .putInitialResourceVersions(V1, "stale")
            .putInitialResourceVersions("outbound|1||gone.example", "x"));
    DeltaDiscoveryResponse r = again.next();
    assertThat(versions(r)).containsOnlyKeys(V1, V2);
    assertThat(r.getRemovedResourcesList()).containsExactly("outbound|1||gone.example");
  }

  @Test
  void missingSubscribedNameIsReportedRemovedThenSentWhenItAppears() throws Exception {
    String name = "outbound|9080||ratings.default.svc.cluster.local";
    client.subscribe(TypeUrls.CLUSTER, name);
    DeltaDiscoveryResponse absent = client.next();
    assertThat(absent.getResourcesList()).isEmpty();
    assertThat(absent.getRemovedResourcesList()).containsExactly(name);
    client.ack(absent);
    istiod.push();
    client.expectNothing(300); // absence is said once

    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings, namespace: default}
        spec:
          hosts: [ratings.default.svc.cluster.local]
          resolution: STATIC
          ports: [{name: grpc, number: 9080}]
          endpoints: [{address: 10.0.1.1}]
        """);
    istiod.push();
    assertThat(versions(client.next())).containsOnlyKeys(name);
  }

  @Test
  void unsubscribedResourcesAreNotPushed() throws Exception {
    client.subscribe(TypeUrls.ENDPOINT, V1);
    client.ack(client.next());
    client.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.ENDPOINT)
            .addResourceNamesUnsubscribe(V1));
    client.expectNothing(200);
    istiod.apply(Meshes.GREETER.replace("10.0.0.2", "10.0.0.9"));
    istiod.push();
    client.expectNothing(300);
  }

  @Test
  void resubscribingForcesAResendEvenWithAStaleNonce() throws Exception {
    client.subscribe(TypeUrls.ENDPOINT, V1);
    DeltaDiscoveryResponse first = client.next();
    client.ack(first);
    client.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.ENDPOINT)
            .addResourceNamesUnsubscribe(V1));
    client.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.ENDPOINT)
            .setResponseNonce("not-the-latest")
            .addResourceNamesSubscribe(V1));
    DeltaDiscoveryResponse again = client.next();
    assertThat(versions(again)).isEqualTo(versions(first));
    assertThat(istiod.counter("pilot_xds_expired_nonce", "eds")).isEqualTo(1);
  }

  @Test
  void nackIsCounted() throws Exception {
    client.subscribe(TypeUrls.CLUSTER);
    DeltaDiscoveryResponse r = client.next();
    client.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.CLUSTER)
            .setResponseNonce(r.getNonce())
            .setErrorDetail(Status.newBuilder().setMessage("no")));
    client.expectNothing(200);
    assertThat(istiod.counter("pilot_total_xds_rejects", "cds")).isEqualTo(1);
  }

  @Test
  void onlyTheEndpointsOfResentClustersAreResent() throws Exception {
    client.subscribe(TypeUrls.CLUSTER);
    client.ack(client.next());
    client.subscribe(TypeUrls.ENDPOINT, DEFAULT, V1, V2);
    DeltaDiscoveryResponse endpoints = client.next();
    assertThat(versions(endpoints)).containsOnlyKeys(DEFAULT, V1, V2);
    client.ack(endpoints);

    // Only the v2 cluster changes: Envoy warms it on its load assignment, which goes out again
    // although unchanged; the other two clusters were not touched, nor are their endpoints.
    istiod.apply(Meshes.GREETER.replace("LEAST_REQUEST", "ROUND_ROBIN"));
    istiod.push();
    DeltaDiscoveryResponse clusters = client.next();
    assertThat(clusters.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(versions(clusters)).containsOnlyKeys(V2);
    client.ack(clusters);
    DeltaDiscoveryResponse warmed = client.next();
    assertThat(warmed.getTypeUrl()).isEqualTo(TypeUrls.ENDPOINT);
    assertThat(versions(warmed)).containsOnlyKeys(V2);
    assertThat(versions(warmed).get(V2)).isEqualTo(versions(endpoints).get(V2));
    client.ack(warmed);
    client.expectNothing(300);
  }
}
