package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.DataSource;
import io.envoyproxy.envoy.config.core.v3.ProxyProtocolConfig;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.proxy_protocol.v3.ProxyProtocolUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import java.util.List;

/**
 * TLS origination for a cluster, from a DestinationRule's {@code tls} or from auto mTLS.
 * ISTIO_MUTUAL uses the workload certificate and mesh root over SDS and advertises Istio's ALPN;
 * SIMPLE and MUTUAL use files (served over SDS by pilot-agent) or a {@code credentialName}. Auto
 * mTLS (the rule sets no TLS) becomes a transport socket match: mTLS to endpoints labelled {@code
 * tlsMode: istio}, plaintext to the rest.
 */
final class UpstreamTls {
  private UpstreamTls() {}

  static final String TLS_SOCKET = "envoy.transport_sockets.tls";
  private static final List<String> ALPN_MESH = List.of("istio-peer-exchange", "istio");
  private static final List<String> ALPN_MESH_H2 = List.of("istio-peer-exchange", "istio", "h2");

  /** What the cluster's TLS comes from. */
  record Context(
      List<String> serviceAccounts,
      String istioSni,
      boolean autoMtls,
      boolean meshExternal,
      boolean mtlsDisabled,
      boolean externalRegistry,
      boolean sidecar,
      boolean ruleHasWorkloadSelector,
      boolean hbone) {}

  /** Applies {@code tls} (null = the rule sets none) to the cluster being built. */
  static void apply(ClusterDraft draft, ClientTLSSettings tls, Context ctx) {
    boolean autoDetected = false;
    ClientTLSSettings effective = tls;
    if (tls != null) {
      if (tls.getMode() == ClientTLSSettings.TLSmode.ISTIO_MUTUAL) {
        effective =
            ClientTLSSettings.newBuilder()
                .setMode(ClientTLSSettings.TLSmode.ISTIO_MUTUAL)
                .setSni(tls.getSni().isEmpty() ? ctx.istioSni() : tls.getSni())
                .addAllSubjectAltNames(
                    tls.getSubjectAltNamesCount() > 0
                        ? tls.getSubjectAltNamesList()
                        : ctx.serviceAccounts())
                .build();
      }
    } else if (!ctx.meshExternal() && ctx.autoMtls() && !ctx.mtlsDisabled()) {
      effective =
          ClientTLSSettings.newBuilder()
              .setMode(ClientTLSSettings.TLSmode.ISTIO_MUTUAL)
              .setSni(ctx.istioSni())
              .addAllSubjectAltNames(ctx.serviceAccounts())
              .build();
      autoDetected = true;
    }
    if (refused(effective)) {
      return; // istiod gives up on the cluster's TLS: no socket, no HBONE either
    }
    UpstreamTlsContext context = context(draft, effective, ctx);
    TransportSocket socket =
        context == null
            ? null
            : TransportSocket.newBuilder()
                .setName(TLS_SOCKET)
                .setTypedConfig(Any.pack(context))
                .build();
    if (ctx.hbone()) {
      HboneSockets.apply(draft.cluster, effective, socket, autoDetected);
      return;
    }
    if (socket == null) {
      return;
    }
    if (autoDetected && draft.cluster.getType() != Cluster.DiscoveryType.ORIGINAL_DST) {
      draft.cluster.addTransportSocketMatches(
          Cluster.TransportSocketMatch.newBuilder()
              .setName("tlsMode-istio")
              .setMatch(
                  Struct.newBuilder()
                      .putFields("tlsMode", Value.newBuilder().setStringValue("istio").build()))
              .setTransportSocket(socket));
      draft.cluster.addTransportSocketMatches(
          Cluster.TransportSocketMatch.newBuilder()
              .setName("tlsMode-disabled")
              .setMatch(Struct.getDefaultInstance())
              .setTransportSocket(rawBuffer()));
    } else {
      draft.cluster.setTransportSocket(socket);
    }
  }

  /**
   * The TLS socket a waypoint's {@code inbound-vip} cluster wraps in its internal upstream: SIMPLE
   * and MUTUAL originate TLS as on any cluster; DISABLE and ISTIO_MUTUAL (the tunnel already
   * carries Istio mTLS) need none. Null for none, or when the settings cannot be built.
   */
  static TransportSocket forWaypoint(ClusterDraft draft, ClientTLSSettings tls, Context ctx) {
    if (tls == null
        || (tls.getMode() != ClientTLSSettings.TLSmode.SIMPLE
            && tls.getMode() != ClientTLSSettings.TLSmode.MUTUAL)
        || refused(tls)) {
      return null;
    }
    UpstreamTlsContext context = context(draft, tls, ctx);
    return context == null
        ? null
        : TransportSocket.newBuilder()
            .setName(TLS_SOCKET)
            .setTypedConfig(Any.pack(context))
            .build();
  }

  /** {@code inner} behind a PROXY protocol header of the policy's version. */
  static TransportSocket proxyProtocol(TrafficPolicy.ProxyProtocol pp, TransportSocket inner) {
    return proxyProtocol(
        pp.getVersion() == TrafficPolicy.ProxyProtocol.VERSION.V2
            ? ProxyProtocolConfig.Version.V2
            : ProxyProtocolConfig.Version.V1,
        inner);
  }

  /**
   * Sends a PROXY protocol header first: wraps the cluster's transport socket, each of its matches,
   * or plaintext when it has none.
   */
  static void wrapInProxyProtocol(Cluster.Builder c, TrafficPolicy.ProxyProtocol pp) {
    ProxyProtocolConfig.Version version =
        pp.getVersion() == TrafficPolicy.ProxyProtocol.VERSION.V2
            ? ProxyProtocolConfig.Version.V2
            : ProxyProtocolConfig.Version.V1;
    if (!c.hasTransportSocket() && c.getTransportSocketMatchesCount() == 0) {
      // istiod names this inner socket by its short name
      TransportSocket plain = rawBuffer().toBuilder().setName("raw_buffer").build();
      c.setTransportSocket(proxyProtocol(version, plain));
      return;
    }
    if (c.hasTransportSocket()) {
      c.setTransportSocket(proxyProtocol(version, c.getTransportSocket()));
    }
    for (Cluster.TransportSocketMatch.Builder m : c.getTransportSocketMatchesBuilderList()) {
      m.setTransportSocket(proxyProtocol(version, m.getTransportSocket()));
    }
  }

  private static TransportSocket proxyProtocol(
      ProxyProtocolConfig.Version version, TransportSocket inner) {
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.upstream_proxy_protocol")
        .setTypedConfig(
            Any.pack(
                ProxyProtocolUpstreamTransport.newBuilder()
                    .setConfig(ProxyProtocolConfig.newBuilder().setVersion(version))
                    .setTransportSocket(inner)
                    .build()))
        .build();
  }

  static TransportSocket rawBuffer() {
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.raw_buffer")
        .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance()))
        .build();
  }

  /** MUTUAL with neither a credential nor file certificates: istiod refuses to build it. */
  private static boolean refused(ClientTLSSettings tls) {
    return tls != null
        && tls.getMode() == ClientTLSSettings.TLSmode.MUTUAL
        && tls.getCredentialName().isEmpty()
        && (tls.getClientCertificate().isEmpty() || tls.getPrivateKey().isEmpty());
  }

  private static UpstreamTlsContext context(
      ClusterDraft draft, ClientTLSSettings tls, Context ctx) {
    if (tls == null) {
      return null;
    }
    // a credentialName on a sidecar only through a rule with a workloadSelector: otherwise every
    // sidecar in scope would wait for a secret it may not read
    boolean secret =
        !tls.getCredentialName().isEmpty() && !tls.getCredentialName().startsWith("configmap://");
    if (secret
        && ctx.sidecar()
        && !ctx.ruleHasWorkloadSelector()
        && (tls.getMode() == ClientTLSSettings.TLSmode.SIMPLE
            || tls.getMode() == ClientTLSSettings.TLSmode.MUTUAL)) {
      return null;
    }
    switch (tls.getMode()) {
      case ISTIO_MUTUAL:
        return istioMutual(draft, tls);
      case SIMPLE:
        return originate(draft, tls, ctx, false);
      case MUTUAL:
        return originate(draft, tls, ctx, true);
      default:
        return null;
    }
  }

  private static UpstreamTlsContext istioMutual(ClusterDraft draft, ClientTLSSettings tls) {
    CommonTlsContext.Builder common =
        commonDefaults()
            .addTlsCertificateSdsSecretConfigs(SdsConfigs.workload(SdsConfigs.DEFAULT))
            .setCombinedValidationContext(
                CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                    .setDefaultValidationContext(sans(tls.getSubjectAltNamesList()))
                    .setValidationContextSdsSecretConfig(SdsConfigs.workload(SdsConfigs.ROOTCA)))
            .addAllAlpnProtocols(draft.isHttp2() ? ALPN_MESH_H2 : ALPN_MESH);
    String sni = tls.getSni().isEmpty() ? draft.cluster.getName() : tls.getSni();
    return UpstreamTlsContext.newBuilder().setCommonTlsContext(common).setSni(sni).build();
  }

  private static UpstreamTlsContext originate(
      ClusterDraft draft, ClientTLSSettings tls, Context ctx, boolean mutual) {
    UpstreamTlsContext.Builder out = UpstreamTlsContext.newBuilder().setSni(tls.getSni());
    CommonTlsContext.Builder common = commonDefaults();
    boolean insecure = tls.hasInsecureSkipVerify() && tls.getInsecureSkipVerify().getValue();
    // without an explicit SNI Envoy takes it from the request's host, and checks the SAN likewise
    if (tls.getSni().isEmpty()) {
      var upstream = draft.http().getUpstreamHttpProtocolOptionsBuilder();
      upstream.setAutoSni(true);
      if (tls.getSubjectAltNamesCount() == 0 && !insecure) {
        upstream.setAutoSanValidation(true);
      }
    }
    List<String> sans = tls.getSubjectAltNamesList();
    if (ctx.externalRegistry() && sans.isEmpty()) {
      sans = ctx.serviceAccounts();
    }
    if (!tls.getCredentialName().isEmpty()) {
      if (mutual) {
        common.addTlsCertificateSdsSecretConfigs(SdsConfigs.credential(tls.getCredentialName()));
      }
      if (!insecure) {
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(sans(sans))
                .setValidationContextSdsSecretConfig(
                    SdsConfigs.credential(tls.getCredentialName() + SdsConfigs.CA_SUFFIX)));
      }
    } else {
      String ca = tls.getCaCertificates().isEmpty() ? "system" : tls.getCaCertificates();
      if (mutual) {
        if (tls.getClientCertificate().isEmpty() || tls.getPrivateKey().isEmpty()) {
          return null; // istiod refuses the TLS settings and leaves the cluster plaintext
        }
        common.addTlsCertificateSdsSecretConfigs(
            SdsConfigs.file("file-cert:" + tls.getClientCertificate() + "~" + tls.getPrivateKey()));
      }
      if (insecure) {
        common.setValidationContext(CertificateValidationContext.getDefaultInstance());
      } else {
        CertificateValidationContext.Builder validation = sans(sans).toBuilder();
        if (!tls.getCaCrl().isEmpty()) {
          validation.setCrl(DataSource.newBuilder().setFilename(tls.getCaCrl()));
        }
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(validation)
                .setValidationContextSdsSecretConfig(SdsConfigs.file("file-root:" + ca)));
      }
    }
    if (draft.isHttp2()) {
      common.addAlpnProtocols("h2");
    }
    return out.setCommonTlsContext(common).build();
  }

  private static CommonTlsContext.Builder commonDefaults() {
    return CommonTlsContext.newBuilder()
        .setTlsParams(
            TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_2)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3));
  }

  private static CertificateValidationContext sans(List<String> names) {
    CertificateValidationContext.Builder b = CertificateValidationContext.newBuilder();
    for (String n : names) {
      b.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(n));
    }
    return b.build();
  }
}
