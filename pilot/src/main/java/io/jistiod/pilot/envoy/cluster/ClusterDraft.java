package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Http1ProtocolOptions;
import io.envoyproxy.envoy.config.core.v3.Http2ProtocolOptions;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;

/**
 * A cluster being built, with its HTTP protocol options kept apart until the end: several steps
 * (protocol, connection pool, TLS) add to them, and Envoy takes them packed in {@code
 * typed_extension_protocol_options}. Not thread-safe; one per cluster build.
 */
final class ClusterDraft {
  static final String HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

  final Cluster.Builder cluster;
  private HttpProtocolOptions.Builder http;

  ClusterDraft(Cluster.Builder cluster) {
    this.cluster = cluster;
  }

  /** The HTTP protocol options, created on first use. */
  HttpProtocolOptions.Builder http() {
    if (http == null) {
      http = HttpProtocolOptions.newBuilder();
    }
    return http;
  }

  boolean hasHttp() {
    return http != null;
  }

  /** Whether the upstream speaks HTTP/2 explicitly (h2 ports, h2 upgrade). */
  boolean isHttp2() {
    return http != null
        && http.hasExplicitHttpConfig()
        && http.getExplicitHttpConfig().hasHttp2ProtocolOptions();
  }

  /** Explicit HTTP/2 upstream, unless the options already chose a protocol. */
  void setHttp2() {
    HttpProtocolOptions.Builder h = http();
    if (!h.hasUpstreamHttpProtocolOptions()) {
      h.setExplicitHttpConfig(
          HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
              .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
    }
  }

  /** Whatever protocol the downstream used (sniffed ports, useClientProtocol). */
  void setUseDownstreamProtocol() {
    HttpProtocolOptions.Builder h = http();
    Http1ProtocolOptions http1 =
        h.hasExplicitHttpConfig() && h.getExplicitHttpConfig().hasHttpProtocolOptions()
            ? h.getExplicitHttpConfig().getHttpProtocolOptions()
            : Http1ProtocolOptions.getDefaultInstance();
    h.setUseDownstreamProtocolConfig(
        HttpProtocolOptions.UseDownstreamHttpConfig.newBuilder()
            .setHttpProtocolOptions(http1)
            .setHttp2ProtocolOptions(Http2ProtocolOptions.getDefaultInstance()));
  }

  Cluster build() {
    if (http != null) {
      if (http.getUpstreamProtocolOptionsCase()
          == HttpProtocolOptions.UpstreamProtocolOptionsCase.UPSTREAMPROTOCOLOPTIONS_NOT_SET) {
        // Envoy requires a protocol choice once the options exist: plain HTTP/1.1
        http.setExplicitHttpConfig(
            HttpProtocolOptions.ExplicitHttpConfig.newBuilder()
                .setHttpProtocolOptions(Http1ProtocolOptions.getDefaultInstance()));
      }
      cluster.putTypedExtensionProtocolOptions(HTTP_OPTIONS, Any.pack(http.build()));
    }
    return cluster.build();
  }
}
