package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.GrpcService;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.SdsSecretConfig;

/**
 * SDS references in istiod's shapes. The workload certificate ({@code default}) and the mesh root
 * ({@code ROOTCA}) come from pilot-agent's SDS server (cluster {@code sds-grpc}) and must not delay
 * startup (initial fetch timeout 0); file-mounted certificates ({@code file-cert:}, {@code
 * file-root:}) come from the same server; {@code credentialName} secrets come from istiod over ADS.
 */
public final class SdsConfigs {
  private SdsConfigs() {}

  /** The workload certificate. */
  public static final String DEFAULT = "default";

  /** The mesh root certificate. */
  public static final String ROOTCA = "ROOTCA";

  /** pilot-agent's SDS cluster in the bootstrap. */
  public static final String SDS_CLUSTER = "sds-grpc";

  /** Suffix of the SDS name of a credential's CA certificate. */
  public static final String CA_SUFFIX = "-cacert";

  /** {@code default} or {@code ROOTCA}: from pilot-agent, never blocking on the first fetch. */
  public static SdsSecretConfig workload(String name) {
    return SdsSecretConfig.newBuilder()
        .setName(name)
        .setSdsConfig(agent().setInitialFetchTimeout(Duration.getDefaultInstance()))
        .build();
  }

  /**
   * A file-backed certificate ({@code file-cert:CERT~KEY}, {@code file-root:CA}), from the agent.
   */
  public static SdsSecretConfig file(String name) {
    return SdsSecretConfig.newBuilder().setName(name).setSdsConfig(agent()).build();
  }

  /**
   * A {@code credentialName} secret served by istiod over ADS. No initial fetch timeout: a missing
   * secret must not block the whole cluster or listener.
   */
  public static SdsSecretConfig credential(String credentialName) {
    return SdsSecretConfig.newBuilder()
        .setName(resourceName(credentialName))
        .setSdsConfig(
            ConfigSource.newBuilder()
                .setAds(AggregatedConfigSource.getDefaultInstance())
                .setResourceApiVersion(ApiVersion.V3))
        .build();
  }

  /** A credentialName as an SDS name: {@code kubernetes://NAME} unless it names its type. */
  public static String resourceName(String credentialName) {
    if (credentialName.startsWith("builtin://")) {
      return DEFAULT;
    }
    if (credentialName.contains("://")) {
      return credentialName;
    }
    return "kubernetes://" + credentialName;
  }

  private static ConfigSource.Builder agent() {
    return ConfigSource.newBuilder()
        .setApiConfigSource(
            ApiConfigSource.newBuilder()
                .setApiType(ApiConfigSource.ApiType.GRPC)
                .setSetNodeOnFirstMessageOnly(true)
                .setTransportApiVersion(ApiVersion.V3)
                .addGrpcServices(
                    GrpcService.newBuilder()
                        .setEnvoyGrpc(
                            GrpcService.EnvoyGrpc.newBuilder().setClusterName(SDS_CLUSTER))))
        .setResourceApiVersion(ApiVersion.V3);
  }
}
