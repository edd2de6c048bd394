package io.jistiod.pilot.serviceentry;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigEvent;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.push.ConfigKey;
import io.jistiod.pilot.push.Kind;
import io.jistiod.pilot.push.PushRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Which ServiceEntry and WorkloadEntry changes are endpoints-only, as istiod's controller. */
class ConfigChangePushesTest {
  private static final String HOST = "api.shop.svc.cluster.local";
  private final MemoryConfigStore store = new MemoryConfigStore();
  private final ConfigChangePushes pushes = new ConfigChangePushes(store);
  private final List<ConfigEvent> events = new ArrayList<>();

  ConfigChangePushesTest() {
    store.addHandler(events::add);
  }

  private Optional<PushRequest> apply(String yaml) {
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    events.clear();
    for (Config c : r.configs()) {
      store.put(c);
    }
    assertThat(events).hasSize(1);
    return pushes.pushFor(events.get(0), 0);
  }

  private static String serviceEntry(String resolution, String endpoint, int targetPort) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: api, namespace: shop}
        spec:
          hosts: [%s]
          resolution: %s
          ports: [{name: http, number: 80, protocol: HTTP, targetPort: %d}]
          workloadSelector: {labels: {app: api}}
          endpoints: [{address: %s}]
        """
        .formatted(HOST, resolution, targetPort, endpoint);
  }

  private static String workloadEntry(String app, String address) {
    return """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata: {name: vm1, namespace: shop}
        spec: {address: %s, labels: {app: %s}}
        """
        .formatted(address, app);
  }

  @Test
  void aServiceEntryWhoseEndpointsAloneChangeIsEndpointsOnly() {
    assertThat(apply(serviceEntry("STATIC", "10.0.0.1", 8080)).orElseThrow().full()).isTrue();
    PushRequest r = apply(serviceEntry("STATIC", "10.0.0.2", 8080)).orElseThrow();
    assertThat(r.full()).isFalse();
    assertThat(r.configsUpdated()).containsExactly(ConfigKey.service(HOST, "shop"));
    assertThat(r.reasons()).containsOnlyKeys("endpoint");
  }

  @Test
  void aChangedTargetPortOrADnsEntryIsAFullPush() {
    apply(serviceEntry("STATIC", "10.0.0.1", 8080));
    assertThat(apply(serviceEntry("STATIC", "10.0.0.1", 9090)).orElseThrow().full()).isTrue();
    apply(serviceEntry("DNS", "a.example.com", 9090));
    PushRequest dns = apply(serviceEntry("DNS", "b.example.com", 9090)).orElseThrow();
    assertThat(dns.full()).isTrue();
    assertThat(dns.configsUpdated()).containsExactly(ConfigKey.service(HOST, "shop"));
  }

  @Test
  void aWorkloadEntryOfAStaticEntryIsEndpointsOnlyAndOfADnsEntryFull() {
    apply(serviceEntry("STATIC", "10.0.0.1", 8080));
    PushRequest added = apply(workloadEntry("api", "10.1.0.1")).orElseThrow();
    assertThat(added.full()).isFalse();
    assertThat(added.configsUpdated()).containsExactly(ConfigKey.service(HOST, "shop"));
    // relabelled away from the entry: its old service loses an endpoint, still endpoints-only
    PushRequest left = apply(workloadEntry("other", "10.1.0.1")).orElseThrow();
    assertThat(left.full()).isFalse();
    assertThat(left.configsUpdated()).containsExactly(ConfigKey.service(HOST, "shop"));
    // selected by nothing, before or after: no push at all
    assertThat(apply(workloadEntry("nobody", "10.1.0.1"))).isEmpty();

    apply(serviceEntry("DNS", "a.example.com", 8080));
    assertThat(apply(workloadEntry("api", "10.1.0.2")).orElseThrow().full()).isTrue();
  }

  @Test
  void aWorkloadEntryAKubernetesServiceSelectsMovesThatServicesEndpoints() {
    ConfigChangePushes withKube =
        new ConfigChangePushes(
            store,
            (ns, labels) ->
                ns.equals("shop") && "vm".equals(labels.get("app"))
                    ? java.util.Set.of("vm.shop.svc.cluster.local")
                    : java.util.Set.of());
    ParseResult r =
        new ConfigParser(IstioKinds.ALL, "default").parse(workloadEntry("vm", "10.1.0.1"), "t");
    events.clear();
    r.configs().forEach(store::put);
    PushRequest added = withKube.pushFor(events.get(0), 0).orElseThrow();
    assertThat(added.full()).isFalse();
    assertThat(added.configsUpdated())
        .containsExactly(ConfigKey.service("vm.shop.svc.cluster.local", "shop"));
    // without the Kubernetes side nothing selects it
    assertThat(pushes.pushFor(events.get(0), 0)).isEmpty();
  }

  @Test
  void otherKindsAreFullPushesKeyedByTheirIstioKind() {
    PushRequest r =
        apply(
                """
                apiVersion: networking.istio.io/v1
                kind: VirtualService
                metadata: {name: api, namespace: shop}
                spec: {hosts: [api], http: [{route: [{destination: {host: api}}]}]}
                """)
            .orElseThrow();
    assertThat(r.full()).isTrue();
    assertThat(r.configsUpdated())
        .containsExactly(ConfigKey.of(Kind.VIRTUAL_SERVICE, "shop", "api"));
    assertThat(r.reasons()).containsOnlyKeys("config");
  }

  @Test
  void aGatewayApiGatewayIsNotTakenForAnIstioGateway() {
    var parser =
        new ConfigParser(io.jistiod.galley.config.GatewayApiKinds.withIstioKinds(true, true), "d");
    ParseResult r =
        parser.parse(
            """
            apiVersion: gateway.networking.k8s.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: shop}
            spec: {gatewayClassName: istio, listeners: [{name: http, port: 80, protocol: HTTP}]}
            ---
            apiVersion: networking.istio.io/v1
            kind: Gateway
            metadata: {name: gw, namespace: shop}
            spec: {servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}
            """,
            "test");
    assertThat(r.errors()).isEmpty();
    for (Config c : r.configs()) {
      store.put(c);
    }
    assertThat(events).hasSize(2);
    assertThat(pushes.pushFor(events.get(0), 0).orElseThrow().kinds())
        .containsExactly(Kind.UNKNOWN);
    assertThat(pushes.pushFor(events.get(1), 0).orElseThrow().kinds())
        .containsExactly(Kind.GATEWAY);
  }
}
