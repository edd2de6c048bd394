package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.service;
import static io.jistiod.pilot.push.PushFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.pilot.model.Service;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SidecarIndexTest {
  private static final String SIDECARS =
      """
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: default, namespace: app}
      spec:
        egress: [{hosts: ["./*"]}]
      ---
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: reviewers, namespace: app}
      spec:
        workloadSelector: {labels: {role: reviewer}}
        egress: [{hosts: ["other/*"]}]
      ---
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: mesh-default, namespace: istio-system}
      spec:
        egress: [{hosts: ["istio-system/*"]}]
      ---
      """;

  private static List<String> hosts(List<Service> services) {
    return services.stream().map(Service::hostname).toList();
  }

  private static PushContext mesh() {
    return push(
        SIDECARS,
        service("web", "app"),
        service("db", "other"),
        service("secret", "other", "."),
        service("telemetry", "istio-system"));
  }

  @Test
  void proxiesWithTheSameNamespaceAndLabelsShareOneScope() {
    PushContext push = mesh();
    SidecarScope first = push.sidecarScope(sidecar("app", Map.of("app", "a", "v", "1")));
    SidecarScope second = push.sidecarScope(sidecar("app", Map.of("v", "1", "app", "a")));
    assertThat(second).isSameAs(first);
    assertThat(push.sidecarScope(sidecar("app", Map.of("app", "b")))).isNotSameAs(first);
    assertThat(push.sidecarScope(sidecar("elsewhere", Map.of("app", "a")))).isNotSameAs(first);
  }

  @Test
  void aSelectingSidecarBeatsTheNamespaceDefaultWhichBeatsTheRootDefault() {
    PushContext push = mesh();
    SidecarScope reviewer = push.sidecarScope(sidecar("app", Map.of("role", "reviewer")));
    assertThat(reviewer.sidecar().orElseThrow().name()).isEqualTo("reviewers");
    // "secret" is exported to its own namespace only
    assertThat(hosts(reviewer.services())).containsExactly("db.other.svc.cluster.local");

    SidecarScope plain = push.sidecarScope(sidecar("app", Map.of("role", "writer")));
    assertThat(plain.sidecar().orElseThrow().name()).isEqualTo("default");
    assertThat(hosts(plain.services())).containsExactly("web.app.svc.cluster.local");

    SidecarScope rooted = push.sidecarScope(sidecar("other"));
    assertThat(rooted.sidecar().orElseThrow().name()).isEqualTo("mesh-default");
    assertThat(hosts(rooted.services()))
        .containsExactly("telemetry.istio-system.svc.cluster.local");
  }

  @Test
  void gatewaysIgnoreSidecarResources() throws Exception {
    PushContext push = mesh();
    io.jistiod.pilot.model.Proxy gateway =
        io.jistiod.pilot.model.Proxy.fromNode(
            "router~10.9.0.2~gw-1.app~app.svc.cluster.local",
            com.google.protobuf.Struct.newBuilder()
                .putFields(
                    "NAMESPACE",
                    com.google.protobuf.Value.newBuilder().setStringValue("app").build())
                .build(),
            io.jistiod.pilot.model.Locality.UNKNOWN);
    // app's namespace default would limit it to ./*; a gateway sees every exported service
    SidecarScope scope = push.sidecarScope(gateway);
    assertThat(scope.sidecar()).isEmpty();
    assertThat(hosts(scope.services()))
        .containsExactly(
            "db.other.svc.cluster.local",
            "telemetry.istio-system.svc.cluster.local",
            "web.app.svc.cluster.local");
  }

  @Test
  void withoutSidecarsEveryServiceExportedToTheNamespaceIsInScope() {
    PushContext push =
        push(service("web", "app"), service("db", "other"), service("secret", "other", "."));
    SidecarScope scope = push.sidecarScope(sidecar("app"));
    assertThat(scope.sidecar()).isEmpty();
    assertThat(hosts(scope.services()))
        .containsExactly("db.other.svc.cluster.local", "web.app.svc.cluster.local");
    assertThat(push.serviceFor(sidecar("app"), "secret.other.svc.cluster.local")).isEmpty();
    assertThat(push.serviceFor(sidecar("other"), "secret.other.svc.cluster.local")).isPresent();
  }

  @Test
  void meshDefaultServiceExportToAppliesToServicesWithoutExportTo() {
    PushContext push =
        push(
            PushFixture.meshExportingTo("."),
            service("web", "app"),
            service("db", "other"),
            service("shared", "other", "*"));
    assertThat(hosts(push.servicesVisibleTo(sidecar("app"))))
        .containsExactly("shared.other.svc.cluster.local", "web.app.svc.cluster.local");
    assertThat(push.serviceExportedTo("app", "db.other.svc.cluster.local")).isEmpty();
    assertThat(push.serviceExportedTo("other", "db.other.svc.cluster.local")).isPresent();
  }
}
