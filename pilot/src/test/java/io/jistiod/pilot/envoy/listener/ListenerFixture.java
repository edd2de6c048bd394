package io.jistiod.pilot.envoy.listener;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Config in, listeners out: a push built from YAML, proxies to generate for, proto helpers. */
final class ListenerFixture {
  static final String NS = "shop";
  static final String SIDECAR_IP = "10.9.0.1";
  static final String GATEWAY_IP = "10.9.0.50";

  private ListenerFixture() {}

  static String fqdn(String name) {
    return name + "." + NS + ".svc.cluster.local";
  }

  /**
   * A mesh service as a ServiceEntry: one port, a VIP ({@code vip}, or none when null), one
   * endpoint at {@code endpointIp} listening on {@code targetPort}.
   */
  static String service(
      String name, String vip, int port, String portName, String endpointIp, int targetPort) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %1$s, namespace: %2$s}
        spec:
          hosts: [%1$s.%2$s.svc.cluster.local]
          %3$s
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{name: %5$s, number: %4$d, targetPort: %7$d}]
          endpoints: [{address: %6$s, labels: {app: %1$s}}]
        ---
        """
        .formatted(
            name,
            NS,
            vip == null ? "" : "addresses: [" + vip + "]",
            port,
            portName,
            endpointIp,
            targetPort);
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

  static Proxy sidecar() {
    return proxy("sidecar", SIDECAR_IP, "client-1", NS, Map.of("app", "client"));
  }

  static Proxy gateway(String namespace) {
    return proxy("router", GATEWAY_IP, "gw-1", namespace, Map.of("istio", "ingressgateway"));
  }

  static Proxy proxy(
      String type, String ip, String pod, String namespace, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build())
            .putFields("CLUSTER_ID", Value.newBuilder().setStringValue("Kubernetes").build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(
          type + "~" + ip + "~" + pod + "." + namespace + "~" + namespace + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** The proxy's listeners by name. */
  static Map<String, Listener> listeners(Proxy proxy, PushContext push) {
    Map<String, Listener> out = new LinkedHashMap<>();
    for (XdsResource r : new EnvoyListenerGenerator().generate(proxy, push, Set.of())) {
      out.put(r.name(), unpack(r.body(), Listener.class));
    }
    return out;
  }

  static <T extends Message> T unpack(com.google.protobuf.Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static TcpProxy tcpProxy(FilterChain chain) {
    Filter f = chain.getFilters(chain.getFiltersCount() - 1);
    return unpack(f.getTypedConfig(), TcpProxy.class);
  }

  static HttpConnectionManager hcm(FilterChain chain) {
    Filter f = chain.getFilters(chain.getFiltersCount() - 1);
    return unpack(f.getTypedConfig(), HttpConnectionManager.class);
  }

  static DownstreamTlsContext tls(FilterChain chain) {
    return unpack(chain.getTransportSocket().getTypedConfig(), DownstreamTlsContext.class);
  }

  static List<String> listenerFilterNames(Listener l) {
    return l.getListenerFiltersList().stream().map(f -> f.getName()).toList();
  }
}
