package io.jistiod.pilot.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.api.workload.security.Authorization;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** AuthorizationPolicies in ztunnel's form, as istiod 1.27 converts them. */
class ZtunnelPoliciesTest {
  private static List<Config> parse(String yaml) {
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs();
  }

  private static String json(Authorization a) throws Exception {
    return JsonFormat.printer().omittingInsignificantWhitespace().print(a);
  }

  @Test
  void l4RulesBecomeGroupsOfToFromAndWhenMatches() throws Exception {
    ZtunnelPolicies p =
        ZtunnelPolicies.convert(
            parse(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-frontend, namespace: shop}
                spec:
                  selector: {matchLabels: {app: productpage}}
                  rules:
                  - from:
                    - source:
                        principals: ["cluster.local/ns/shop/sa/frontend", "*"]
                        namespaces: ["team-*", "*-prod"]
                        serviceAccounts: ["bot", "ops/admin"]
                        ipBlocks: ["10.0.0.0/8", "192.168.1.7", "bad"]
                    to:
                    - operation: {ports: ["9080", "x", "70000"], notPorts: ["22"]}
                    when:
                    - key: destination.ip
                      values: ["10.96.0.10"]
                      notValues: ["fd00::1"]
                  - {}
                """),
            "istio-system");

    assertThat(p.policies()).hasSize(1);
    assertThat(p.policies().get(0).name()).isEqualTo("shop/allow-frontend");
    assertThat(p.policies().get(0).selector()).isEqualTo(Map.of("app", "productpage"));
    assertThat(json(p.policies().get(0).authorization()))
        .isEqualTo(
            "{\"name\":\"allow-frontend\",\"namespace\":\"shop\",\"scope\":\"WORKLOAD_SELECTOR\","
                + "\"groups\":[{\"rules\":["
                + "{\"matches\":[{\"destinationPorts\":[9080],\"notDestinationPorts\":[22]}]},"
                + "{\"matches\":[{"
                + "\"namespaces\":[{\"prefix\":\"team-\"},{\"suffix\":\"-prod\"}],"
                + "\"principals\":[{\"exact\":\"cluster.local/ns/shop/sa/frontend\"},{\"presence\":{}}],"
                + "\"sourceIps\":[{\"address\":\"CgAAAA==\",\"length\":8},{\"address\":\"wKgBBw==\",\"length\":32}],"
                + "\"serviceAccounts\":[{\"namespace\":\"shop\",\"serviceAccount\":\"bot\"},"
                + "{\"namespace\":\"ops\",\"serviceAccount\":\"admin\"}]}]},"
                + "{\"matches\":[{\"destinationIps\":[{\"address\":\"CmAACg==\",\"length\":32}],"
                + "\"notDestinationIps\":[{\"address\":\"/QAAAAAAAAAAAAAAAAAAAQ==\",\"length\":128}]}]}"
                + "]},{}]}");
  }

  @Test
  void httpAttributesDropAllowRulesButKeepDenyRulesWithoutThem() throws Exception {
    ZtunnelPolicies p =
        ZtunnelPolicies.convert(
            parse(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: allow-get, namespace: shop}
                spec:
                  rules:
                  - to: [{operation: {methods: [GET]}}]
                  - to: [{operation: {ports: ["80"]}}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: deny-admin, namespace: shop}
                spec:
                  action: DENY
                  rules:
                  - to: [{operation: {paths: [/admin], ports: ["8080"]}}]
                    when:
                    - key: "request.headers[x-test]"
                      values: ["1"]
                """),
            "istio-system");

    assertThat(p.policies())
        .extracting(ZtunnelPolicies.Policy::name)
        .containsExactly("shop/allow-get", "shop/deny-admin");
    Authorization allow = p.policies().get(0).authorization();
    assertThat(allow.getScope().name()).isEqualTo("NAMESPACE");
    assertThat(allow.getGroupsList()).hasSize(1); // the GET rule is gone
    Authorization deny = p.policies().get(1).authorization();
    assertThat(json(deny))
        .isEqualTo(
            "{\"name\":\"deny-admin\",\"namespace\":\"shop\",\"scope\":\"NAMESPACE\",\"action\":\"DENY\","
                + "\"groups\":[{\"rules\":[{\"matches\":[{\"destinationPorts\":[8080]}]},{\"matches\":[{}]}]}]}");
  }

  @Test
  void waypointCustomAuditAndDryRunPoliciesAreNotZtunnels() {
    ZtunnelPolicies p =
        ZtunnelPolicies.convert(
            parse(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: for-waypoint, namespace: shop}
                spec:
                  targetRefs: [{kind: Service, group: "", name: productpage}]
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: audit, namespace: shop}
                spec: {action: AUDIT}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata:
                  name: trying
                  namespace: shop
                  annotations: {istio.io/dry-run: "true"}
                spec: {}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: mesh-wide, namespace: istio-system}
                spec: {}
                """),
            "istio-system");

    assertThat(p.policies())
        .extracting(ZtunnelPolicies.Policy::name)
        .containsExactly("istio-system/mesh-wide");
    assertThat(p.policies().get(0).authorization().getScope().name()).isEqualTo("GLOBAL");
  }

  @Test
  void aWorkloadListsTheSelectorPoliciesOfItsNamespaceAndTheRootNamespace() {
    ZtunnelPolicies p =
        ZtunnelPolicies.convert(
            parse(
                """
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: b, namespace: shop}
                spec: {selector: {matchLabels: {app: productpage}}}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: a, namespace: istio-system}
                spec: {selector: {matchLabels: {app: productpage}}}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: elsewhere, namespace: other}
                spec: {selector: {matchLabels: {app: productpage}}}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: ns-wide, namespace: shop}
                spec: {}
                ---
                apiVersion: security.istio.io/v1
                kind: AuthorizationPolicy
                metadata: {name: v2-only, namespace: shop}
                spec: {selector: {matchLabels: {app: productpage, version: v2}}}
                """),
            "istio-system");

    assertThat(p.selecting("shop", Map.of("app", "productpage", "version", "v1"), "istio-system"))
        .containsExactly("istio-system/a", "shop/b");
  }
}
