package io.jistiod.pilot.envoy.cluster;

import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART;
import static io.jistiod.pilot.envoy.cluster.EnvoyMeshes.CART_80;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** TLS origination from DestinationRules, and auto mTLS when they set none. */
class UpstreamTlsTest {
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private Map<String, Cluster> withRule(String spec) throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: DestinationRule
            metadata: {name: cart, namespace: shop}
            spec:
            """
                + spec.indent(2));
    return EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()));
  }

  @Test
  void autoMtlsMatchesSidecarEndpointsAndFallsBackToPlaintext() throws Exception {
    istiod = EnvoyMeshes.istiod();
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode())).get(CART_80);
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesList())
        .extracting(m -> m.getName())
        .containsExactly("tlsMode-istio", "tlsMode-disabled");
    var istio = c.getTransportSocketMatches(0);
    assertThat(istio.getMatch().getFieldsOrThrow("tlsMode").getStringValue()).isEqualTo("istio");
    UpstreamTlsContext tls =
        istio.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
    assertIstioMutual(tls, "outbound_.80_._." + CART);
    assertThat(c.getTransportSocketMatches(1).getMatch().getFieldsCount()).isZero();
    assertThat(c.getTransportSocketMatches(1).getTransportSocket().getName())
        .isEqualTo("envoy.transport_sockets.raw_buffer");
  }

  @Test
  void istioMutualUsesWorkloadCertificateRootAndSubsetSni() throws Exception {
    Map<String, Cluster> c =
        withRule(
            """
            host: cart
            trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
            subsets: [{name: v1, labels: {version: v1}}]
            """);
    assertIstioMutual(EnvoyMeshes.tls(c.get(CART_80)), "outbound_.80_._." + CART);
    assertIstioMutual(
        EnvoyMeshes.tls(c.get("outbound|80|v1|" + CART)), "outbound_.80_.v1_." + CART);
    assertThat(c.get(CART_80).getTransportSocketMatchesCount()).isZero();
  }

  private static void assertIstioMutual(UpstreamTlsContext tls, String sni) {
    assertThat(tls.getSni()).isEqualTo(sni);
    var common = tls.getCommonTlsContext();
    assertThat(common.getAlpnProtocolsList()).containsExactly("istio-peer-exchange", "istio");
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getName()).isEqualTo("default");
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getSdsConfig().hasInitialFetchTimeout())
        .isTrue();
    var validation = common.getCombinedValidationContext();
    assertThat(validation.getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
    assertThat(validation.getDefaultValidationContext().getMatchSubjectAltNamesList())
        .extracting(m -> m.getExact())
        .containsExactly("spiffe://cluster.local/ns/shop/sa/cart");
  }

  @Test
  void disableTurnsOffTlsEvenAutoMtls() throws Exception {
    Cluster c = withRule("host: cart\ntrafficPolicy: {tls: {mode: DISABLE}}").get(CART_80);
    assertThat(c.hasTransportSocket()).isFalse();
    assertThat(c.getTransportSocketMatchesCount()).isZero();
  }

  @Test
  void simpleWithoutCaUsesTheSystemRootsAndAutoSni() throws Exception {
    Cluster c = withRule("host: cart\ntrafficPolicy: {tls: {mode: SIMPLE}}").get(CART_80);
    UpstreamTlsContext tls = EnvoyMeshes.tls(c);
    assertThat(tls.getSni()).isEmpty();
    assertThat(
            tls.getCommonTlsContext()
                .getCombinedValidationContext()
                .getValidationContextSdsSecretConfig()
                .getName())
        .isEqualTo("file-root:system");
    var upstream = EnvoyMeshes.http(c).getUpstreamHttpProtocolOptions();
    assertThat(upstream.getAutoSni()).isTrue();
    assertThat(upstream.getAutoSanValidation()).isTrue();
    assertThat(
            c.getMetadata()
                .getFilterMetadataOrThrow("istio")
                .getFieldsOrThrow("alpn_override")
                .getStringValue())
        .isEqualTo("false");
  }

  @Test
  void simpleWithSniSansAndCa() throws Exception {
    Cluster c =
        withRule(
                """
                host: cart
                trafficPolicy:
                  tls: {mode: SIMPLE, sni: cart.example, subjectAltNames: [cart.example], caCertificates: /etc/ca.pem}
                """)
            .get(CART_80);
    UpstreamTlsContext tls = EnvoyMeshes.tls(c);
    assertThat(tls.getSni()).isEqualTo("cart.example");
    var validation = tls.getCommonTlsContext().getCombinedValidationContext();
    assertThat(validation.getValidationContextSdsSecretConfig().getName())
        .isEqualTo("file-root:/etc/ca.pem");
    assertThat(validation.getDefaultValidationContext().getMatchSubjectAltNames(0).getExact())
        .isEqualTo("cart.example");
    assertThat(c.getTypedExtensionProtocolOptionsMap()).isEmpty();
  }

  @Test
  void mutualWithFilesAndInsecureSkipVerify() throws Exception {
    Cluster c =
        withRule(
                """
                host: cart
                trafficPolicy:
                  tls: {mode: MUTUAL, sni: cart.example, clientCertificate: /c.pem, privateKey: /k.pem, insecureSkipVerify: true}
                """)
            .get(CART_80);
    var common = EnvoyMeshes.tls(c).getCommonTlsContext();
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("file-cert:/c.pem~/k.pem");
    assertThat(common.hasValidationContext()).isTrue();
    assertThat(common.hasCombinedValidationContext()).isFalse();
  }

  @Test
  void credentialNameOnlyThroughARuleWithAWorkloadSelector() throws Exception {
    String tls =
        "trafficPolicy: {tls: {mode: MUTUAL, credentialName: cart-client, sni: cart.example}}";
    Cluster everyone = withRule("host: cart\n" + tls).get(CART_80);
    assertThat(everyone.hasTransportSocket()).isFalse();
    istiod.close();
    Cluster selected =
        withRule("host: cart\nworkloadSelector: {matchLabels: {app: client}}\n" + tls).get(CART_80);
    var common = EnvoyMeshes.tls(selected).getCommonTlsContext();
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("kubernetes://cart-client");
    assertThat(common.getTlsCertificateSdsSecretConfigs(0).getSdsConfig().hasAds()).isTrue();
    assertThat(
            common.getCombinedValidationContext().getValidationContextSdsSecretConfig().getName())
        .isEqualTo("kubernetes://cart-client-cacert");
  }

  @Test
  void portLevelAndSubsetTlsOverrideTheRule() throws Exception {
    Map<String, Cluster> c =
        withRule(
            """
            host: cart
            trafficPolicy:
              tls: {mode: ISTIO_MUTUAL}
              portLevelSettings:
              - port: {number: 9090}
                tls: {mode: DISABLE}
            subsets:
            - name: plain
              labels: {version: v1}
              trafficPolicy: {tls: {mode: SIMPLE, sni: v1.cart}}
            """);
    assertThat(c.get("outbound|9090||" + CART).hasTransportSocket()).isFalse();
    assertThat(EnvoyMeshes.tls(c.get("outbound|80|plain|" + CART)).getSni()).isEqualTo("v1.cart");
    assertThat(EnvoyMeshes.tls(c.get(CART_80)).getSni()).isEqualTo("outbound_.80_._." + CART);
  }

  @Test
  void serviceEntrySubjectAltNamesAreExpectedToo() throws Exception {
    istiod =
        EnvoyMeshes.istiod(
            """
            apiVersion: networking.istio.io/v1
            kind: ServiceEntry
            metadata: {name: vm, namespace: shop}
            spec:
              hosts: [vm.shop.internal]
              location: MESH_INTERNAL
              resolution: STATIC
              subjectAltNames: ["spiffe://cluster.local/ns/shop/sa/vm"]
              ports: [{name: http, number: 80, protocol: HTTP}]
              endpoints:
              - {address: 10.1.0.40, serviceAccount: legacy}
            """);
    Cluster c =
        EnvoyMeshes.clusters(istiod, EnvoyMeshes.proxy(EnvoyMeshes.sidecarNode()))
            .get("outbound|80||vm.shop.internal");
    UpstreamTlsContext tls =
        c.getTransportSocketMatches(0)
            .getTransportSocket()
            .getTypedConfig()
            .unpack(UpstreamTlsContext.class);
    assertThat(
            tls.getCommonTlsContext()
                .getCombinedValidationContext()
                .getDefaultValidationContext()
                .getMatchSubjectAltNamesList())
        .extracting(m -> m.getExact())
        .containsExactly(
            "spiffe://cluster.local/ns/shop/sa/legacy", "spiffe://cluster.local/ns/shop/sa/vm");
  }
}
