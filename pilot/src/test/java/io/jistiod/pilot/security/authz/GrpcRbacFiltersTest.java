package io.jistiod.pilot.security.authz;

import static io.jistiod.pilot.security.authz.AuthzFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** gRPC server RBAC as istiod's grpcgen: DENY then ALLOW, only what gRPC supports. */
class GrpcRbacFiltersTest {
  private static final String POLICIES =
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: deny-client
        namespace: foo
      spec:
        action: DENY
        rules:
        - from:
          - source:
              principals: ["cluster.local/ns/foo/sa/client"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: allow-get
        namespace: foo
      spec:
        rules:
        - to:
          - operation:
              paths: ["/grpc.testing.TestService/*"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: audit
        namespace: foo
      spec:
        action: AUDIT
        rules:
        - {}
      """;

  private static JsonNode build(String yaml) {
    PolicyIndex index = AuthzFixture.index(yaml);
    return json(GrpcRbacFilters.build(index, index.forProxy(AuthzFixture.proxy("foo", Map.of()))));
  }

  @Test
  void denyThenAllowWithGrpcgenNames() {
    JsonNode f = build(POLICIES);
    assertThat(f).hasSize(2);
    assertThat(f.at("/0/name").asText()).isEqualTo("envoy.filters.http.rbac.DENY");
    assertThat(f.at("/0/typedConfig/rules/action").asText()).isEqualTo("DENY");
    assertThat(
            f.at(
                    "/0/typedConfig/rules/policies/foo-deny-client-0/principals/0/andIds/ids/0/orIds/ids/0/authenticated/principalName/exact")
                .asText())
        .isEqualTo("spiffe://cluster.local/ns/foo/sa/client");
    assertThat(f.at("/1/name").asText()).isEqualTo("envoy.filters.http.rbac");
    assertThat(
            f.at(
                    "/1/typedConfig/rules/policies/foo-allow-get-0/permissions/0/andRules/rules/0/orRules/rules/0/urlPath/path/prefix")
                .asText())
        .isEqualTo("/grpc.testing.TestService/");
    // no shadow rules or stat prefixes: gRPC does not support them
    assertThat(f.at("/0/typedConfig").has("shadowRulesStatPrefix")).isFalse();
  }

  @Test
  void allowPolicyWithoutRulesDeniesEverythingInsteadOfOpening() {
    JsonNode f =
        build(
            """
            apiVersion: security.istio.io/v1
            kind: AuthorizationPolicy
            metadata:
              name: allow-nothing
              namespace: foo
            spec: {}
            """);
    assertThat(f).hasSize(1);
    assertThat(f.at("/0/name").asText()).isEqualTo("envoy.filters.http.rbac");
    assertThat(f.at("/0/typedConfig/rules").size()).isZero(); // ALLOW, no policy: deny all
  }

  @Test
  void noAllowOrDenyPolicyNoFilter() {
    assertThat(build("")).isEmpty();
  }
}
