package io.jistiod.pilot.envoy.listener;

import static io.jistiod.pilot.envoy.listener.ListenerFixture.SIDECAR_IP;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.listeners;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.push;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.service;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.sidecar;
import static io.jistiod.pilot.envoy.listener.ListenerFixture.tls;
import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import java.util.List;
import org.junit.jupiter.api.Test;

/** virtualInbound's chains per PeerAuthentication mode, as istiod builds them. */
class SidecarInboundMtlsTest {
  private static final String WEB = service("web", "10.0.0.1", 80, "http", SIDECAR_IP, 8080);
  private static final String DB = service("db", "10.0.0.2", 5432, "tcp", SIDECAR_IP, 5432);

  private static String pa(String namespace, String name, String spec) {
    return """
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: %s, namespace: %s}
        spec: %s
        ---
        """
        .formatted(name, namespace, spec);
  }

  private static Listener inbound(String... policies) {
    return inbound(MeshConfigs.defaults(), policies);
  }

  private static Listener inbound(MeshConfig mesh, String... policies) {
    String[] yaml = new String[policies.length + 2];
    yaml[0] = WEB;
    yaml[1] = DB;
    System.arraycopy(policies, 0, yaml, 2, policies.length);
    return listeners(sidecar(), push(mesh, yaml)).get("virtualInbound");
  }

  private static List<FilterChain> chainsForPort(Listener l, int port) {
    return l.getFilterChainsList().stream()
        .filter(c -> c.getFilterChainMatch().getDestinationPort().getValue() == port)
        .toList();
  }

  /** transport protocol, ALPNs and whether the chain terminates TLS, one string per chain. */
  private static List<String> shape(List<FilterChain> chains) {
    return chains.stream()
        .map(
            c ->
                c.getName()
                    + " "
                    + c.getFilterChainMatch().getTransportProtocol()
                    + " "
                    + c.getFilterChainMatch().getApplicationProtocolsList()
                    + (c.hasTransportSocket() ? " mtls" : ""))
        .toList();
  }

  @Test
  void meshStrictLeavesOnlyMutualTlsChainsThatRequireAClientCertificate() {
    Listener l = inbound(pa("istio-system", "default", "{mtls: {mode: STRICT}}"));
    assertThat(shape(chainsForPort(l, 8080))).containsExactly("0.0.0.0_8080 tls [] mtls");
    assertThat(shape(chainsForPort(l, 5432))).containsExactly("0.0.0.0_5432 tls [] mtls");
    assertThat(shape(chainsForPort(l, 0)))
        .containsExactly(
            "virtualInbound-catchall-http tls [istio-http/1.0, istio-http/1.1, istio-h2] mtls",
            "virtualInbound tls [] mtls");
    for (FilterChain c : l.getFilterChainsList()) {
      if (c.getName().equals(InboundListenerBuilder.BLACKHOLE_CHAIN)) {
        continue;
      }
      DownstreamTlsContext ctx = tls(c);
      assertThat(ctx.getRequireClientCertificate().getValue()).isTrue();
      assertThat(ctx.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
          .isEqualTo("default");
      var validation = ctx.getCommonTlsContext().getCombinedValidationContext();
      assertThat(validation.getValidationContextSdsSecretConfig().getName()).isEqualTo("ROOTCA");
      assertThat(validation.getDefaultValidationContext().getMatchSubjectAltNames(0).getPrefix())
          .isEqualTo("spiffe://cluster.local/");
    }
    // HTTP chains offer h2/http1.1, TCP chains add the metadata exchange protocol
    assertThat(tls(chainsForPort(l, 8080).get(0)).getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("h2", "http/1.1");
    assertThat(tls(chainsForPort(l, 5432).get(0)).getCommonTlsContext().getAlpnProtocolsList())
        .containsExactly("istio-peer-exchange", "h2", "http/1.1");
  }

  @Test
  void namespaceDisableLeavesOnlyPlaintextChains() {
    Listener l = inbound(pa("shop", "default", "{mtls: {mode: DISABLE}}"));
    assertThat(shape(chainsForPort(l, 8080))).containsExactly("0.0.0.0_8080 raw_buffer []");
    assertThat(shape(chainsForPort(l, 5432))).containsExactly("0.0.0.0_5432 raw_buffer []");
    assertThat(shape(chainsForPort(l, 0)))
        .containsExactly(
            "virtualInbound-catchall-http raw_buffer [http/1.1, h2c]",
            "virtualInbound raw_buffer []");
    // nothing to tell apart by TLS any more: no TLS inspector
    assertThat(l.getListenerFiltersList())
        .extracting(f -> f.getName())
        .doesNotContain("envoy.filters.listener.tls_inspector");
  }

  @Test
  void workloadPermissiveOverridesNamespaceDisable() {
    Listener l =
        inbound(
            pa("shop", "default", "{mtls: {mode: DISABLE}}"),
            pa(
                "shop",
                "client",
                "{selector: {matchLabels: {app: client}}, mtls: {mode: PERMISSIVE}}"));
    assertThat(shape(chainsForPort(l, 8080)))
        .containsExactly(
            "0.0.0.0_8080 tls [istio, istio-peer-exchange, istio-http/1.0, istio-http/1.1, istio-h2]"
                + " mtls",
            "0.0.0.0_8080 raw_buffer []");
    assertThat(chainsForPort(l, 0)).hasSize(5);
  }

  @Test
  void portLevelStrictChangesOnlyThatPort() {
    Listener l =
        inbound(
            pa(
                "shop",
                "client",
                "{selector: {matchLabels: {app: client}}, portLevelMtls: {5432: {mode: STRICT}}}"));
    assertThat(shape(chainsForPort(l, 5432))).containsExactly("0.0.0.0_5432 tls [] mtls");
    assertThat(chainsForPort(l, 8080)).hasSize(2);
    assertThat(chainsForPort(l, 0)).hasSize(5);
  }

  @Test
  void portLevelModeForAPortNoServiceDeclaresGetsPassthroughChainsOfItsOwn() {
    Listener l =
        inbound(
            pa(
                "shop",
                "client",
                "{selector: {matchLabels: {app: client}}, mtls: {mode: STRICT},"
                    + " portLevelMtls: {9000: {mode: DISABLE}, 8080: {mode: PERMISSIVE}}}"));
    assertThat(shape(chainsForPort(l, 9000)))
        .containsExactly(
            "virtualInbound-catchall-http raw_buffer [http/1.1, h2c]",
            "virtualInbound raw_buffer []");
    assertThat(chainsForPort(l, 8080)).hasSize(2);
    assertThat(shape(chainsForPort(l, 0))).hasSize(2).allMatch(s -> s.endsWith(" mtls"));
    assertThat(shape(chainsForPort(l, 5432))).containsExactly("0.0.0.0_5432 tls [] mtls");
  }

  @Test
  void policiesOfOtherWorkloadsAndNamespacesDoNotApply() {
    Listener l =
        inbound(
            pa("other", "default", "{mtls: {mode: STRICT}}"),
            pa("shop", "db", "{selector: {matchLabels: {app: db}}, mtls: {mode: STRICT}}"));
    assertThat(chainsForPort(l, 8080)).hasSize(2);
    assertThat(chainsForPort(l, 0)).hasSize(5);
  }

  @Test
  void meshMtlsSettingsAndExtraTrustDomainsReachTheServerContext() {
    MeshConfig mesh =
        MeshConfigs.defaults().toBuilder()
            .setTrustDomain("example.org")
            .addTrustDomainAliases("old.example.org")
            .addCaCertificates(
                MeshConfig.CertificateData.newBuilder()
                    .setPem("unused")
                    .addTrustDomains("partner.example")
                    .addTrustDomains("example.org"))
            .setMeshMTLS(
                MeshConfig.TLSConfig.newBuilder()
                    .setMinProtocolVersion(MeshConfig.TLSConfig.TLSProtocol.TLSV1_3)
                    .addCipherSuites("ECDHE-ECDSA-AES256-GCM-SHA384"))
            .build();
    Listener l = inbound(mesh, pa("istio-system", "default", "{mtls: {mode: STRICT}}"));
    DownstreamTlsContext ctx = tls(chainsForPort(l, 8080).get(0));
    TlsParameters params = ctx.getCommonTlsContext().getTlsParams();
    assertThat(params.getTlsMinimumProtocolVersion()).isEqualTo(TlsParameters.TlsProtocol.TLSv1_3);
    assertThat(params.getCipherSuitesList()).containsExactly("ECDHE-ECDSA-AES256-GCM-SHA384");
    assertThat(
            ctx.getCommonTlsContext()
                .getCombinedValidationContext()
                .getDefaultValidationContext()
                .getMatchSubjectAltNamesList())
        .extracting(m -> m.getPrefix())
        .containsExactly(
            "spiffe://example.org/", "spiffe://old.example.org/", "spiffe://partner.example/");
  }

  private static final String SIDECAR_TLS =
      """
      apiVersion: networking.istio.io/v1
      kind: Sidecar
      metadata: {name: client, namespace: shop}
      spec:
        workloadSelector: {labels: {app: client}}
        ingress:
        - port: {number: 8443, protocol: HTTPS, name: https}
          defaultEndpoint: 127.0.0.1:8080
          tls:
            mode: SIMPLE
            serverCertificate: /etc/certs/cert.pem
            privateKey: /etc/certs/key.pem
      ---
      """;

  @Test
  void sidecarIngressTlsTerminatesOnlyWhereMtlsIsDisabled() {
    Listener disabled = inbound(SIDECAR_TLS, pa("shop", "default", "{mtls: {mode: DISABLE}}"));
    List<FilterChain> chains = chainsForPort(disabled, 8443);
    assertThat(shape(chains)).containsExactly("10.9.0.1_8443 tls [] mtls");
    DownstreamTlsContext ctx = tls(chains.get(0));
    assertThat(ctx.getRequireClientCertificate().getValue()).isFalse();
    assertThat(ctx.getCommonTlsContext().getTlsCertificateSdsSecretConfigs(0).getName())
        .isEqualTo("file-cert:/etc/certs/cert.pem~/etc/certs/key.pem");
    assertThat(ctx.getCommonTlsContext().getAlpnProtocolsList()).containsExactly("h2", "http/1.1");
    // HTTPS once terminated is served as HTTP (after the metadata exchange)
    assertThat(chains.get(0).getFilters(1).getName())
        .isEqualTo("envoy.filters.network.http_connection_manager");

    // with Istio mTLS on the port the Sidecar's TLS is ignored, as istiod does
    Listener permissive = inbound(SIDECAR_TLS);
    assertThat(shape(chainsForPort(permissive, 8443)))
        .containsExactly(
            "10.9.0.1_8443 tls [istio, istio-peer-exchange, istio-http/1.0, istio-http/1.1,"
                + " istio-h2] mtls",
            "10.9.0.1_8443 tls []",
            "10.9.0.1_8443 raw_buffer []");
    assertThat(tls(chainsForPort(permissive, 8443).get(0)).getRequireClientCertificate().getValue())
        .isTrue();
  }
}
