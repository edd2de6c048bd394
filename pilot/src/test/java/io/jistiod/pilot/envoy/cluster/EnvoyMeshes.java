package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A small mesh for Envoy cluster tests, and helpers to look at what the generator builds. */
final class EnvoyMeshes {
  private EnvoyMeshes() {}

  static final String NS = "shop";
  static final String CART = "cart.shop.svc.cluster.local";
  static final String CART_80 = "outbound|80||" + CART;

  /**
   * cart: a mesh-internal service on port 80 (http) and 9090 (grpc) with two sidecar workloads, v1
   * (10.1.0.1, us-east/a) and v2 (10.1.0.2, us-east/b), and one workload without a sidecar
   * (10.1.0.3, eu-west/a); the proxy under test is client (10.1.0.9), which serves client:8080.
   */
  static final String MESH =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: cart, namespace: shop}
      spec:
        hosts: [cart.shop.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports:
        - {name: http, number: 80, protocol: HTTP, targetPort: 8080}
        - {name: grpc, number: 9090, protocol: GRPC}
        endpoints:
        - address: 10.1.0.1
          labels: {app: cart, version: v1, security.istio.io/tlsMode: istio}
          locality: us-east/a
          serviceAccount: cart
        - address: 10.1.0.2
          labels: {app: cart, version: v2, security.istio.io/tlsMode: istio}
          locality: us-east/b
          serviceAccount: cart
        - address: 10.1.0.3
          labels: {app: cart, version: v3}
          locality: eu-west/a
      ---
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: client, namespace: shop}
      spec:
        hosts: [client.shop.svc.cluster.local]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: http, number: 8080, protocol: HTTP}]
        endpoints:
        - address: 10.1.0.9
          labels: {app: client, security.istio.io/tlsMode: istio}
      """;

  static Node sidecarNode() {
    return node("sidecar~10.1.0.9~client-1.shop~shop.svc.cluster.local", "client");
  }

  static Node routerNode() {
    return node("router~10.1.0.50~gw-1.shop~shop.svc.cluster.local", "gw");
  }

  private static Node node(String id, String app) {
    return node(id, NS, app);
  }

  /** A sidecar-style node of {@code namespace} with the label {@code app}. */
  static Node node(String id, String namespace, String app) {
    return Node.newBuilder()
        .setId(id)
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
                .putFields("ISTIO_VERSION", Value.newBuilder().setStringValue("1.27.0").build())
                .putFields(
                    "LABELS",
                    Value.newBuilder()
                        .setStructValue(
                            Struct.newBuilder()
                                .putFields("app", Value.newBuilder().setStringValue(app).build()))
                        .build()))
        .build();
  }

  static Proxy proxy(Node node) throws Exception {
    return proxy(node, new Locality("us-east", "a", ""));
  }

  static Proxy proxy(Node node, Locality locality) throws Exception {
    return Proxy.fromNode(node.getId(), node.getMetadata(), locality);
  }

  /** Every cluster the generator builds for {@code proxy}, by name. */
  static Map<String, Cluster> clusters(FakeIstiod istiod, Proxy proxy) throws Exception {
    Map<String, Cluster> out = new LinkedHashMap<>();
    for (var r :
        new EnvoyClusterGenerator().generate(proxy, istiod.discovery.current(), Set.of())) {
      out.put(r.name(), r.body().unpack(Cluster.class));
    }
    return out;
  }

  /** A mesh with {@code extraYaml} applied on top, pushed. */
  static FakeIstiod istiod(String... extraYaml) throws Exception {
    String[] docs = new String[extraYaml.length + 1];
    docs[0] = MESH;
    System.arraycopy(extraYaml, 0, docs, 1, extraYaml.length);
    return new FakeIstiod(docs);
  }

  static UpstreamTlsContext tls(Cluster c) throws InvalidProtocolBufferException {
    return c.getTransportSocket().getTypedConfig().unpack(UpstreamTlsContext.class);
  }

  static HttpProtocolOptions http(Cluster c) throws InvalidProtocolBufferException {
    return c.getTypedExtensionProtocolOptionsOrThrow(ClusterDraft.HTTP_OPTIONS)
        .unpack(HttpProtocolOptions.class);
  }
}
