package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import java.util.List;

/**
 * Server-side TLS: Istio's mutual TLS between sidecars (workload certificate {@code default} and
 * root {@code ROOTCA}, both served by pilot-agent's SDS on the {@code sds-grpc} cluster), and the
 * gateway's credentials ({@code kubernetes://NAME}, served by istiod over ADS).
 */
final class DownstreamTls {
  private DownstreamTls() {}

  static final String WORKLOAD_CERT = "default";
  static final String ROOT_CERT = "ROOTCA";
  static final String CREDENTIAL_PREFIX = "kubernetes://";
  static final String CACERT_SUFFIX = "-cacert";

  /** HTTP chains offer h2 and HTTP/1.1; TCP chains also the peer exchange protocol. */
  static final List<String> HTTP_ALPNS = List.of("h2", "http/1.1");

  static final List<String> TCP_ALPNS = List.of("istio-peer-exchange", "h2", "http/1.1");

  /** Cipher suites istiod allows on mesh mTLS (no CBC, no SHA-1 MACs). */
  private static final List<String> MESH_CIPHERS =
      List.of(
          "ECDHE-ECDSA-AES256-GCM-SHA384",
          "ECDHE-RSA-AES256-GCM-SHA384",
          "ECDHE-ECDSA-AES128-GCM-SHA256",
          "ECDHE-RSA-AES128-GCM-SHA256",
          "AES256-GCM-SHA384",
          "AES128-GCM-SHA256");

  /** Secrets from pilot-agent's SDS server, reached over the bootstrap's sds-grpc cluster. */
  private static final ConfigSource AGENT_SDS =
      ConfigSource.newBuilder()
          .setApiConfigSource(
              ApiConfigSource.newBuilder()
                  .setApiType(ApiConfigSource.ApiType.GRPC)
                  .addGrpcServices(
                      GrpcService.newBuilder()
                          .setEnvoyGrpc(
                              GrpcService.EnvoyGrpc.newBuilder().setClusterName("sds-grpc")))
                  .setSetNodeOnFirstMessageOnly(true)
                  .setTransportApiVersion(ApiVersion.V3))
          .setInitialFetchTimeout(Duration.getDefaultInstance())
          .setResourceApiVersion(ApiVersion.V3)
          .build();

  /** Secrets istiod serves itself over the ADS stream (gateway credentials). */
  private static final ConfigSource ADS_SDS =
      ConfigSource.newBuilder()
          .setAds(AggregatedConfigSource.getDefaultInstance())
          .setResourceApiVersion(ApiVersion.V3)
          .build();

  /**
   * Istio mutual TLS on an inbound chain: the client must present a certificate of the mesh's trust
   * domains. MeshConfig {@code meshMTLS} may raise the minimum version to TLS 1.3 and replace the
   * cipher suites, as istiod allows.
   */
  static DownstreamTlsContext istioMutual(MeshConfig mesh, List<String> alpns) {
    MeshConfig.TLSConfig meshMtls = mesh.getMeshMTLS();
    CommonTlsContext common =
        CommonTlsContext.newBuilder()
            .setTlsParams(
                TlsParameters.newBuilder()
                    .setTlsMinimumProtocolVersion(
                        meshMtls.getMinProtocolVersion() == MeshConfig.TLSConfig.TLSProtocol.TLSV1_3
                            ? TlsParameters.TlsProtocol.TLSv1_3
                            : TlsParameters.TlsProtocol.TLSv1_2)
                    .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                    .addAllCipherSuites(
                        meshMtls.getCipherSuitesCount() > 0
                            ? meshMtls.getCipherSuitesList()
                            : MESH_CIPHERS))
            .addAllAlpnProtocols(alpns)
            .addTlsCertificateSdsSecretConfigs(agentSecret(WORKLOAD_CERT))
            .setCombinedValidationContext(
                CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                    .setDefaultValidationContext(
                        CertificateValidationContext.newBuilder()
                            .addAllMatchSubjectAltNames(trustDomainMatchers(mesh)))
                    .setValidationContextSdsSecretConfig(agentSecret(ROOT_CERT)))
            .build();
    return DownstreamTlsContext.newBuilder()
        .setCommonTlsContext(common)
        .setRequireClientCertificate(BoolValue.of(true))
        .build();
  }

  /**
   * A SPIFFE prefix per trust domain a peer may belong to: the mesh's, its aliases and those of the
   * extra roots in {@code caCertificates}, deduplicated in that order, as istiod lists them.
   */
  private static List<StringMatcher> trustDomainMatchers(MeshConfig mesh) {
    java.util.LinkedHashSet<String> domains = new java.util.LinkedHashSet<>();
    domains.add(mesh.getTrustDomain().isEmpty() ? "cluster.local" : mesh.getTrustDomain());
    domains.addAll(mesh.getTrustDomainAliasesList());
    for (MeshConfig.CertificateData ca : mesh.getCaCertificatesList()) {
      domains.addAll(ca.getTrustDomainsList());
    }
    domains.remove("");
    return domains.stream()
        .map(d -> StringMatcher.newBuilder().setPrefix("spiffe://" + d + "/").build())
        .toList();
  }

  /**
   * A gateway server's TLS: SIMPLE serves the credential's certificate; MUTUAL also checks client
   * certificates against the credential's CA ({@code NAME-cacert}); ISTIO_MUTUAL uses the gateway's
   * own workload certificate and the mesh root. Null for modes without termination.
   */
  static DownstreamTlsContext gateway(
      ServerTLSSettings tls, MeshConfig mesh, boolean tcpIstioMutual) {
    CommonTlsContext.Builder common = CommonTlsContext.newBuilder();
    common.addAllAlpnProtocols(tcpIstioMutual ? TCP_ALPNS : HTTP_ALPNS);
    if (tls.getMode() != ServerTLSSettings.TLSmode.ISTIO_MUTUAL) {
      tlsParams(tls).ifPresent(common::setTlsParams);
    }
    DownstreamTlsContext.Builder out = DownstreamTlsContext.newBuilder();
    CertificateValidationContext.Builder sans = CertificateValidationContext.newBuilder();
    for (String san : tls.getSubjectAltNamesList()) {
      sans.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san));
    }
    switch (tls.getMode()) {
      case SIMPLE -> {
        String name = credentialName(tls);
        if (name.isEmpty()) {
          return fileMounted(tls, common, sans, out, false);
        }
        credentials(tls).forEach(c -> common.addTlsCertificateSdsSecretConfigs(credential(c)));
        if (tls.getSubjectAltNamesCount() > 0) {
          common.setValidationContext(sans); // istiod keeps SANs listed on a SIMPLE server
        }
        out.setRequireClientCertificate(BoolValue.of(false));
      }
      case MUTUAL, OPTIONAL_MUTUAL -> {
        String name = credentialName(tls);
        if (name.isEmpty()) {
          return fileMounted(tls, common, sans, out, true);
        }
        credentials(tls).forEach(c -> common.addTlsCertificateSdsSecretConfigs(credential(c)));
        // client certificates pinned by SPKI or certificate hash, next to the SANs
        sans.addAllVerifyCertificateSpki(tls.getVerifyCertificateSpkiList())
            .addAllVerifyCertificateHash(tls.getVerifyCertificateHashList());
        String ca =
            tls.getCaCertCredentialName().isEmpty()
                ? resourceName(name) + CACERT_SUFFIX
                : resourceName(tls.getCaCertCredentialName());
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(sans)
                .setValidationContextSdsSecretConfig(adsSecret(ca)));
        out.setRequireClientCertificate(
            BoolValue.of(tls.getMode() == ServerTLSSettings.TLSmode.MUTUAL));
      }
      case ISTIO_MUTUAL -> {
        // a gateway checks only the SANs the server lists, not the trust domain
        common.addTlsCertificateSdsSecretConfigs(agentSecret(WORKLOAD_CERT));
        common.setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(sans)
                .setValidationContextSdsSecretConfig(agentSecret(ROOT_CERT)));
        out.setRequireClientCertificate(BoolValue.of(true));
      }
      default -> {
        return null;
      }
    }
    return out.setCommonTlsContext(common).build();
  }

  /**
   * A server without credential: certificates mounted into the gateway pod, which pilot-agent
   * serves over its SDS as {@code file-cert:CERT~KEY} and {@code file-root:CA}; without a
   * certificate and key, istiod falls back to the proxy's own workload certificate ({@code
   * default}) and, to check clients, to the mesh root ({@code ROOTCA}). Istio's validation keeps
   * such servers out of Istio Gateways, but a Gateway API listener whose first certificate
   * reference does not resolve (and whose second does) becomes one.
   */
  private static DownstreamTlsContext fileMounted(
      ServerTLSSettings tls,
      CommonTlsContext.Builder common,
      CertificateValidationContext.Builder sans,
      DownstreamTlsContext.Builder out,
      boolean mutual) {
    boolean keyPair = !tls.getServerCertificate().isEmpty() && !tls.getPrivateKey().isEmpty();
    common.addTlsCertificateSdsSecretConfigs(
        agentSecret(
            keyPair
                ? "file-cert:" + tls.getServerCertificate() + "~" + tls.getPrivateKey()
                : WORKLOAD_CERT));
    boolean require = tls.getMode() == ServerTLSSettings.TLSmode.MUTUAL;
    if (mutual) {
      common.setCombinedValidationContext(
          CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
              .setDefaultValidationContext(sans)
              .setValidationContextSdsSecretConfig(
                  agentSecret(
                      tls.getCaCertificates().isEmpty()
                          ? ROOT_CERT
                          : "file-root:" + tls.getCaCertificates())));
    }
    return out.setRequireClientCertificate(BoolValue.of(require))
        .setCommonTlsContext(common)
        .build();
  }

  /**
   * The SDS name of a credential, as istiod's ToResourceName: a name that says its kind ({@code
   * kubernetes://}, {@code kubernetes-gateway://} from the Gateway API, {@code configmap://}) as it
   * is, {@code builtin://} the proxy's own workload certificate, anything else a Secret ({@code
   * kubernetes://NAME}).
   */
  static String resourceName(String credentialName) {
    if (credentialName.startsWith("builtin://")) {
      return WORKLOAD_CERT;
    }
    if (credentialName.startsWith(CREDENTIAL_PREFIX)
        || credentialName.startsWith("kubernetes-gateway://")
        || credentialName.startsWith("configmap://")
        || credentialName.startsWith("invalid://")) {
      return credentialName;
    }
    return CREDENTIAL_PREFIX + credentialName;
  }

  /** The SDS config of a credential: from pilot-agent for the workload's own, else over ADS. */
  private static SdsSecretConfig credential(String credentialName) {
    String name = resourceName(credentialName);
    return name.equals(WORKLOAD_CERT) ? agentSecret(name) : adsSecret(name);
  }

  /**
   * Every certificate the server presents: its credentialName, or each of its credentialNames (e.g.
   * an RSA and an ECDSA one; the CA of a MUTUAL server comes from the first).
   */
  private static List<String> credentials(ServerTLSSettings tls) {
    return tls.getCredentialName().isEmpty()
        ? tls.getCredentialNamesList()
        : List.of(tls.getCredentialName());
  }

  private static String credentialName(ServerTLSSettings tls) {
    if (!tls.getCredentialName().isEmpty()) {
      return tls.getCredentialName();
    }
    return tls.getCredentialNamesCount() > 0 ? tls.getCredentialNames(0) : "";
  }

  private static java.util.Optional<TlsParameters> tlsParams(ServerTLSSettings tls) {
    TlsParameters.Builder p = TlsParameters.newBuilder();
    boolean set = false;
    if (tls.getMinProtocolVersionValue() != 0) {
      p.setTlsMinimumProtocolVersion(protocol(tls.getMinProtocolVersion()));
      set = true;
    }
    if (tls.getMaxProtocolVersionValue() != 0) {
      p.setTlsMaximumProtocolVersion(protocol(tls.getMaxProtocolVersion()));
      set = true;
    }
    if (tls.getCipherSuitesCount() > 0) {
      p.addAllCipherSuites(tls.getCipherSuitesList());
      set = true;
    }
    return set ? java.util.Optional.of(p.build()) : java.util.Optional.empty();
  }

  private static TlsParameters.TlsProtocol protocol(ServerTLSSettings.TLSProtocol p) {
    return switch (p) {
      case TLSV1_0 -> TlsParameters.TlsProtocol.TLSv1_0;
      case TLSV1_1 -> TlsParameters.TlsProtocol.TLSv1_1;
      case TLSV1_2 -> TlsParameters.TlsProtocol.TLSv1_2;
      case TLSV1_3 -> TlsParameters.TlsProtocol.TLSv1_3;
      default -> TlsParameters.TlsProtocol.TLS_AUTO;
    };
  }

  static SdsSecretConfig agentSecret(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(AGENT_SDS).build();
  }

  static SdsSecretConfig adsSecret(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(ADS_SDS).build();
  }

  static TransportSocket transportSocket(DownstreamTlsContext ctx) {
    return TransportSocket.newBuilder()
        .setName("envoy.transport_sockets.tls")
        .setTypedConfig(Any.pack(ctx))
        .build();
  }
}
