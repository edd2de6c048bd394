package io.jistiod.it.support;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.xds.XdsNameResolverProvider;
import java.util.List;
import java.util.Map;

/**
 * Channels that resolve {@code xds:///} targets with grpc-java's real xDS client, bootstrapped to
 * talk to an istiod on 127.0.0.1, as pilot-agent's gRPC bootstrap would set it up.
 */
public final class XdsClients {
  private XdsClients() {}

  /** The bootstrap grpc-java reads from GRPC_XDS_BOOTSTRAP, as a map. */
  public static Map<String, ?> bootstrap(int xdsPort, String nodeId) {
    return Map.of(
        "xds_servers",
        List.of(
            Map.of(
                "server_uri", "127.0.0.1:" + xdsPort,
                "channel_creds", List.of(Map.of("type", "insecure")),
                "server_features", List.of("xds_v3"))),
        "node",
        Map.of("id", nodeId, "metadata", Map.of("GENERATOR", "grpc", "NAMESPACE", "default")));
  }

  public static ManagedChannel channel(String target, int xdsPort) {
    XdsNameResolverProvider resolver =
        XdsNameResolverProvider.createForTest(
            "xds",
            bootstrap(
                xdsPort,
                "sidecar~127.0.0.1~client-"
                    + System.nanoTime()
                    + ".default~default.svc.cluster.local"));
    @SuppressWarnings("deprecation")
    NettyChannelBuilder b = NettyChannelBuilder.forTarget(target).nameResolverFactory(resolver);
    return b.usePlaintext().build();
  }
}
