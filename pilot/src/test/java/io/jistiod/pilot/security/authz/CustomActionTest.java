package io.jistiod.pilot.security.authz;

import static io.jistiod.pilot.security.authz.AuthzFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** CUSTOM (ext_authz) as istiod's builder: inputs as Istio's custom-* builder test data. */
class CustomActionTest {
  private static final Map<String, String> HTTPBIN = Map.of("app", "httpbin", "version", "v1");

  private static final String POLICIES =
      """
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: httpbin-1
        namespace: foo
      spec:
        action: CUSTOM
        provider:
          name: PROVIDER
        selector:
          matchLabels:
            app: httpbin
        rules:
        - to:
          - operation:
              paths: ["/httpbin1"]
      ---
      apiVersion: security.istio.io/v1
      kind: AuthorizationPolicy
      metadata:
        name: httpbin-2
        namespace: foo
      spec:
        action: CUSTOM
        provider:
          name: PROVIDER
        rules:
        - to:
          - operation:
              ports: ["8080"]
      """;

  private static final String MESH =
      """
      extensionProviders:
      - name: http
        envoyExtAuthzHttp:
          service: foo/my-custom-ext-authz.foo.svc.cluster.local
          port: 9000
          timeout: 10s
          failOpen: true
          statusOnError: "403"
          pathPrefix: /check
          includeRequestHeadersInCheck: ["x-custom-id", "x-prefix-*", "*-suffix"]
          includeAdditionalHeadersInCheck:
            x-header-2: value-2
            x-header-1: value-1
          headersToUpstreamOnAllow: ["Authorization"]
          headersToDownstreamOnDeny: ["Set-cookie"]
          includeRequestBodyInCheck:
            maxRequestBytes: 2048
            allowPartialMessage: true
            packAsBytes: true
      - name: grpc
        envoyExtAuthzGrpc:
          service: my-custom-ext-authz.foo.svc.cluster.local
          port: 9000
      """;

  private static final Function<String, Service> SERVICES =
      h ->
          h.equals("my-custom-ext-authz.foo.svc.cluster.local")
              ? new Service(
                  h,
                  "foo",
                  List.of(),
                  List.of(),
                  Resolution.STATIC,
                  Set.of(),
                  new ServiceAttributes(
                      "Kubernetes",
                      "my-custom-ext-authz",
                      Map.of(),
                      Map.of(),
                      false,
                      "",
                      List.of()))
              : null;

  private static RbacFilterBuilder builder(String provider, PolicyIndex[] out) {
    PolicyIndex index = AuthzFixture.index(POLICIES.replace("PROVIDER", provider), MESH, SERVICES);
    out[0] = index;
    return new RbacFilterBuilder(index);
  }

  @Test
  void httpProviderGetsShadowRbacThenExtAuthz() {
    PolicyIndex[] idx = new PolicyIndex[1];
    RbacFilterBuilder b = builder("http", idx);
    WorkloadPolicies p = idx[0].forProxy(AuthzFixture.proxy("foo", HTTPBIN));
    JsonNode f = json(b.customHttp(p));
    assertThat(f).hasSize(2);
    assertThat(f.at("/0/name").asText()).isEqualTo("envoy.filters.http.rbac");
    JsonNode rbac = f.at("/0/typedConfig");
    assertThat(rbac.has("rules")).isFalse();
    assertThat(rbac.at("/shadowRules/action").asText()).isEqualTo("DENY");
    assertThat(
            rbac.at("/shadowRules/policies")
                .has("istio-ext-authz-ns[foo]-policy[httpbin-1]-rule[0]"))
        .isTrue();
    assertThat(
            rbac.at("/shadowRules/policies")
                .has("istio-ext-authz-ns[foo]-policy[httpbin-2]-rule[0]"))
        .isTrue();
    assertThat(rbac.at("/shadowRulesStatPrefix").asText()).isEqualTo("istio_ext_authz_");

    JsonNode ext = f.at("/1");
    assertThat(ext.at("/name").asText()).isEqualTo("envoy.filters.http.ext_authz");
    JsonNode c = ext.at("/typedConfig");
    assertThat(c.at("/httpService/serverUri/uri").asText())
        .isEqualTo("http://my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(c.at("/httpService/serverUri/cluster").asText())
        .isEqualTo("outbound|9000||my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(c.at("/httpService/serverUri/timeout").asText()).isEqualTo("10s");
    assertThat(c.at("/httpService/pathPrefix").asText()).isEqualTo("/check");
    assertThat(c.at("/httpService/authorizationRequest/headersToAdd/0/key").asText())
        .isEqualTo("x-header-1");
    assertThat(
            c.at("/httpService/authorizationResponse/allowedUpstreamHeaders/patterns/0/exact")
                .asText())
        .isEqualTo("Authorization");
    assertThat(
            c.at("/httpService/authorizationResponse/allowedClientHeaders/patterns/0/exact")
                .asText())
        .isEqualTo("Set-cookie");
    assertThat(c.at("/allowedHeaders/patterns/1/prefix").asText()).isEqualTo("x-prefix-");
    assertThat(c.at("/allowedHeaders/patterns/2/suffix").asText()).isEqualTo("-suffix");
    assertThat(c.at("/allowedHeaders/patterns/2/ignoreCase").asBoolean()).isTrue();
    assertThat(c.at("/failureModeAllow").asBoolean()).isTrue();
    assertThat(c.at("/statusOnError/code").asText()).isEqualTo("Forbidden");
    assertThat(c.at("/transportApiVersion").asText()).isEqualTo("V3");
    assertThat(c.at("/withRequestBody/maxRequestBytes").asInt()).isEqualTo(2048);
    assertThat(c.at("/filterEnabledMetadata/filter").asText()).isEqualTo("envoy.filters.http.rbac");
    assertThat(c.at("/filterEnabledMetadata/path/0/key").asText())
        .isEqualTo("istio_ext_authz_shadow_effective_policy_id");
    assertThat(c.at("/filterEnabledMetadata/value/stringMatch/prefix").asText())
        .isEqualTo("istio-ext-authz");

    // an HTTP provider cannot check TCP: istiod leaves TCP chains alone
    assertThat(b.customTcp(p)).isEmpty();
  }

  @Test
  void grpcProviderAlsoGuardsTcpChains() {
    PolicyIndex[] idx = new PolicyIndex[1];
    RbacFilterBuilder b = builder("grpc", idx);
    WorkloadPolicies p = idx[0].forProxy(AuthzFixture.proxy("foo", HTTPBIN));
    JsonNode h = json(b.customHttp(p));
    assertThat(h.at("/1/typedConfig/grpcService/envoyGrpc/clusterName").asText())
        .isEqualTo("outbound|9000||my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(h.at("/1/typedConfig/grpcService/envoyGrpc/authority").asText())
        .isEqualTo("my-custom-ext-authz.foo.svc.cluster.local");
    assertThat(h.at("/1/typedConfig/grpcService/timeout").asText()).isEqualTo("600s");
    JsonNode t = json(b.customTcp(p));
    assertThat(t).hasSize(2);
    assertThat(t.at("/0/name").asText()).isEqualTo("envoy.filters.network.rbac");
    assertThat(t.at("/0/typedConfig/statPrefix").asText()).isEqualTo("tcp.");
    // the path rule is HTTP-only: on TCP it widens to "any" (CUSTOM is built like DENY)
    assertThat(
            t.at(
                    "/0/typedConfig/shadowRules/policies/istio-ext-authz-ns[foo]-policy[httpbin-1]-rule[0]/permissions/0/andRules/rules/0/any")
                .asBoolean())
        .isTrue();
    assertThat(t.at("/1/name").asText()).isEqualTo("envoy.filters.network.ext_authz");
    assertThat(t.at("/1/typedConfig/statPrefix").asText()).isEqualTo("tcp.");
    assertThat(t.at("/1/typedConfig/filterEnabledMetadata/filter").asText())
        .isEqualTo("envoy.filters.network.rbac");
  }

  @Test
  void unknownProviderFailsClosedWithDenyRules() {
    PolicyIndex[] idx = new PolicyIndex[1];
    RbacFilterBuilder b = builder("nope", idx);
    WorkloadPolicies p = idx[0].forProxy(AuthzFixture.proxy("foo", HTTPBIN));
    JsonNode h = json(b.customHttp(p));
    assertThat(h).hasSize(1);
    JsonNode rules = h.at("/0/typedConfig/rules");
    assertThat(rules.at("/action").asText()).isEqualTo("DENY");
    assertThat(
            rules
                .at("/policies")
                .has(
                    "istio-ext-authz-ns[foo]-policy[httpbin-1]-rule[0]-deny-due-to-bad-CUSTOM-action"))
        .isTrue();
    JsonNode t = json(b.customTcp(p));
    assertThat(t).hasSize(1);
    assertThat(t.at("/0/typedConfig/rules/action").asText()).isEqualTo("DENY");
    assertThat(t.at("/0/typedConfig/statPrefix").asText()).isEqualTo("tcp.");
  }

  @Test
  void twoProvidersForOneWorkloadFailClosed() {
    String yaml = POLICIES.replaceFirst("PROVIDER", "http").replaceFirst("PROVIDER", "grpc");
    PolicyIndex index = AuthzFixture.index(yaml, MESH, SERVICES);
    JsonNode h =
        json(
            new RbacFilterBuilder(index)
                .customHttp(index.forProxy(AuthzFixture.proxy("foo", HTTPBIN))));
    assertThat(h).hasSize(1);
    assertThat(h.at("/0/typedConfig/rules/action").asText()).isEqualTo("DENY");
  }

  @Test
  void providerWhoseServiceIsUnknownFailsClosed() {
    PolicyIndex index = AuthzFixture.index(POLICIES.replace("PROVIDER", "http"), MESH, h -> null);
    JsonNode h =
        json(
            new RbacFilterBuilder(index)
                .customHttp(index.forProxy(AuthzFixture.proxy("foo", HTTPBIN))));
    assertThat(h).hasSize(1);
    assertThat(h.at("/0/typedConfig/rules/action").asText()).isEqualTo("DENY");
  }
}
