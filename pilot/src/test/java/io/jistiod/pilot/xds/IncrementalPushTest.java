package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.file.FileConfigSource;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.validation.NetworkingValidators;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.testing.FakeIstiod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Incremental pushes: only the proxies and types a change can affect are regenerated and sent. */
class IncrementalPushTest {
  private static final String A = "a.a.svc.cluster.local";
  private static final String B = "b.b.svc.cluster.local";
  private static final String CLA_A = "outbound|80||" + A;
  private static final String CLA_B = "outbound|80||" + B;

  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  static String serviceEntry(String name, String ns, String address) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: [%s.%s.svc.cluster.local]
          resolution: STATIC
          ports: [{name: http, number: 80, protocol: HTTP}]
          endpoints: [{address: %s}]
        """
        .formatted(name, ns, name, ns, address);
  }

  static String virtualService(String name, String ns, String host, String timeout, String extra) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %s, namespace: %s}
        spec:
          hosts: [%s]
          %s
          http: [{route: [{destination: {host: %s}}], timeout: %s}]
        """
        .formatted(name, ns, host, extra, host, timeout);
  }

  static Node sidecar(String ns, String ip) {
    return Node.newBuilder()
        .setId("sidecar~" + ip + "~client." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build()))
        .build();
  }

  static Node gateway(String ns, String ip) {
    return Node.newBuilder()
        .setId("router~" + ip + "~gw." + ns + "~" + ns + ".svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build()))
        .build();
  }

  /** Subscribes to the four Envoy types and drains the first answers. */
  private static FakeIstiod.AdsClient subscribeAll(FakeIstiod.AdsClient c) throws Exception {
    c.request(TypeUrls.CLUSTER);
    c.request(TypeUrls.ENDPOINT, CLA_A, CLA_B);
    c.request(TypeUrls.LISTENER);
    c.request(TypeUrls.ROUTE, "80");
    for (int i = 0; i < 4; i++) {
      c.next();
    }
    return c;
  }

  @Test
  void aVirtualServiceChangeRegeneratesNeitherClustersNorEndpointsOfASidecar() throws Exception {
    istiod =
        new FakeIstiod(serviceEntry("a", "a", "10.1.0.1"), virtualService("a", "a", A, "1s", ""));
    FakeIstiod.AdsClient client = subscribeAll(istiod.connect(sidecar("a", "10.9.0.1")));
    istiod.resetCounts();

    istiod.apply(virtualService("a", "a", A, "2s", ""));
    PushRequest r = istiod.pushChanges();
    istiod.awaitPushes();

    assertThat(r.configsUpdated()).containsExactly(ConfigKey.of(Kind.VIRTUAL_SERVICE, "a", "a"));
    assertThat(istiod.generated(TypeUrls.CLUSTER)).isZero();
    assertThat(istiod.generated(TypeUrls.ENDPOINT)).isZero();
    assertThat(istiod.generated(TypeUrls.ROUTE)).isEqualTo(1);
    DiscoveryResponse routes = client.next();
    assertThat(routes.getTypeUrl()).isEqualTo(TypeUrls.ROUTE);
    client.expectNothing(200);
  }

  @Test
  void aVirtualServiceChangeRegeneratesTheClustersOfASidecarScopedBySidecarResource()
      throws Exception {
    String sidecarResource =
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: a}
        spec:
          egress: [{hosts: ["./*"]}]
        """;
    istiod =
        new FakeIstiod(
            sidecarResource,
            serviceEntry("a", "a", "10.1.0.1"),
            serviceEntry("b", "b", "10.2.0.1"),
            virtualService("a", "a", A, "1s", ""));
    FakeIstiod.AdsClient client = subscribeAll(istiod.connect(sidecar("a", "10.9.0.1")));
    istiod.resetCounts();

    // the VirtualService of a's host now routes to b, which the Sidecar does not import itself:
    // istiod's scope takes it as the VirtualService's destination, so a cluster for it appears
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a, namespace: a}
        spec:
          hosts: [%s]
          http: [{route: [{destination: {host: %s}}]}]
        """
            .formatted(A, B));
    istiod.pushChanges();
    istiod.awaitPushes();

    assertThat(istiod.generated(TypeUrls.CLUSTER)).isEqualTo(1);
    DiscoveryResponse clusters = client.next();
    assertThat(clusters.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(clusters.getResourcesList())
        .extracting(r -> r.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName())
        .contains(CLA_A, CLA_B);
  }

  @Test
  void aChangeInANamespaceTheProxyCannotSeeDoesNotPushIt() throws Exception {
    istiod =
        new FakeIstiod(
            serviceEntry("a", "a", "10.1.0.1"),
            serviceEntry("b", "b", "10.2.0.1"),
            virtualService("b", "b", B, "1s", "exportTo: [.]"));
    FakeIstiod.AdsClient inA = subscribeAll(istiod.connect(sidecar("a", "10.9.0.1")));
    FakeIstiod.AdsClient inB = subscribeAll(istiod.connect(sidecar("b", "10.9.0.2")));
    istiod.resetCounts();

    // a VirtualService exported only to its own namespace b
    istiod.apply(virtualService("b", "b", B, "3s", "exportTo: [.]"));
    istiod.pushChanges();
    istiod.awaitPushes();
    assertThat(inB.next().getTypeUrl()).isEqualTo(TypeUrls.ROUTE);
    assertThat(istiod.generated(TypeUrls.ROUTE)).isEqualTo(1); // b's proxy only
    inA.expectNothing(200);

    // a Sidecar in namespace b: not the proxy in a's
    istiod.resetCounts();
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: b}
        spec:
          egress: [{hosts: ["./*"]}]
        """);
    istiod.pushChanges();
    istiod.awaitPushes();
    inA.expectNothing(200);
    assertThat(istiod.generated.values().stream().mapToInt(n -> n.get()).sum())
        .as("only b's proxy regenerated")
        .isBetween(1, 4);
  }

  @Test
  void anEndpointChangeInAConfigFolderIsAnEdsOnlyPush(@TempDir Path dir) throws Exception {
    istiod = new FakeIstiod();
    FileConfigSource files =
        new FileConfigSource(
            dir,
            new ConfigParser(IstioKinds.ALL, "default"),
            NetworkingValidators.forKinds(),
            istiod.store);
    Path file = dir.resolve("mesh.yaml");
    Files.writeString(
        file, serviceEntry("a", "a", "10.1.0.1") + "---\n" + serviceEntry("b", "b", "10.2.0.1"));
    files.rescan();
    assertThat(istiod.pushChanges().full()).isTrue();
    FakeIstiod.AdsClient client = subscribeAll(istiod.connect(sidecar("a", "10.9.0.1")));
    istiod.resetCounts();

    Files.writeString(
        file, serviceEntry("a", "a", "10.1.0.7") + "---\n" + serviceEntry("b", "b", "10.2.0.1"));
    files.rescan();
    PushRequest r = istiod.pushChanges();
    istiod.awaitPushes();

    assertThat(r.full()).isFalse();
    assertThat(r.configsUpdated()).containsExactly(ConfigKey.service(A, "a"));
    assertThat(r.reasons()).containsOnlyKeys("endpoint");
    DiscoveryResponse eds = client.next();
    assertThat(eds.getTypeUrl()).isEqualTo(TypeUrls.ENDPOINT);
    // a partial state-of-the-world EDS response, as istiod's: the changed service's CLA only
    assertThat(eds.getResourcesList())
        .extracting(a -> a.unpack(ClusterLoadAssignment.class).getClusterName())
        .containsExactly(CLA_A);
    client.expectNothing(200);
    assertThat(istiod.generated).containsOnlyKeys(TypeUrls.ENDPOINT);
    assertThat(istiod.discovery.current().endpoints(A))
        .extracting(e -> e.address())
        .containsExactly("10.1.0.7");
  }

  @Test
  void aSotwStreamGetsThePartialEdsOfTheChangedServiceAndLaterResponsesStayConsistent()
      throws Exception {
    istiod = new FakeIstiod(serviceEntry("a", "a", "10.1.0.1"), serviceEntry("b", "b", "10.2.0.1"));
    FakeIstiod.AdsClient client = istiod.connect(sidecar("a", "10.9.0.1"));
    client.request(TypeUrls.ENDPOINT, CLA_A, CLA_B);
    DiscoveryResponse first = client.next();
    assertThat(first.getResourcesCount()).isEqualTo(2);
    client.ack(first, CLA_A, CLA_B);

    istiod.apply(serviceEntry("b", "b", "10.2.0.9"));
    assertThat(istiod.pushChanges().full()).isFalse();
    istiod.awaitPushes();
    DiscoveryResponse partial = client.next();
    ClusterLoadAssignment b = partial.getResources(0).unpack(ClusterLoadAssignment.class);
    assertThat(partial.getResourcesCount()).isEqualTo(1);
    assertThat(b.getClusterName()).isEqualTo(CLA_B);
    assertThat(b.getEndpoints(0).getLbEndpoints(0).getEndpoint().getAddress().getSocketAddress())
        .extracting(sa -> sa.getAddress())
        .isEqualTo("10.2.0.9");
    assertThat(partial.getVersionInfo()).isNotEqualTo(first.getVersionInfo());
    client.ack(partial, CLA_A, CLA_B);

    // the same endpoints again: nothing to send
    istiod.apply(serviceEntry("b", "b", "10.2.0.9"));
    istiod.pushChanges();
    istiod.awaitPushes();
    client.expectNothing(200);

    // a new subscription is answered with the added assignment alone, also a partial response
    String c = "outbound|80||c.c.svc.cluster.local";
    client.ack(partial, CLA_A, CLA_B, c);
    DiscoveryResponse added = client.next();
    assertThat(added.getResourcesList())
        .extracting(a -> a.unpack(ClusterLoadAssignment.class).getClusterName())
        .containsExactly(c);
    client.ack(added, CLA_A, CLA_B, c);

    // a push that changes nothing the client holds sends nothing: the versions of all three are
    // known, although no response carried them all
    istiod.apply(serviceEntry("a", "a", "10.1.0.1"));
    istiod.pushChanges();
    istiod.awaitPushes();
    client.expectNothing(200);

    // dropped and subscribed again: answered again
    client.ack(added, CLA_A, c);
    client.expectNothing(200);
    client.ack(added, CLA_A, CLA_B, c);
    assertThat(client.next().getResourcesList())
        .extracting(a -> a.unpack(ClusterLoadAssignment.class).getClusterName())
        .containsExactly(CLA_B);
  }

  @Test
  void aDeltaSubscriptionBuildsAndSendsOnlyTheNamesItAdds() throws Exception {
    istiod = new FakeIstiod(serviceEntry("a", "a", "10.1.0.1"), serviceEntry("b", "b", "10.2.0.1"));
    FakeIstiod.DeltaClient client = istiod.connectDelta(sidecar("a", "10.9.0.1"));
    client.subscribe(TypeUrls.ENDPOINT, CLA_A);
    client.ack(client.next());

    client.subscribe(TypeUrls.ENDPOINT, CLA_B);
    DeltaDiscoveryResponse added = client.next();
    assertThat(added.getResourcesList()).extracting(Resource::getName).containsExactly(CLA_B);
    assertThat(istiod.lastAsked.get(TypeUrls.ENDPOINT)).containsExactly(CLA_B);
    client.ack(added);
    client.expectNothing(200);
  }

  @Test
  void aDeltaStreamReceivesOnlyTheChangedLoadAssignment() throws Exception {
    istiod = new FakeIstiod(serviceEntry("a", "a", "10.1.0.1"), serviceEntry("b", "b", "10.2.0.1"));
    FakeIstiod.DeltaClient client = istiod.connectDelta(sidecar("a", "10.9.0.1"));
    client.subscribe(TypeUrls.ENDPOINT, CLA_A, CLA_B);
    DeltaDiscoveryResponse first = client.next();
    assertThat(first.getResourcesList()).extracting(Resource::getName).hasSize(2);
    client.ack(first);

    istiod.apply(serviceEntry("a", "a", "10.1.0.9"));
    PushRequest r = istiod.pushChanges();
    istiod.awaitPushes();

    assertThat(r.full()).isFalse();
    DeltaDiscoveryResponse changed = client.next();
    assertThat(changed.getResourcesList()).extracting(Resource::getName).containsExactly(CLA_A);
    assertThat(changed.getRemovedResourcesList()).isEmpty();
    client.expectNothing(200);
  }

  @Test
  void aSecretChangeSendsOnlySdsToTheGatewaysWatchingIt() throws Exception {
    Map<String, CredentialSource.SecretData> secrets = new ConcurrentHashMap<>();
    secrets.put("gw/cred", secret("gw", "cred", "one"));
    secrets.put("gw/other", secret("gw", "other", "one"));
    istiod =
        new FakeIstiod(
            (ns, name) -> java.util.Optional.ofNullable(secrets.get(ns + "/" + name)),
            serviceEntry("a", "a", "10.1.0.1"));
    FakeIstiod.AdsClient watching = istiod.connect(gateway("gw", "10.8.0.1"));
    FakeIstiod.AdsClient other = istiod.connect(gateway("gw", "10.8.0.2"));
    for (var c : new FakeIstiod.AdsClient[] {watching, other}) {
      c.request(TypeUrls.CLUSTER);
      c.request(TypeUrls.LISTENER);
      c.next();
      c.next();
    }
    watching.request(TypeUrls.SECRET, "kubernetes://cred");
    other.request(TypeUrls.SECRET, "kubernetes://other");
    watching.next();
    other.next();
    istiod.resetCounts();

    secrets.put("gw/cred", secret("gw", "cred", "two"));
    istiod.push(
        PushRequest.incremental(
            "secret", Set.of(ConfigKey.of(Kind.SECRET, "gw", "cred")), System.nanoTime()));
    istiod.awaitPushes();

    DiscoveryResponse sds = watching.next();
    assertThat(sds.getTypeUrl()).isEqualTo(TypeUrls.SECRET);
    watching.expectNothing(200);
    other.expectNothing(100);
    assertThat(istiod.generated).containsOnlyKeys(TypeUrls.SECRET);
    assertThat(istiod.generated(TypeUrls.SECRET)).isEqualTo(1);
  }

  private static CredentialSource.SecretData secret(String ns, String name, String value) {
    return new CredentialSource.SecretData(
        ns,
        name,
        "kubernetes.io/tls",
        Map.of(
            "tls.crt", ByteString.copyFromUtf8("cert-" + value),
            "tls.key", ByteString.copyFromUtf8("key-" + value)));
  }
}
