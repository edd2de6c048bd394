package io.jistiod.pilot.grpcgen;

import com.google.protobuf.Any;
import com.google.protobuf.BoolValue;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateProviderPluginInstance;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CertificateValidationContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.CommonTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import java.util.List;

/**
 * The TLS settings istiod gives proxyless gRPC. gRPC reads its certificates from the certificate
 * provider instances of its bootstrap, not from SDS: pilot-agent writes one {@code file_watcher}
 * instance named {@code default} over the files it keeps current (key, chain and root). Istio's
 * grpcgen names the workload certificate {@code default} and the roots {@code ROOTCA} in it, the
 * names of the matching SDS secrets; the file watcher ignores them.
 */
final class GrpcTls {
  /** The transport socket name Istio gives TLS in gRPC listeners and clusters. */
  static final String TRANSPORT_SOCKET = "envoy.transport_sockets.tls";

  static final String PROVIDER_INSTANCE = "default";
  static final String IDENTITY = "default";
  static final String ROOTS = "ROOTCA";

  private GrpcTls() {}

  /**
   * A server's mutual TLS: the workload certificate, and a client certificate required and checked
   * against the mesh roots. No SAN check: gRPC servers do not support one (Istio leaves it out).
   */
  static TransportSocket server() {
    DownstreamTlsContext ctx =
        DownstreamTlsContext.newBuilder()
            .setCommonTlsContext(common(List.of()))
            .setRequireClientCertificate(BoolValue.of(true))
            .build();
    return socket(Any.pack(ctx));
  }

  /** A client's Istio mutual TLS, accepting the server only if it presents one of {@code sans}. */
  static TransportSocket client(List<String> sans) {
    return socket(
        Any.pack(UpstreamTlsContext.newBuilder().setCommonTlsContext(common(sans)).build()));
  }

  /**
   * The bootstrap's provider instance for the workload certificate and for the roots, in the {@code
   * CertificateProviderPluginInstance} fields, with the roots in a plain {@code
   * validation_context}. Istio 1.27 sends the deprecated {@code CertificateProviderInstance} fields
   * in a {@code combined_validation_context} instead, which breaks Envoy's constraints (a combined
   * context requires an SDS secret config, which gRPC does not take) and whose root field grpc-java
   * (1.78) no longer reads: its handshakes then fail for want of trusted roots. Current grpc-java
   * and grpc-go read the fields used here.
   */
  private static CommonTlsContext common(List<String> sans) {
    CertificateValidationContext.Builder validation =
        CertificateValidationContext.newBuilder().setCaCertificateProviderInstance(plugin(ROOTS));
    for (String san : sans) {
      validation.addMatchSubjectAltNames(StringMatcher.newBuilder().setExact(san));
    }
    return CommonTlsContext.newBuilder()
        .setTlsCertificateProviderInstance(plugin(IDENTITY))
        .setValidationContext(validation)
        .build();
  }

  private static CertificateProviderPluginInstance plugin(String certificate) {
    return CertificateProviderPluginInstance.newBuilder()
        .setInstanceName(PROVIDER_INSTANCE)
        .setCertificateName(certificate)
        .build();
  }

  private static TransportSocket socket(Any config) {
    return TransportSocket.newBuilder().setName(TRANSPORT_SOCKET).setTypedConfig(config).build();
  }
}
