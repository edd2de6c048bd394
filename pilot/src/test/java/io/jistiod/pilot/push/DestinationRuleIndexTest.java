package io.jistiod.pilot.push;

import static io.jistiod.pilot.push.PushFixture.destinationRule;
import static io.jistiod.pilot.push.PushFixture.push;
import static io.jistiod.pilot.push.PushFixture.service;
import static io.jistiod.pilot.push.PushFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DestinationRuleIndexTest {
  private static final String WEB = "web.svc-ns.svc.cluster.local";
  private static final String ROOT = "istio-system";

  private static String ruleFor(PushContext push, String proxyNamespace, String host) {
    return push.destinationRuleFor(sidecar(proxyNamespace), host)
        .map(r -> r.config().namespace() + "/" + r.config().name())
        .orElse(null);
  }

  @Test
  void proxyNamespaceThenServiceNamespaceThenRootNamespace() {
    String svc = service("web", "svc-ns");
    String inProxyNs = destinationRule("mine", "client", WEB);
    String inServiceNs = destinationRule("owner", "svc-ns", WEB);
    String inRoot = destinationRule("mesh-wide", ROOT, WEB);
    assertThat(ruleFor(push(svc, inProxyNs, inServiceNs, inRoot), "client", WEB))
        .isEqualTo("client/mine");
    assertThat(ruleFor(push(svc, inServiceNs, inRoot), "client", WEB)).isEqualTo("svc-ns/owner");
    assertThat(ruleFor(push(svc, inRoot), "client", WEB)).isEqualTo("istio-system/mesh-wide");
  }

  @Test
  void aRuleInAnUnrelatedNamespaceDoesNotApply() {
    // istiod only looks in the proxy's, the service's and the root namespace
    PushContext push = push(service("web", "svc-ns"), destinationRule("stray", "third", WEB));
    assertThat(ruleFor(push, "client", WEB)).isNull();
    assertThat(ruleFor(push, "third", WEB)).isEqualTo("third/stray");
  }

  @Test
  void exportToLimitsWhoGetsTheServiceNamespacesRule() {
    PushContext push =
        push(
            service("web", "svc-ns"),
            destinationRule("private", "svc-ns", WEB, "."),
            destinationRule("for-b", "svc-ns", "*.svc-ns.svc.cluster.local", "b"));
    assertThat(ruleFor(push, "svc-ns", WEB)).isEqualTo("svc-ns/private");
    // the private exact rule is not exported: "b" gets the wildcard exported to it by name
    assertThat(ruleFor(push, "b", WEB)).isEqualTo("svc-ns/for-b");
    assertThat(ruleFor(push, "c", WEB)).isNull();
    // a host no service has: only the root namespace is asked besides the proxy's
    assertThat(ruleFor(push, "b", "api.svc-ns.svc.cluster.local")).isNull();
  }

  @Test
  void namedExportReachesTheNamedNamespaceOnly() {
    PushContext push = push(service("web", "svc-ns"), destinationRule("for-b", "svc-ns", WEB, "b"));
    assertThat(ruleFor(push, "b", WEB)).isEqualTo("svc-ns/for-b");
    assertThat(ruleFor(push, "c", WEB)).isNull();
    assertThat(ruleFor(push, "svc-ns", WEB)).isNull(); // not exported to its own namespace
  }

  @Test
  void exactHostBeforeTheMostSpecificWildcard() {
    PushContext push =
        push(
            service("web", "svc-ns"),
            destinationRule("a-broad", "client", "*.cluster.local"),
            destinationRule("b-narrow", "client", "*.svc-ns.svc.cluster.local"));
    assertThat(ruleFor(push, "client", WEB)).isEqualTo("client/b-narrow");
    PushContext exact =
        push(
            service("web", "svc-ns"),
            destinationRule("a-wild", "client", "*.svc-ns.svc.cluster.local"),
            destinationRule("z-exact", "client", WEB));
    assertThat(ruleFor(exact, "client", WEB)).isEqualTo("client/z-exact");
  }

  @Test
  void aProxyInTheRootNamespaceSeesOnlyTheRootsPrivateRulesFirst() {
    PushContext push =
        push(
            service("web", "svc-ns"),
            destinationRule("catch-all", ROOT, "*.cluster.local"),
            destinationRule("owner", "svc-ns", WEB));
    // a public root rule does not hide the service's own rule from a root-namespace gateway
    assertThat(ruleFor(push, ROOT, WEB)).isEqualTo("svc-ns/owner");
    PushContext privateRoot =
        push(
            service("web", "svc-ns"),
            destinationRule("local", ROOT, "*.cluster.local", "."),
            destinationRule("owner", "svc-ns", WEB));
    assertThat(ruleFor(privateRoot, ROOT, WEB)).isEqualTo("istio-system/local");
  }

  @Test
  void aRuleWithAWorkloadSelectorIsNeverExported() {
    String selecting =
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: selecting, namespace: svc-ns}
        spec:
          host: web
          exportTo: ["*"]
          workloadSelector: {matchLabels: {app: client}}
        ---
        """;
    PushContext push = push(service("web", "svc-ns"), selecting);
    assertThat(ruleFor(push, "svc-ns", WEB)).isEqualTo("svc-ns/selecting");
    assertThat(ruleFor(push, "client", WEB)).isNull();
  }

  @Test
  void meshDefaultExportToAppliesToRulesWithoutExportTo() {
    PushContext push =
        push(
            PushFixture.meshExportingTo("."),
            service("web", "svc-ns", "*"),
            destinationRule("owner", "svc-ns", WEB));
    assertThat(ruleFor(push, "svc-ns", WEB)).isEqualTo("svc-ns/owner");
    assertThat(ruleFor(push, "client", WEB)).isNull();
  }
}
