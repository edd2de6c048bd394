package io.jistiod.pilot.testing;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;

/** Test config and nodes. */
public final class Meshes {
  private Meshes() {}

  /** greeter with subsets v1 (two endpoints) and v2 (one), and an 80/20 VirtualService. */
  public static final String GREETER =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: greeter, namespace: default}
      spec:
        hosts: [greeter.default.svc.cluster.local]
        resolution: STATIC
        ports: [{name: grpc, number: 50051, protocol: GRPC}]
        endpoints:
        - {address: 10.0.0.1, ports: {grpc: 50061}, labels: {version: v1}}
        - {address: 10.0.0.2, ports: {grpc: 50061}, labels: {version: v1}}
        - {address: 10.0.0.3, labels: {version: v2}, locality: us-east/zone-b}
      ---
      apiVersion: networking.istio.io/v1
      kind: DestinationRule
      metadata: {name: greeter, namespace: default}
      spec:
        host: greeter
        subsets:
        - {name: v1, labels: {version: v1}}
        - name: v2
          labels: {version: v2}
          trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
      """;

  public static String greeterSplit(int v1, int v2) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter, namespace: default}
        spec:
          hosts: [greeter]
          http:
          - match: [{uri: {prefix: /helloworld.Greeter/SayHelloAgain}}]
            route: [{destination: {host: greeter, subset: v2}}]
            timeout: 3s
          - route:
            - {destination: {host: greeter, subset: v1}, weight: %d}
            - {destination: {host: greeter, subset: v2}, weight: %d}
        """
        .formatted(v1, v2);
  }

  /** A proxyless gRPC client in namespace default. */
  public static Node grpcNode() {
    return Node.newBuilder()
        .setId("sidecar~10.0.0.9~client-1.default~default.svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
                .putFields("NAMESPACE", Value.newBuilder().setStringValue("default").build()))
        .build();
  }
}
