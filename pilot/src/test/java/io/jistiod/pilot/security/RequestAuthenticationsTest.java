package io.jistiod.pilot.security;

import static io.jistiod.pilot.security.JwtFixture.NS;
import static io.jistiod.pilot.security.JwtFixture.jwtAuthn;
import static io.jistiod.pilot.security.JwtFixture.proxy;
import static io.jistiod.pilot.security.JwtFixture.push;
import static io.jistiod.pilot.security.JwtFixture.requestAuthentication;
import static io.jistiod.pilot.security.JwtFixture.sidecar;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Empty;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtClaimToHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtHeader;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement;
import io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.RequirementRule;
import io.jistiod.pilot.model.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RequestAuthenticationsTest {
  private static final String KEYS = "{\"keys\":[{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"abc\"}]}";
  private static final Proxy APP = sidecar(NS, Map.of("app", "web"));

  private static String rule(String issuer) {
    return "jwtRules:\n- issuer: " + issuer + "\n  jwks: '" + KEYS + "'\n";
  }

  @Test
  void noPolicyNoFilter() {
    assertThat(RequestAuthentications.httpFilters(push(), APP)).isEmpty();
  }

  @Test
  void everyJwtRuleFieldReachesTheProvider() {
    var push =
        push(
            requestAuthentication(
                NS,
                "full",
                """
                jwtRules:
                - issuer: https://issuer.example.com
                  audiences: [aud1, aud2]
                  jwks: '%s'
                  fromHeaders:
                  - {name: x-jwt, prefix: 'Bearer '}
                  - {name: x-other}
                  fromParams: [token, access_token]
                  fromCookies: [session]
                  outputPayloadToHeader: x-payload
                  outputClaimToHeaders:
                  - {header: x-sub, claim: sub}
                  forwardOriginalToken: true
                  timeout: 3s
                """
                    .formatted(KEYS)));
    JwtAuthentication a = jwtAuthn(push, APP);
    assertThat(a.getProvidersMap()).containsOnlyKeys("origins-0");
    JwtProvider p = a.getProvidersOrThrow("origins-0");
    assertThat(p)
        .isEqualTo(
            JwtProvider.newBuilder()
                .setIssuer("https://issuer.example.com")
                .addAudiences("aud1")
                .addAudiences("aud2")
                .setForward(true)
                .setForwardPayloadHeader("x-payload")
                .setPayloadInMetadata("payload")
                .setNormalizePayloadInMetadata(
                    JwtProvider.NormalizePayload.newBuilder()
                        .addSpaceDelimitedClaims("scope")
                        .addSpaceDelimitedClaims("permission"))
                .addClaimToHeaders(
                    JwtClaimToHeader.newBuilder().setHeaderName("x-sub").setClaimName("sub"))
                .addFromHeaders(JwtHeader.newBuilder().setName("x-jwt").setValuePrefix("Bearer "))
                .addFromHeaders(JwtHeader.newBuilder().setName("x-other"))
                .addFromParams("token")
                .addFromParams("access_token")
                .addFromCookies("session")
                .setLocalJwks(
                    io.envoyproxy.envoy.config.core.v3.DataSource.newBuilder()
                        .setInlineString(KEYS))
                .build());
    // One provider: its token, if any, must verify; no token is left to AuthorizationPolicy.
    assertThat(a.getRulesList())
        .containsExactly(
            RequirementRule.newBuilder()
                .setMatch(
                    io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder().setPrefix("/"))
                .setRequires(optional("origins-0"))
                .build());
    assertThat(a.getBypassCorsPreflight()).isTrue();
  }

  @Test
  void gatewaysClearTheRouteCacheSidecarsDoNot() {
    var push = push(requestAuthentication(NS, "ra", rule("iss")));
    Proxy gateway = proxy("router", NS, Map.of("istio", "ingressgateway"));
    assertThat(jwtAuthn(push, APP).getProvidersOrThrow("origins-0").getClearRouteCache()).isFalse();
    assertThat(jwtAuthn(push, gateway).getProvidersOrThrow("origins-0").getClearRouteCache())
        .isTrue();
  }

  @Test
  void rulesOfAllApplicablePoliciesMergeInIssuerOrder() {
    var push =
        push(
            requestAuthentication("istio-system", "mesh", rule("c-mesh")),
            requestAuthentication(NS, "ns", rule("b-namespace")),
            requestAuthentication(
                NS, "web", "selector: {matchLabels: {app: web}}\n" + rule("a-web")),
            requestAuthentication(
                NS, "other", "selector: {matchLabels: {app: db}}\n" + rule("x-db")),
            requestAuthentication("elsewhere", "ns", rule("y-elsewhere")));
    JwtAuthentication a = jwtAuthn(push, APP);
    assertThat(a.getProvidersMap()).containsOnlyKeys("origins-0", "origins-1", "origins-2");
    assertThat(a.getProvidersOrThrow("origins-0").getIssuer()).isEqualTo("a-web");
    assertThat(a.getProvidersOrThrow("origins-1").getIssuer()).isEqualTo("b-namespace");
    assertThat(a.getProvidersOrThrow("origins-2").getIssuer()).isEqualTo("c-mesh");
    // Any one provider, or: every present token verifies (missing ones allowed).
    List<JwtRequirement> or = a.getRules(0).getRequires().getRequiresAny().getRequirementsList();
    assertThat(or).hasSize(4);
    assertThat(or.subList(0, 3))
        .containsExactly(byName("origins-0"), byName("origins-1"), byName("origins-2"));
    assertThat(or.get(3).getRequiresAll().getRequirementsList())
        .containsExactly(optional("origins-0"), optional("origins-1"), optional("origins-2"));
  }

  @Test
  void rootNamespaceSelectorPoliciesApplyToMatchingWorkloadsOfEveryNamespace() {
    var push =
        push(
            requestAuthentication(
                "istio-system", "web", "selector: {matchLabels: {app: web}}\n" + rule("mesh-web")));
    assertThat(jwtAuthn(push, APP).getProvidersOrThrow("origins-0").getIssuer())
        .isEqualTo("mesh-web");
    assertThat(jwtAuthn(push, sidecar("other", Map.of("app", "web")))).isNotNull();
    assertThat(jwtAuthn(push, sidecar(NS, Map.of("app", "db")))).isNull();
  }

  @Test
  void targetRefPoliciesApplyOnlyToTheNamedGatewayApiGateway() {
    String gwRef = "targetRefs:\n- {group: gateway.networking.k8s.io, kind: Gateway, name: edge}\n";
    var push = push(requestAuthentication(NS, "edge", gwRef + rule("edge-issuer")));
    Proxy edge =
        proxy("router", NS, Map.of(RequestAuthenticationSelection.GATEWAY_NAME_LABEL, "edge"));
    Proxy other =
        proxy("router", NS, Map.of(RequestAuthenticationSelection.GATEWAY_NAME_LABEL, "other"));
    Proxy edgeElsewhere =
        proxy(
            "router",
            "elsewhere",
            Map.of(RequestAuthenticationSelection.GATEWAY_NAME_LABEL, "edge"));
    assertThat(jwtAuthn(push, edge).getProvidersOrThrow("origins-0").getIssuer())
        .isEqualTo("edge-issuer");
    assertThat(jwtAuthn(push, other)).isNull();
    assertThat(jwtAuthn(push, edgeElsewhere)).isNull();
    // A policy aimed by targetRef never falls back to "every workload of the namespace".
    assertThat(jwtAuthn(push, APP)).isNull();
  }

  @Test
  void legacyTargetRefIsHonoured() {
    var push =
        push(
            requestAuthentication(
                NS,
                "edge",
                "targetRef: {group: gateway.networking.k8s.io, kind: Gateway, name: edge}\n"
                    + rule("edge-issuer")));
    Proxy edge =
        proxy("router", NS, Map.of(RequestAuthenticationSelection.GATEWAY_NAME_LABEL, "edge"));
    assertThat(jwtAuthn(push, edge)).isNotNull();
    assertThat(jwtAuthn(push, APP)).isNull();
  }

  @Test
  void selectionIsComputedOncePerNamespaceLabelsAndProxyType() {
    var push = push(requestAuthentication(NS, "ns", rule("ns-issuer")));
    RequestAuthenticationSelection selection = RequestAuthenticationSelection.of(push);
    assertThat(RequestAuthenticationSelection.of(push)).isSameAs(selection);
    List<io.jistiod.galley.config.Config> first = selection.select(APP);
    assertThat(first).extracting(c -> c.name()).containsExactly("ns");
    assertThat(selection.select(sidecar(NS, Map.of("app", "web")))).isSameAs(first);
    assertThat(selection.select(proxy("router", NS, Map.of("app", "web")))).isNotSameAs(first);
    assertThat(selection.select(sidecar(NS, Map.of("app", "db")))).isNotSameAs(first);
  }

  @Test
  void selectorPoliciesApplyToGatewayApiGatewaysButNotToWaypoints() {
    var push = push(requestAuthentication(NS, "ns", rule("ns-issuer")));
    Map<String, String> labels = Map.of(RequestAuthenticationSelection.GATEWAY_NAME_LABEL, "edge");
    assertThat(jwtAuthn(push, proxy("router", NS, labels))).isNotNull();
    assertThat(jwtAuthn(push, proxy("waypoint", NS, labels))).isNull();
  }

  @Test
  void jwksUriKeysComeFromTheResolverWithTheRuleTimeout() {
    List<String> asked = new ArrayList<>();
    JwksSource source =
        (issuer, uri, timeout, by) -> {
          asked.add(issuer + " " + uri + " " + timeout + " " + by);
          return Optional.of("{\"keys\":[]}");
        };
    var push =
        push(
            source,
            requestAuthentication(
                NS,
                "remote",
                """
                jwtRules:
                - {issuer: a, jwksUri: 'https://a.example.com/jwks'}
                - {issuer: b, jwksUri: 'https://b.example.com/jwks', timeout: 2s}
                """));
    JwtAuthentication a = jwtAuthn(push, APP);
    assertThat(a.getProvidersOrThrow("origins-0").getLocalJwks().getInlineString())
        .isEqualTo("{\"keys\":[]}");
    assertThat(asked)
        .containsExactly(
            "a https://a.example.com/jwks PT5S RequestAuthentication app/remote spec.jwtRules[0]",
            "b https://b.example.com/jwks PT2S RequestAuthentication app/remote spec.jwtRules[1]");
  }

  @Test
  void unresolvedJwksUriGetsTheJwksThatRejectsEveryToken() {
    var push =
        push(
            requestAuthentication(
                NS, "remote", "jwtRules:\n- {issuer: a, jwksUri: 'https://a.example.com/jwks'}\n"));
    JwtProvider p = jwtAuthn(push, APP).getProvidersOrThrow("origins-0");
    assertThat(p.getLocalJwks().getInlineString()).isEqualTo(FakeJwks.JSON);
    assertThat(p.hasRemoteJwks()).isFalse();
    // istiod's exact text, so both control planes send the same listener.
    assertThat(FakeJwks.JSON).startsWith("{\n  \"keys\": [\n    {\n      \"d\": \"T6cYL1_1mWHQ");
    assertThat(FakeJwks.JSON).endsWith("\n    }\n  ]\n}");
    assertThat(JwksFetcher.parse(FakeJwks.JSON).get("keys").get(0).get("kty").asText())
        .isEqualTo("RSA");
  }

  @Test
  void requiredPresenceDropsAllowMissing() {
    var push =
        push(
            requestAuthentication(
                NS,
                "ra",
                """
                jwtRules:
                - issuer: a
                  jwks: '%s'
                  presence: REQUIRED
                  spaceDelimitedClaims: [roles, scope]
                """
                    .formatted(KEYS)));
    JwtAuthentication a = jwtAuthn(push, APP);
    assertThat(a.getRules(0).getRequires()).isEqualTo(byName("origins-0"));
    assertThat(
            a.getProvidersOrThrow("origins-0")
                .getNormalizePayloadInMetadata()
                .getSpaceDelimitedClaimsList())
        .containsExactly("scope", "permission", "roles");
  }

  @Test
  void sameIssuerInTwoPoliciesGivesTwoProviders() {
    var push =
        push(
            requestAuthentication(NS, "one", rule("same")),
            requestAuthentication("istio-system", "two", rule("same")));
    assertThat(jwtAuthn(push, APP).getProvidersMap()).containsOnlyKeys("origins-0", "origins-1");
  }

  private static JwtRequirement byName(String name) {
    return JwtRequirement.newBuilder().setProviderName(name).build();
  }

  private static JwtRequirement optional(String name) {
    return JwtRequirement.newBuilder()
        .setRequiresAny(
            io.envoyproxy.envoy.extensions.filters.http.jwt_authn.v3.JwtRequirementOrList
                .newBuilder()
                .addRequirements(byName(name))
                .addRequirements(
                    JwtRequirement.newBuilder().setAllowMissing(Empty.getDefaultInstance())))
        .build();
  }
}
