package io.jistiod.pilot.security.authz;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.galley.config.Config;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which policies a sidecar or gateway gets, as istiod's WorkloadPolicyMatcher decides. */
class PolicySelectionTest {
  private static String policy(String ns, String name, String action, String extra) {
    return "apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata:\n  name: "
        + name
        + "\n  namespace: "
        + ns
        + "\nspec:\n  action: "
        + action
        + "\n"
        + extra
        + "---\n";
  }

  private static List<String> names(List<Config> cs) {
    return cs.stream().map(c -> c.namespace() + "/" + c.name()).toList();
  }

  private static final String POLICIES =
      policy("istio-system", "mesh-wide", "DENY", "")
          + policy(
              "istio-system",
              "mesh-selected",
              "ALLOW",
              "  selector:\n    matchLabels:\n      app: a\n")
          + policy("foo", "ns-wide", "AUDIT", "")
          + policy("foo", "app-a", "ALLOW", "  selector:\n    matchLabels:\n      app: a\n")
          + policy("foo", "app-b", "ALLOW", "  selector:\n    matchLabels:\n      app: b\n")
          + policy(
              "foo",
              "targets-gw",
              "DENY",
              "  targetRefs:\n  - group: gateway.networking.k8s.io\n    kind: Gateway\n    name: gw\n")
          + policy(
              "foo",
              "targets-legacy",
              "DENY",
              "  targetRef:\n    group: gateway.networking.k8s.io\n    kind: Gateway\n    name: gw\n")
          + policy("foo", "targets-svc", "DENY", "  targetRefs:\n  - kind: Service\n    name: a\n")
          + policy("bar", "other-ns", "DENY", "");

  @Test
  void sidecarGetsRootNamespaceNamespaceAndSelectedPoliciesButNoTargetRefs() {
    PolicyIndex index = AuthzFixture.index(POLICIES);
    WorkloadPolicies p = index.forProxy(AuthzFixture.proxy("foo", Map.of("app", "a")));
    assertThat(names(p.deny())).containsExactly("istio-system/mesh-wide");
    assertThat(names(p.allow())).containsExactly("istio-system/mesh-selected", "foo/app-a");
    assertThat(names(p.audit())).containsExactly("foo/ns-wide");
    assertThat(p.custom()).isEmpty();

    WorkloadPolicies b = index.forProxy(AuthzFixture.proxy("foo", Map.of("app", "b")));
    assertThat(names(b.allow())).containsExactly("foo/app-b");
  }

  @Test
  void gatewayApiGatewayGetsPoliciesTargetingItsGateway() {
    PolicyIndex index = AuthzFixture.index(POLICIES);
    WorkloadPolicies p =
        index.forProxy(
            AuthzFixture.proxy(
                "foo", Map.of("gateway.networking.k8s.io/gateway-name", "gw", "app", "a")));
    assertThat(names(p.deny()))
        .containsExactly("istio-system/mesh-wide", "foo/targets-gw", "foo/targets-legacy");
    // selector-based policies still apply (ENABLE_SELECTOR_BASED_K8S_GATEWAY_POLICY defaults on)
    assertThat(names(p.allow())).containsExactly("istio-system/mesh-selected", "foo/app-a");

    WorkloadPolicies other =
        index.forProxy(
            AuthzFixture.proxy("foo", Map.of("gateway.networking.k8s.io/gateway-name", "gw2")));
    assertThat(names(other.deny())).containsExactly("istio-system/mesh-wide");
  }

  @Test
  void gatewayTargetRefFromAnotherNamespaceNeverMatches() {
    String yaml =
        policy(
            "bar",
            "cross",
            "DENY",
            "  targetRefs:\n  - group: gateway.networking.k8s.io\n    kind: Gateway\n    name: gw\n    namespace: foo\n");
    PolicyIndex index = AuthzFixture.index(yaml);
    WorkloadPolicies p =
        index.forProxy(
            AuthzFixture.proxy("foo", Map.of("gateway.networking.k8s.io/gateway-name", "gw")));
    assertThat(p.deny()).isEmpty();
  }
}
