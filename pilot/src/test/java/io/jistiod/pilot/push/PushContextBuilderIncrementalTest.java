package io.jistiod.pilot.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceDiscovery;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The push context is updated for what changed, not rebuilt. */
class PushContextBuilderIncrementalTest {
  private static final String A = "a.shop.svc.cluster.local";
  private static final String B = "b.shop.svc.cluster.local";

  private final MemoryConfigStore store = new MemoryConfigStore();
  private final List<String> calls = new ArrayList<>();

  /** The ServiceEntry registry, every call recorded. */
  private final ServiceDiscovery registry =
      new ServiceDiscovery() {
        final ServiceEntryRegistry delegate = new ServiceEntryRegistry(store);

        @Override
        public List<Service> services() {
          calls.add("services");
          return delegate.services();
        }

        @Override
        public List<Endpoint> endpoints() {
          calls.add("endpoints");
          return delegate.endpoints();
        }

        @Override
        public List<Endpoint> endpoints(Set<String> hostnames) {
          calls.add("endpoints" + hostnames);
          return delegate.endpoints(hostnames);
        }
      };

  private final PushContextBuilder builder =
      new PushContextBuilder(store, List.of(registry), "cluster.local");

  private void apply(String yaml) {
    for (Config c : new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "t").configs()) {
      store.put(c);
    }
  }

  private static String serviceEntry(String name, String address) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: shop}
        spec:
          hosts: [%s.shop.svc.cluster.local]
          resolution: STATIC
          ports: [{name: http, number: 80, protocol: HTTP}]
          endpoints: [{address: %s}]
        ---
        """
        .formatted(name, name, address);
  }

  private static String virtualService(String timeout) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: a, namespace: shop}
        spec: {hosts: [a], http: [{route: [{destination: {host: a}}], timeout: %s}]}
        """
        .formatted(timeout);
  }

  @Test
  void aVirtualServiceChangeReusesServicesEndpointsAndDestinationRules() {
    apply(serviceEntry("a", "10.0.0.1") + serviceEntry("b", "10.0.0.2") + virtualService("1s"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    calls.clear();

    apply(virtualService("2s"));
    PushContext next =
        builder.build(
            first, PushRequest.full("config", ConfigKey.of(Kind.VIRTUAL_SERVICE, "shop", "a"), 0));

    assertThat(calls).isEmpty(); // no registry was asked for anything
    assertThat(next).isNotSameAs(first);
    assertThat(next.version()).isNotEqualTo(first.version());
    assertThat(next.servicesByHost()).isSameAs(first.servicesByHost());
    assertThat(next.endpointsByHost()).isSameAs(first.endpointsByHost());
    assertThat(next.destinationRules()).isSameAs(first.destinationRules());
    assertThat(
            next.pushIndex()
                .virtualServices()
                .all()
                .get(0)
                .spec()
                .getHttp(0)
                .getTimeout()
                .getSeconds())
        .isEqualTo(2);
  }

  @Test
  void aTelemetryChangeRereadsTheTelemetriesAndOtherChangesKeepThem() {
    String telemetry =
        """
        apiVersion: telemetry.istio.io/v1
        kind: Telemetry
        metadata: {name: logs, namespace: shop}
        spec:
          accessLogging: [{providers: [{name: %s}]}]
        """;
    apply(
        serviceEntry("a", "10.0.0.1") + virtualService("1s") + "---\n" + telemetry.formatted("a"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    assertThat(first.telemetries()).extracting(Config::name).containsExactly("logs");

    apply(virtualService("2s"));
    PushContext vs =
        builder.build(
            first, PushRequest.full("config", ConfigKey.of(Kind.VIRTUAL_SERVICE, "shop", "a"), 0));
    assertThat(vs.telemetries()).isSameAs(first.telemetries());

    apply(telemetry.formatted("b"));
    PushContext changed =
        builder.build(
            vs, PushRequest.full("config", ConfigKey.of(Kind.TELEMETRY, "shop", "logs"), 0));
    assertThat(
            changed
                .telemetries()
                .get(0)
                .spec(io.jistiod.galley.api.telemetry.v1alpha1.Telemetry.class)
                .getAccessLogging(0)
                .getProviders(0)
                .getName())
        .isEqualTo("b");
  }

  @Test
  void anEndpointChangeRecomputesOnlyTheChangedServicesEndpoints() {
    apply(serviceEntry("a", "10.0.0.1") + serviceEntry("b", "10.0.0.2"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    calls.clear();

    apply(serviceEntry("a", "10.0.0.9"));
    PushContext next =
        builder.build(
            first, PushRequest.incremental("endpoint", Set.of(ConfigKey.service(A, "shop")), 0));

    assertThat(calls).containsExactly("endpoints[" + A + "]");
    assertThat(next.servicesByHost()).isSameAs(first.servicesByHost());
    assertThat(next.pushIndex().virtualServices()).isSameAs(first.pushIndex().virtualServices());
    assertThat(next.endpoints(A)).extracting(Endpoint::address).containsExactly("10.0.0.9");
    assertThat(next.endpointsByHost().get(B)).isSameAs(first.endpointsByHost().get(B));
  }

  @Test
  void aNewServiceRebuildsServicesButNotConfig() {
    apply(serviceEntry("a", "10.0.0.1") + virtualService("1s"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    calls.clear();

    apply(serviceEntry("b", "10.0.0.2"));
    PushContext next =
        builder.build(first, PushRequest.full("config", Set.of(ConfigKey.service(B, "shop")), 0));

    assertThat(calls).containsExactlyInAnyOrder("services", "endpoints[" + B + "]");
    assertThat(next.service(B)).isPresent();
    assertThat(next.endpoints(B)).hasSize(1);
    assertThat(next.pushIndex().virtualServices()).isSameAs(first.pushIndex().virtualServices());
  }

  @Test
  void aSecretChangeKeepsEverythingButStartsAFreshCache() {
    apply(serviceEntry("a", "10.0.0.1"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    calls.clear();
    PushContext next =
        builder.build(
            first,
            PushRequest.incremental("secret", Set.of(ConfigKey.of(Kind.SECRET, "gw", "c")), 0));
    assertThat(calls).isEmpty();
    assertThat(next.cache()).isNotSameAs(first.cache());
    assertThat(next.endpointsByHost()).isSameAs(first.endpointsByHost());
  }

  @Test
  void loadAssignmentsOfUnchangedServicesAreKeptFromThePreviousPush() throws Exception {
    apply(serviceEntry("a", "10.0.0.1") + serviceEntry("b", "10.0.0.2"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    io.jistiod.pilot.model.Proxy proxy =
        io.jistiod.pilot.model.Proxy.fromNode(
            "sidecar~10.9.0.1~p.shop~shop.svc.cluster.local",
            com.google.protobuf.Struct.getDefaultInstance(),
            io.jistiod.pilot.model.Locality.UNKNOWN);
    String clusterA = "outbound|80||" + A;
    String clusterB = "outbound|80||" + B;
    var built =
        new io.jistiod.pilot.networking.EndpointGenerator()
            .generate(proxy, first, Set.of(clusterA, clusterB));
    assertThat(built).hasSize(2);

    apply(serviceEntry("a", "10.0.0.9"));
    PushContext next =
        builder.build(
            first, PushRequest.incremental("endpoint", Set.of(ConfigKey.service(A, "shop")), 0));
    // B's assignment is the one built for the previous push; A's is not carried over
    assertThat(next.cache().get("eds", clusterB, proxy, () -> null))
        .isSameAs(first.cache().get("eds", clusterB, proxy, () -> null));
    assertThat(next.cache().get("eds", clusterA, proxy, () -> null)).isNull();

    // a DestinationRule can change every assignment: nothing is carried over
    PushContext afterRule =
        builder.build(
            next, PushRequest.full("config", ConfigKey.of(Kind.DESTINATION_RULE, "shop", "b"), 0));
    new io.jistiod.pilot.networking.EndpointGenerator().generate(proxy, next, Set.of(clusterB));
    assertThat(afterRule.cache().get("eds", clusterB, proxy, () -> null)).isNull();
  }

  @Test
  void aServiceChangeKeepsTheClustersOfEveryOtherServiceFromThePreviousPush() throws Exception {
    apply(serviceEntry("a", "10.0.0.1") + serviceEntry("b", "10.0.0.2"));
    PushContext first = builder.build(null, PushRequest.fullForAll("global", 0));
    io.jistiod.pilot.model.Proxy proxy =
        io.jistiod.pilot.model.Proxy.fromNode(
            "sidecar~10.9.0.1~p.shop~shop.svc.cluster.local",
            com.google.protobuf.Struct.getDefaultInstance(),
            io.jistiod.pilot.model.Locality.UNKNOWN);
    var clusters = new io.jistiod.pilot.envoy.cluster.EnvoyClusterGenerator();
    String clusterA = "outbound|80||" + A;
    String clusterB = "outbound|80||" + B;
    String clusterC = "outbound|80||c.shop.svc.cluster.local";
    var before = byName(clusters.generate(proxy, first, Set.of()));

    // a new service: its cluster is built, A's and B's are the previous push's
    apply(serviceEntry("c", "10.0.0.3"));
    PushContext added =
        builder.build(
            first,
            PushRequest.full(
                "config", Set.of(ConfigKey.service("c.shop.svc.cluster.local", "shop")), 0));
    var afterAdd = byName(clusters.generate(proxy, added, Set.of()));
    assertThat(afterAdd).containsKey(clusterC);
    assertThat(afterAdd.get(clusterA)).isSameAs(before.get(clusterA));
    assertThat(afterAdd.get(clusterB)).isSameAs(before.get(clusterB));

    // the edited service's cluster is rebuilt
    PushContext edited =
        builder.build(added, PushRequest.full("config", Set.of(ConfigKey.service(A, "shop")), 0));
    var afterEdit = byName(clusters.generate(proxy, edited, Set.of()));
    assertThat(afterEdit.get(clusterA)).isNotSameAs(afterAdd.get(clusterA));
    assertThat(afterEdit.get(clusterB)).isSameAs(before.get(clusterB));

    // a DestinationRule may change any cluster: nothing is carried over
    PushContext afterRule =
        builder.build(
            edited,
            PushRequest.full("config", ConfigKey.of(Kind.DESTINATION_RULE, "shop", "b"), 0));
    var afterRuleClusters = byName(clusters.generate(proxy, afterRule, Set.of()));
    assertThat(afterRuleClusters.get(clusterB)).isNotSameAs(before.get(clusterB));
  }

  private static java.util.Map<String, io.jistiod.pilot.xds.XdsResource> byName(
      List<io.jistiod.pilot.xds.XdsResource> resources) {
    java.util.Map<String, io.jistiod.pilot.xds.XdsResource> out = new java.util.HashMap<>();
    resources.forEach(r -> out.put(r.name(), r));
    return out;
  }
}
