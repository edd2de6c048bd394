package io.jistiod.pilot.envoy.route;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Config in, route configurations out: a push built from YAML, and proxies to ask for. */
final class RouteFixture {
  static final String NS = "shop";

  /** {@code name} in namespace {@link #NS} as a Kubernetes-style ServiceEntry host. */
  static String fqdn(String name) {
    return name + "." + NS + ".svc.cluster.local";
  }

  /** A service with one port, STATIC, with one endpoint, as a ServiceEntry. */
  static String service(String name, int port, String portName, String ip) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %1$s, namespace: %5$s}
        spec:
          hosts: [%1$s.%5$s.svc.cluster.local]
          addresses: [%4$s]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{name: %3$s, number: %2$d}]
          endpoints: [{address: 10.1.0.1, labels: {app: %1$s}}]
        ---
        """
        .formatted(name, port, portName, ip, NS);
  }

  static PushContext push(String... yaml) {
    return push(MeshConfigs.defaults(), yaml);
  }

  static PushContext push(MeshConfig mesh, String... yaml) {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(IstioKinds.ALL, NS);
    for (String doc : yaml) {
      ParseResult r = parser.parse(doc, "test");
      if (!r.errors().isEmpty()) {
        throw new IllegalArgumentException(r.errors().toString());
      }
      r.configs().forEach(store::put);
    }
    store.markSynced();
    return new PushContextBuilder(
            store, List.of(new ServiceEntryRegistry(store)), "cluster.local", () -> mesh)
        .build(null, PushRequest.fullForAll("test", System.nanoTime()));
  }

  static Proxy sidecar(String namespace, Map<String, String> labels) {
    return proxy(
        "sidecar~10.9.0.1~client-1." + namespace + "~" + namespace + ".svc.cluster.local",
        namespace,
        labels);
  }

  static Proxy sidecar() {
    return sidecar(NS, Map.of("app", "client"));
  }

  static Proxy proxy(String id, String namespace, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(id, md, Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A sidecar in {@link #NS} whose metadata also has {@code key} set to the JSON object {@code
   * json}.
   */
  static Proxy proxyWithMetadata(String key, String json) {
    try {
      Struct.Builder value = Struct.newBuilder();
      com.google.protobuf.util.JsonFormat.parser().merge(json, value);
      Struct md =
          Struct.newBuilder()
              .putFields("NAMESPACE", Value.newBuilder().setStringValue(NS).build())
              .putFields(key, Value.newBuilder().setStructValue(value).build())
              .build();
      return Proxy.fromNode(
          "sidecar~10.9.0.2~client-2." + NS + "~" + NS + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static RouteConfiguration routes(Proxy proxy, PushContext push, String name) {
    List<XdsResource> out = new EnvoyRouteGenerator().generate(proxy, push, Set.of(name));
    if (out.isEmpty()) {
      return null;
    }
    try {
      return out.get(0).body().unpack(RouteConfiguration.class);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static VirtualHost vhost(RouteConfiguration rc, String name) {
    return rc.getVirtualHostsList().stream()
        .filter(v -> v.getName().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no virtual host " + name + " in " + rc));
  }

  /**
   * The routes of the VirtualService-bound service {@code name} on {@code port}, as a sidecar sees
   * them.
   */
  static List<Route> sidecarRoutes(PushContext push, String name, int port) {
    return vhost(routes(sidecar(), push, Integer.toString(port)), fqdn(name) + ":" + port)
        .getRoutesList();
  }

  private RouteFixture() {}
}
