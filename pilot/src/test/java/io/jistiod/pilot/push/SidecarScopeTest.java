package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a Sidecar imports, per egress listener, as istiod's collectImportedServices. */
class SidecarScopeTest {
  /** A ServiceEntry {@code name.ns.svc.cluster.local} with ports 80 and 9090. */
  private static String twoPorts(String name, String namespace) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          hosts: [%1$s.%2$s.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{name: http, number: 80}, {name: grpc, number: 9090}]
          endpoints: [{address: 10.1.0.1}]
        ---
        """
        .formatted(name, namespace);
  }

  private static final String CONFIG =
      """
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: default, namespace: app}
      spec:
        egress:
        - port: {number: 9090, protocol: GRPC, name: grpc}
          hosts: ["other/grpc-only.other.svc.cluster.local", "other/nothing-on-7000.other.svc.cluster.local"]
        - port: {number: 7000, protocol: TCP, name: tcp}
          hosts: ["other/nothing-on-7000.other.svc.cluster.local"]
        - hosts: ["./*"]
      ---
      apiVersion: networking.istio.io/v1
      kind: VirtualService
      metadata: {name: web, namespace: app}
      spec:
        hosts: [web]
        http:
        - match: [{uri: {prefix: /v2}}]
          route: [{destination: {host: routed.other.svc.cluster.local, port: {number: 80}}}]
        - match: [{sourceNamespace: elsewhere}]
          route: [{destination: {host: elsewhere-only.other.svc.cluster.local}}]
        - route: [{destination: {host: web}}]
      ---
      """;

  private static Map<String, List<Integer>> ports(SidecarScope scope) {
    Map<String, List<Integer>> out = new java.util.TreeMap<>();
    for (Service s : scope.services()) {
      out.put(
          s.hostname().substring(0, s.hostname().indexOf('.')),
          s.ports().stream().map(ServicePort::port).toList());
    }
    return out;
  }

  @Test
  void portListenersTrimServicesAndVirtualServiceDestinationsAreImported() {
    PushContext push =
        push(
            CONFIG,
            twoPorts("web", "app"),
            twoPorts("grpc-only", "other"),
            twoPorts("nothing-on-7000", "other"),
            twoPorts("routed", "other"),
            twoPorts("elsewhere-only", "other"),
            twoPorts("unrelated", "other"));
    assertThat(ports(push.sidecarScope(sidecar("app"))))
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                // the catch-all imports its namespace whole
                "web", List.of(80, 9090),
                // a port listener takes only its port; a service without it is not imported
                "grpc-only", List.of(9090),
                "nothing-on-7000", List.of(9090),
                // the destination of a VirtualService the catch-all imports, on its named port
                "routed", List.of(80)));
  }
}
