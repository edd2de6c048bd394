package io.jistiod.pilot.envoy.waypoint;

import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SubjectAltNameMatcher;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.TlsParameters;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.pilot.envoy.cluster.SdsConfigs;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The TLS of an HBONE tunnel, both ends: TLS 1.3 only, ALPN h2, the workload certificate and the
 * mesh root from the agent, and peers accepted when their SPIFFE identity is in one of the mesh's
 * trust domains (the trust domain, its aliases, then those of the extra CA certificates, each
 * once). Shared by every HBONE listener ({@code connect_terminate}) and {@code connect_originate}
 * cluster, of sidecars, gateways and waypoints alike.
 */
public final class HboneTls {
  private HboneTls() {}

  /**
   * @param extra further URI SAN matchers the peer must satisfy (each alone suffices, as Envoy ORs
   *     them)
   */
  public static CommonTlsContext common(MeshConfig mesh, StringMatcher... extra) {
    CertificateValidationContext.Builder validation = CertificateValidationContext.newBuilder();
    for (String td : trustDomains(mesh)) {
      validation.addMatchTypedSubjectAltNames(
          uri(StringMatcher.newBuilder().setPrefix("spiffe://" + td + "/").build()));
    }
    for (StringMatcher m : extra) {
      validation.addMatchTypedSubjectAltNames(uri(m));
    }
    return CommonTlsContext.newBuilder()
        .setTlsParams(
            TlsParameters.newBuilder()
                .setTlsMinimumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3)
                .setTlsMaximumProtocolVersion(TlsParameters.TlsProtocol.TLSv1_3))
        .addAlpnProtocols("h2")
        .addTlsCertificateSdsSecretConfigs(SdsConfigs.workload(SdsConfigs.DEFAULT))
        .setCombinedValidationContext(
            CommonTlsContext.CombinedCertificateValidationContext.newBuilder()
                .setDefaultValidationContext(validation)
                .setValidationContextSdsSecretConfig(SdsConfigs.workload(SdsConfigs.ROOTCA)))
        .build();
  }

  /** The trust domain, its aliases and those of extra CA certificates, in order, once each. */
  static Set<String> trustDomains(MeshConfig mesh) {
    Set<String> out = new LinkedHashSet<>();
    out.add(mesh.getTrustDomain());
    out.addAll(mesh.getTrustDomainAliasesList());
    for (MeshConfig.CertificateData ca : mesh.getCaCertificatesList()) {
      out.addAll(ca.getTrustDomainsList());
    }
    out.remove("");
    return out;
  }

  private static SubjectAltNameMatcher uri(StringMatcher m) {
    return SubjectAltNameMatcher.newBuilder()
        .setSanType(SubjectAltNameMatcher.SanType.URI)
        .setMatcher(m)
        .build();
  }
}
