package io.jistiod.pilot.serviceentry;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.WorkloadInstance;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ServiceEntryRegistryTest {
  private static final String ENTRY =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: legacy, namespace: shop}
      spec:
        hosts: [legacy.internal.example]
        location: MESH_INTERNAL
        resolution: STATIC
        ports:
        - {number: 80, name: http, protocol: HTTP, targetPort: 9080}
        - {number: 9300, name: tcp-admin, protocol: TCP}
        - {number: 7000, name: tcp-data, protocol: TCP, targetPort: 7001}
        workloadSelector:
          labels: {app: legacy}
      ---
      apiVersion: networking.istio.io/v1
      kind: WorkloadEntry
      metadata: {name: vm-1, namespace: shop}
      spec:
        address: 10.0.0.9
        labels: {app: legacy}
      """;

  private static WorkloadInstance pod(String name, String ip, Map<String, String> labels) {
    return new WorkloadInstance(
        new Endpoint(
            "",
            0,
            "",
            ip,
            0,
            labels,
            Locality.UNKNOWN,
            1,
            true,
            "spiffe://cluster.local/ns/shop/sa/" + name,
            "istio",
            "shop",
            name,
            true),
        Map.of("tcp-data", 17000));
  }

  private static ServiceEntryRegistry registry(WorkloadInstance.Source pods) {
    MemoryConfigStore store = new MemoryConfigStore();
    new ConfigParser(IstioKinds.ALL, "default").parse(ENTRY, "test").configs().forEach(store::put);
    store.markSynced();
    return new ServiceEntryRegistry(store, "cluster.local", pods);
  }

  @Test
  void aWorkloadSelectorAlsoSelectsPodsOfItsNamespace() {
    ServiceEntryRegistry r =
        registry(
            ns ->
                ns.equals("shop")
                    ? List.of(
                        pod("legacy-1", "10.244.0.7", Map.of("app", "legacy")),
                        pod("other-1", "10.244.0.8", Map.of("app", "other")))
                    : List.of(pod("elsewhere", "10.244.9.9", Map.of("app", "legacy"))));
    List<Endpoint> pods =
        r.endpoints().stream().filter(e -> e.address().equals("10.244.0.7")).toList();
    // a container port named like the entry's port wins, then targetPort, then the number
    assertThat(pods)
        .extracting(e -> e.servicePort() + "->" + e.port())
        .containsExactly("80->9080", "9300->9300", "7000->17000");
    Endpoint http = pods.get(0);
    assertThat(http.hostname()).isEqualTo("legacy.internal.example");
    assertThat(http.servicePortName()).isEqualTo("http");
    assertThat(http.workloadName()).isEqualTo("legacy-1");
    assertThat(http.serviceAccount()).isEqualTo("spiffe://cluster.local/ns/shop/sa/legacy-1");
    assertThat(http.healthKnown()).isTrue();
    assertThat(r.endpoints())
        .extracting(Endpoint::address)
        .doesNotContain("10.244.0.8", "10.244.9.9")
        .contains("10.0.0.9");
    // WorkloadEntries keep an unknown health
    assertThat(r.endpoints().stream().filter(e -> e.address().equals("10.0.0.9")))
        .noneMatch(Endpoint::healthKnown);
  }

  @Test
  void withoutAPodSourceOnlyWorkloadEntriesAreSelected() {
    assertThat(registry(WorkloadInstance.Source.NONE).endpoints())
        .extracting(Endpoint::address)
        .containsOnly("10.0.0.9");
  }

  /** A health-checked VM (auto-registered from a group with a probe) in the legacy service. */
  private static String checkedVm(String status) {
    return """
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: vm-2
          namespace: shop
          annotations: {proxy.istio.io/health-checks-enabled: "true"}
        spec:
          address: 10.0.0.10
          labels: {app: legacy}
        """
        + (status == null
            ? ""
            : "status:\n  conditions:\n  - {type: Healthy, status: \"" + status + "\"}\n");
  }

  private static List<String> served(String vm) {
    MemoryConfigStore store = new MemoryConfigStore();
    new ConfigParser(IstioKinds.ALL, "default")
        .parse(ENTRY + "---\n" + vm, "test")
        .configs()
        .forEach(store::put);
    store.markSynced();
    ServiceEntryRegistry r =
        new ServiceEntryRegistry(store, "cluster.local", WorkloadInstance.Source.NONE);
    List<String> out = new java.util.ArrayList<>();
    r.endpoints().stream().map(e -> "se " + e.address()).distinct().forEach(out::add);
    r.workloadEntryInstances("shop").forEach(w -> out.add("svc " + w.endpoint().address()));
    return out;
  }

  @Test
  void aHealthCheckedEntryIsAnEndpointOnlyWhileHealthy() {
    assertThat(served(checkedVm(null))).containsExactly("se 10.0.0.9", "svc 10.0.0.9");
    assertThat(served(checkedVm("False"))).containsExactly("se 10.0.0.9", "svc 10.0.0.9");
    assertThat(served(checkedVm("True")))
        .containsExactlyInAnyOrder("se 10.0.0.9", "se 10.0.0.10", "svc 10.0.0.9", "svc 10.0.0.10");
    // without the annotation its status does not matter
    assertThat(served(checkedVm("False").replace("proxy.istio.io/health-checks-enabled", "x")))
        .contains("se 10.0.0.10");
  }
}
