package io.jistiod.pilot.push;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import java.util.List;
import java.util.Map;

/** A push built from Istio YAML (services as ServiceEntries), and proxies to look things up for. */
final class PushFixture {
  private PushFixture() {}

  /** A ServiceEntry {@code name.ns.svc.cluster.local} on port 80, exported as given (or not). */
  static String service(String name, String namespace, String... exportTo) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          hosts: [%1$s.%2$s.svc.cluster.local]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{name: http, number: 80}]
          endpoints: [{address: 10.1.0.1}]
          %3$s
        ---
        """
        .formatted(name, namespace, exportTo(exportTo));
  }

  /** A VirtualService of {@code hosts} bound to {@code gateways}, exported as given. */
  static String virtualService(
      String name,
      String namespace,
      List<String> hosts,
      List<String> gateways,
      String... exportTo) {
    return """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          hosts: %3$s
          gateways: %4$s
          %5$s
          http: [{route: [{destination: {host: %6$s}}]}]
        ---
        """
        .formatted(
            name,
            namespace,
            yamlList(hosts),
            yamlList(gateways),
            exportTo(exportTo),
            hosts.isEmpty() ? "x" : hosts.get(0).replace("*", "any"));
  }

  /** A DestinationRule for {@code host}, exported as given. */
  static String destinationRule(String name, String namespace, String host, String... exportTo) {
    return """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          host: "%3$s"
          %4$s
        ---
        """
        .formatted(name, namespace, host, exportTo(exportTo));
  }

  private static String exportTo(String... exportTo) {
    return exportTo.length == 0 ? "" : "exportTo: " + yamlList(List.of(exportTo));
  }

  private static String yamlList(List<String> items) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      b.append(i == 0 ? "" : ", ").append('"').append(items.get(i)).append('"');
    }
    return b.append(']').toString();
  }

  static PushContext push(String... yaml) {
    return push(MeshConfigs.defaults(), yaml);
  }

  static PushContext push(MeshConfig mesh, String... yaml) {
    MemoryConfigStore store = new MemoryConfigStore();
    ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");
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

  /** MeshConfig defaults with the three default exportTo lists set to {@code exportTo}. */
  static MeshConfig meshExportingTo(String exportTo) {
    return MeshConfigs.defaults().toBuilder()
        .clearDefaultServiceExportTo()
        .addDefaultServiceExportTo(exportTo)
        .clearDefaultVirtualServiceExportTo()
        .addDefaultVirtualServiceExportTo(exportTo)
        .clearDefaultDestinationRuleExportTo()
        .addDefaultDestinationRuleExportTo(exportTo)
        .build();
  }

  static Proxy sidecar(String namespace, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(
          "sidecar~10.9.0.1~client-1." + namespace + "~" + namespace + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Proxy sidecar(String namespace) {
    return sidecar(namespace, Map.of("app", "client"));
  }
}
