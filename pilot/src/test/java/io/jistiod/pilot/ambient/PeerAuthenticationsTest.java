package io.jistiod.pilot.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** PeerAuthentications in ztunnel's form, as istiod 1.27 converts them. */
class PeerAuthenticationsTest {
  private static final String ROOT = "istio-system";
  private static final Map<String, String> PRODUCTPAGE = Map.of("app", "productpage");

  private static List<Config> parse(String yaml) {
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml, "test");
    assertThat(r.errors()).isEmpty();
    return r.configs();
  }

  private static Map<String, String> resources(ZtunnelPolicies p) {
    return p.policies().stream()
        .collect(
            Collectors.toMap(
                ZtunnelPolicies.Policy::name,
                x -> {
                  try {
                    return JsonFormat.printer()
                        .omittingInsignificantWhitespace()
                        .print(x.authorization());
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                }));
  }

  @Test
  void noPeerAuthenticationNoPolicy() {
    ZtunnelPolicies p = ZtunnelPolicies.convert(List.of(), List.of(), ROOT);
    assertThat(p.policies()).isEmpty();
    assertThat(p.selecting("shop", PRODUCTPAGE, ROOT)).isEmpty();
  }

  @Test
  void aStrictMeshTheStaticPolicyAndWhoListsIt() {
    List<Config> pas =
        parse(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: relaxed, namespace: legacy}
            spec: {mtls: {mode: PERMISSIVE}}
            """);
    ZtunnelPolicies p = ZtunnelPolicies.convert(List.of(), pas, ROOT);

    assertThat(resources(p))
        .containsExactly(
            Map.entry(
                "istio-system/istio_converted_static_strict",
                "{\"name\":\"istio_converted_static_strict\",\"namespace\":\"istio-system\","
                    + "\"scope\":\"WORKLOAD_SELECTOR\",\"action\":\"DENY\",\"groups\":[{\"rules\":"
                    + "[{\"matches\":[{\"notPrincipals\":[{\"presence\":{}}]}]}]}]}"));
    assertThat(p.selecting("shop", PRODUCTPAGE, ROOT))
        .containsExactly("istio-system/istio_converted_static_strict");
    assertThat(p.selecting("legacy", PRODUCTPAGE, ROOT)).isEmpty();
  }

  @Test
  void aPermissivePortUnderAStrictMeshIsAnExceptionMergedWithStrict() {
    List<Config> pas =
        parse(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: default, namespace: istio-system}
            spec: {mtls: {mode: STRICT}}
            ---
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: pp, namespace: shop}
            spec:
              selector: {matchLabels: {app: productpage}}
              portLevelMtls: {"8080": {mode: PERMISSIVE}}
            """);
    ZtunnelPolicies p = ZtunnelPolicies.convert(List.of(), pas, ROOT);

    assertThat(resources(p))
        .containsEntry(
            "shop/converted_peer_authentication_pp",
            "{\"name\":\"converted_peer_authentication_pp\",\"namespace\":\"shop\","
                + "\"scope\":\"WORKLOAD_SELECTOR\",\"action\":\"DENY\",\"groups\":[{\"rules\":["
                + "{\"matches\":[{\"notDestinationPorts\":[8080]}]},"
                + "{\"matches\":[{\"notPrincipals\":[{\"presence\":{}}]}]}]}]}");
    // its own policy holds the STRICT default: the static one is not listed too
    assertThat(p.selecting("shop", PRODUCTPAGE, ROOT))
        .containsExactly("shop/converted_peer_authentication_pp");
    assertThat(p.selecting("shop", Map.of("app", "reviews"), ROOT))
        .containsExactly("istio-system/istio_converted_static_strict");
  }

  @Test
  void aStrictPortOfAPermissiveWorkloadIsAGroupOfItsOwn() {
    List<Config> pas =
        parse(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: pp, namespace: shop}
            spec:
              selector: {matchLabels: {app: productpage}}
              mtls: {mode: PERMISSIVE}
              portLevelMtls: {"9090": {mode: STRICT}, "8080": {mode: STRICT}}
            """);
    ZtunnelPolicies p = ZtunnelPolicies.convert(List.of(), pas, ROOT);

    assertThat(resources(p))
        .containsEntry(
            "shop/converted_peer_authentication_pp",
            "{\"name\":\"converted_peer_authentication_pp\",\"namespace\":\"shop\","
                + "\"scope\":\"WORKLOAD_SELECTOR\",\"action\":\"DENY\",\"groups\":["
                + "{\"rules\":[{\"matches\":[{\"notPrincipals\":[{\"presence\":{}}],\"destinationPorts\":[8080]}]}]},"
                + "{\"rules\":[{\"matches\":[{\"notPrincipals\":[{\"presence\":{}}],\"destinationPorts\":[9090]}]}]}]}");
    assertThat(p.selecting("shop", PRODUCTPAGE, ROOT))
        .containsExactly("shop/converted_peer_authentication_pp");
  }

  @Test
  void aStrictWorkloadWithOnlyStrictPortsIsJustStrict() {
    List<Config> pas =
        parse(
            """
            apiVersion: security.istio.io/v1
            kind: PeerAuthentication
            metadata: {name: pp, namespace: shop}
            spec:
              selector: {matchLabels: {app: productpage}}
              mtls: {mode: STRICT}
              portLevelMtls: {"9090": {mode: STRICT}}
            """);
    ZtunnelPolicies p = ZtunnelPolicies.convert(List.of(), pas, ROOT);

    assertThat(resources(p)).containsOnlyKeys("istio-system/istio_converted_static_strict");
    assertThat(p.selecting("shop", PRODUCTPAGE, ROOT))
        .containsExactly("istio-system/istio_converted_static_strict");
  }
}
