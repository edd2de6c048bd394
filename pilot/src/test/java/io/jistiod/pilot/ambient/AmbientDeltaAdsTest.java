package io.jistiod.pilot.ambient;

import static io.jistiod.pilot.ambient.AmbientObjects.ambientPod;
import static io.jistiod.pilot.ambient.AmbientObjects.svc;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.fabric8.kubernetes.api.model.Pod;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.xds.AdsService;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** ztunnel's delta ADS stream of {@code istio.workload.Address}: everything, then only changes. */
class AmbientDeltaAdsTest {
  private static final String P1 = "Kubernetes//Pod/shop/productpage-x7k2p";
  private static final String P2 = "Kubernetes//Pod/shop/productpage-m3n4b";
  private static final String SVC = "shop/productpage.shop.svc.cluster.local";

  /** What the registry holds; tests replace it, then push as the informers would. */
  private volatile AmbientInputs inputs = AmbientInputs.EMPTY;

  private DiscoveryServer discovery;
  private Server server;
  private ManagedChannel channel;

  private final MemoryConfigStore store = new MemoryConfigStore();

  private void start(boolean ambient) throws Exception {
    store.markSynced();
    PushContextBuilder contexts = new PushContextBuilder(store, List.of(), "cluster.local");
    GeneratorRegistry generators = new GeneratorRegistry();
    if (ambient) {
      contexts.ambient(() -> inputs, new AmbientSettings("Kubernetes", "cluster.local"));
      generators.register(TypeUrls.ADDRESS, new AddressGenerator());
      generators.register(TypeUrls.AUTHORIZATION, new AuthorizationGenerator());
    }
    discovery =
        new DiscoveryServer(
            generators, contexts, new XdsMetrics(new SimpleMeterRegistry(), "test"), 1);
    discovery.serveZtunnel(ambient);
    discovery.start(System.nanoTime());
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(new AdsService(discovery))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  @AfterEach
  void stop() {
    if (channel != null) {
      channel.shutdownNow();
      server.shutdownNow();
      discovery.close();
    }
  }

  /** The node ztunnel sends: type ztunnel, its pod IP and name, metadata of its own. */
  static Node ztunnelNode() {
    return Node.newBuilder()
        .setId("ztunnel~10.1.0.100~ztunnel-abcde.istio-system~istio-system.svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue("istio-system").build())
                .putFields("NODE_NAME", Value.newBuilder().setStringValue("node-1").build())
                .putFields("CLUSTER_ID", Value.newBuilder().setStringValue("Kubernetes").build()))
        .build();
  }

  private FakeIstiod.DeltaClient connect() {
    return new FakeIstiod.DeltaClient(
        AggregatedDiscoveryServiceGrpc.newStub(channel), ztunnelNode());
  }

  private void change(AmbientInputs next, Kind kind) {
    inputs = next;
    discovery.push(PushRequest.full("proxy", ConfigKey.of(kind, "shop", "x"), System.nanoTime()));
  }

  private static Set<String> names(DeltaDiscoveryResponse r) {
    return r.getResourcesList().stream().map(Resource::getName).collect(Collectors.toSet());
  }

  @Test
  void ztunnelGetsEveryAddressThenOnlyWhatChangedAndWhatWentAway() throws Exception {
    Pod p1 = ambientPod("shop", "productpage-x7k2p", "10.1.0.7");
    Pod p2 = ambientPod("shop", "productpage-m3n4b", "10.1.0.8");
    var s = svc("shop", "productpage", "productpage", "10.96.0.10");
    inputs = new AmbientInputs(List.of(p1, p2), List.of(s), List.of());
    start(true);
    FakeIstiod.DeltaClient z = connect();
    z.subscribe(TypeUrls.ADDRESS); // wildcard, as ztunnel subscribes

    DeltaDiscoveryResponse first = z.next();
    assertThat(names(first)).containsExactlyInAnyOrder(P1, P2, SVC);
    assertThat(first.getResources(0).getResource().getTypeUrl()).isEqualTo(TypeUrls.ADDRESS);
    assertThat(
            first.getResourcesList().stream()
                .filter(r -> r.getName().equals(P1))
                .findFirst()
                .orElseThrow()
                .getResource()
                .unpack(Address.class)
                .getWorkload()
                .getName())
        .isEqualTo("productpage-x7k2p");
    z.ack(first);

    // a change elsewhere sends nothing
    change(inputs, Kind.POD);
    z.expectNothing(300);

    // p2 gets a new IP: only p2 is sent
    Pod p2moved = ambientPod("shop", "productpage-m3n4b", "10.1.0.9");
    change(new AmbientInputs(List.of(p1, p2moved), List.of(s), List.of()), Kind.POD);
    DeltaDiscoveryResponse moved = z.next();
    assertThat(names(moved)).containsExactly(P2);
    assertThat(moved.getRemovedResourcesList()).isEmpty();
    z.ack(moved);

    // p1 goes, and the service with it: both named as removed; p2 loses its service
    change(new AmbientInputs(List.of(p2moved), List.of(), List.of()), Kind.SERVICE_ENTRY);
    DeltaDiscoveryResponse gone = z.next();
    assertThat(gone.getRemovedResourcesList()).containsExactlyInAnyOrder(P1, SVC);
    assertThat(names(gone)).containsExactly(P2);
  }

  @Test
  void onDemandZtunnelGetsWhatItsNamesLookUpTo() throws Exception {
    inputs =
        new AmbientInputs(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")),
            List.of(svc("shop", "productpage", "productpage", "10.96.0.10")),
            List.of());
    start(true);
    FakeIstiod.DeltaClient z = connect();
    z.subscribe(TypeUrls.ADDRESS, P1);
    DeltaDiscoveryResponse r = z.next();
    assertThat(names(r)).containsExactly(P1);
    assertThat(r.getResources(0).getAliasesList()).containsExactly("/10.1.0.7");
    assertThat(r.getRemovedResourcesList()).isEmpty();
    z.ack(r);

    // the service's VIP: the service and its workload, the VIP being their alias, not missing
    z.subscribe(TypeUrls.ADDRESS, "/10.96.0.10");
    DeltaDiscoveryResponse vip = z.next();
    assertThat(names(vip)).containsExactly(SVC);
    assertThat(vip.getResources(0).getAliasesList()).containsExactly("/10.96.0.10");
    assertThat(vip.getRemovedResourcesList()).isEmpty();
    z.ack(vip);

    // an unknown IP is said not to exist
    z.subscribe(TypeUrls.ADDRESS, "/10.9.9.9");
    assertThat(z.next().getRemovedResourcesList()).containsExactly("/10.9.9.9");

    // what the VIP brought in is now subscribed: a second workload of the service is pushed
    inputs =
        new AmbientInputs(
            List.of(
                ambientPod("shop", "productpage-x7k2p", "10.1.0.7"),
                ambientPod("shop", "productpage-m3n4b", "10.1.0.8")),
            inputs.services(),
            List.of());
    discovery.push(
        PushRequest.full("proxy", ConfigKey.of(Kind.POD, "shop", "x"), System.nanoTime()));
    DeltaDiscoveryResponse pushed = z.next();
    assertThat(names(pushed)).containsExactly(P2);
  }

  @Test
  void policiesGoToZtunnelAndIntoTheWorkloadsTheySelect() throws Exception {
    var parsed =
        new io.jistiod.galley.parse.ConfigParser(io.jistiod.galley.config.IstioKinds.ALL, "default")
            .parse(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-shop, namespace: shop}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  rules: [{from: [{source: {namespaces: [shop]}}]}]
                """,
                "test");
    parsed.configs().forEach(store::put);
    inputs =
        new AmbientInputs(
            List.of(ambientPod("shop", "productpage-x7k2p", "10.1.0.7")), List.of(), List.of());
    start(true);
    FakeIstiod.DeltaClient z = connect();
    z.subscribe(TypeUrls.ADDRESS);
    DeltaDiscoveryResponse addresses = z.next();
    assertThat(
            addresses
                .getResources(0)
                .getResource()
                .unpack(Address.class)
                .getWorkload()
                .getAuthorizationPoliciesList())
        .containsExactly("shop/allow-shop");
    z.ack(addresses);
    z.subscribe(TypeUrls.AUTHORIZATION);
    DeltaDiscoveryResponse policies = z.next();
    assertThat(names(policies)).containsExactly("shop/allow-shop");
    assertThat(policies.getResources(0).getResource().getTypeUrl())
        .isEqualTo(TypeUrls.AUTHORIZATION);
    z.ack(policies);

    // the policy goes: removed from ztunnel, and from the workload's list
    store.delete(parsed.configs().get(0).key());
    discovery.push(
        PushRequest.full(
            "config",
            ConfigKey.of(Kind.AUTHORIZATION_POLICY, "shop", "allow-shop"),
            System.nanoTime()));
    List<DeltaDiscoveryResponse> both = List.of(z.next(), z.next());
    DeltaDiscoveryResponse a =
        both.stream()
            .filter(r -> r.getTypeUrl().equals(TypeUrls.ADDRESS))
            .findFirst()
            .orElseThrow();
    DeltaDiscoveryResponse p =
        both.stream()
            .filter(r -> r.getTypeUrl().equals(TypeUrls.AUTHORIZATION))
            .findFirst()
            .orElseThrow();
    assertThat(
            a.getResources(0)
                .getResource()
                .unpack(Address.class)
                .getWorkload()
                .getAuthorizationPoliciesList())
        .isEmpty();
    assertThat(p.getRemovedResourcesList()).containsExactly("shop/allow-shop");
  }

  @Test
  void withoutAmbientAZtunnelIsRefusedAsIstiodRefusesIt() throws Exception {
    start(false);
    FakeIstiod.DeltaClient z = connect();
    z.subscribe(TypeUrls.ADDRESS);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (z.error == null && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(Status.fromThrowable(z.error).getDescription())
        .isEqualTo("ztunnel requires PILOT_ENABLE_AMBIENT=true");
    assertThat(new ArrayList<>(z.responses)).isEmpty();
  }
}
