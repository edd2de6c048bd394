package io.jistiod.pilot.envoy.patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.lua.v3.Lua;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.envoy.cluster.EnvoyClusterGenerator;
import io.jistiod.pilot.envoy.listener.EnvoyListenerGenerator;
import io.jistiod.pilot.envoy.route.EnvoyRouteGenerator;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** EnvoyFilter patches applied to what the generators build, per operation and match. */
class EnvoyFilterPatchTest {
  static final String NS = "shop";
  static final String HCM = "envoy.filters.network.http_connection_manager";
  static final String ROUTER = "envoy.filters.http.router";
  static final String LUA_TYPE = "type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua";

  /** Service "web" (HTTP 80 -> 8080) served by the pod at 10.9.0.2; a client at 10.9.0.1. */
  static final String SERVICES =
      """
      apiVersion: networking.istio.io/v1
      kind: ServiceEntry
      metadata: {name: web, namespace: shop}
      spec:
        hosts: [web.shop.svc.cluster.local]
        addresses: [10.96.0.10]
        location: MESH_INTERNAL
        resolution: STATIC
        ports: [{name: http, number: 80, targetPort: 8080, protocol: HTTP}]
        endpoints: [{address: 10.9.0.2, labels: {app: web}}]
      ---
      """;

  static final String LUA_BEFORE_ROUTER =
      """
      apiVersion: networking.istio.io/v1alpha3
      kind: EnvoyFilter
      metadata: {name: lua, namespace: shop}
      spec:
        workloadSelector: {labels: {app: web}}
        configPatches:
        - applyTo: HTTP_FILTER
          match:
            context: SIDECAR_INBOUND
            listener:
              filterChain:
                filter:
                  name: envoy.filters.network.http_connection_manager
                  subFilter: {name: envoy.filters.http.router}
          patch:
            operation: INSERT_BEFORE
            value:
              name: envoy.filters.http.lua
              typed_config:
                "@type": type.googleapis.com/envoy.extensions.filters.http.lua.v3.Lua
                default_source_code: {inline_string: "function envoy_on_request(h) end"}
      ---
      """;

  static PushContext push(String... yaml) {
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
            store, List.of(new ServiceEntryRegistry(store)), "cluster.local", MeshConfigs::defaults)
        .build(null, PushRequest.fullForAll("test", System.nanoTime()));
  }

  static Proxy proxy(String type, String ip, String pod, Map<String, String> labels) {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(NS).build())
            .putFields("CLUSTER_ID", Value.newBuilder().setStringValue("Kubernetes").build())
            .putFields("ISTIO_VERSION", Value.newBuilder().setStringValue("1.27.0").build())
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    try {
      return Proxy.fromNode(
          type + "~" + ip + "~" + pod + "." + NS + "~" + NS + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Proxy server() {
    return proxy("sidecar", "10.9.0.2", "web-1", Map.of("app", "web"));
  }

  static Proxy client() {
    return proxy("sidecar", "10.9.0.1", "client-1", Map.of("app", "client"));
  }

  static Proxy gateway() {
    return proxy("router", "10.9.0.50", "gw-1", Map.of("istio", "ingressgateway"));
  }

  static Map<String, Listener> listeners(Proxy proxy, PushContext push) {
    Map<String, Listener> out = new LinkedHashMap<>();
    var gen = new PatchingGenerator(PatchingGenerator.Type.LISTENER, new EnvoyListenerGenerator());
    for (XdsResource r : gen.generate(proxy, push, Set.of())) {
      out.put(r.name(), unpack(r.body(), Listener.class));
    }
    return out;
  }

  static Map<String, Cluster> clusters(Proxy proxy, PushContext push) {
    Map<String, Cluster> out = new LinkedHashMap<>();
    var gen = new PatchingGenerator(PatchingGenerator.Type.CLUSTER, new EnvoyClusterGenerator());
    for (XdsResource r : gen.generate(proxy, push, Set.of())) {
      out.put(r.name(), unpack(r.body(), Cluster.class));
    }
    return out;
  }

  static RouteConfiguration route(Proxy proxy, PushContext push, String name) {
    var gen = new PatchingGenerator(PatchingGenerator.Type.ROUTE, new EnvoyRouteGenerator());
    return unpack(gen.generate(proxy, push, Set.of(name)).get(0).body(), RouteConfiguration.class);
  }

  static <T extends Message> T unpack(Any any, Class<T> type) {
    try {
      return any.unpack(type);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The HTTP filter names of every HCM in the listener's chains. */
  static List<List<String>> httpFilters(Listener l) {
    List<List<String>> out = new ArrayList<>();
    for (FilterChain fc : l.getFilterChainsList()) {
      for (Filter f : fc.getFiltersList()) {
        if (f.getName().equals(HCM)) {
          out.add(
              unpack(f.getTypedConfig(), HttpConnectionManager.class).getHttpFiltersList().stream()
                  .map(HttpFilter::getName)
                  .toList());
        }
      }
    }
    return out;
  }

  static HttpConnectionManager firstHcm(Listener l) {
    for (FilterChain fc : l.getFilterChainsList()) {
      for (Filter f : fc.getFiltersList()) {
        if (f.getName().equals(HCM)) {
          return unpack(f.getTypedConfig(), HttpConnectionManager.class);
        }
      }
    }
    throw new AssertionError("no HCM in " + l.getName());
  }

  @Test
  void luaInsertedBeforeRouterOnlyInSelectedInboundHcms() {
    PushContext push = push(SERVICES, LUA_BEFORE_ROUTER);
    Listener inbound = listeners(server(), push).get("virtualInbound");
    List<List<String>> hcms = httpFilters(inbound);
    assertFalse(hcms.isEmpty());
    for (List<String> filters : hcms) {
      int lua = filters.indexOf("envoy.filters.http.lua");
      assertTrue(lua >= 0, filters.toString());
      assertEquals(lua + 1, filters.indexOf(ROUTER), filters.toString());
    }
    // the typed config came through with its @type
    HttpFilter lua =
        firstHcm(inbound).getHttpFiltersList().stream()
            .filter(h -> h.getName().equals("envoy.filters.http.lua"))
            .findFirst()
            .orElseThrow();
    assertEquals(LUA_TYPE, lua.getTypedConfig().getTypeUrl());
    assertEquals(
        "function envoy_on_request(h) end",
        unpack(lua.getTypedConfig(), Lua.class).getDefaultSourceCode().getInlineString());
    // outbound HCMs of the same proxy are SIDECAR_OUTBOUND: untouched
    for (var e : listeners(server(), push).entrySet()) {
      if (!e.getKey().equals("virtualInbound")) {
        httpFilters(e.getValue())
            .forEach(f -> assertFalse(f.contains("envoy.filters.http.lua"), e.getKey()));
      }
    }
  }

  @Test
  void patchedResourcesNeverReachUnselectedProxiesThroughTheCache() {
    PushContext push = push(SERVICES, LUA_BEFORE_ROUTER);
    listeners(server(), push); // the selected proxy first: fills the caches
    Proxy other = proxy("sidecar", "10.9.0.3", "other-1", Map.of("app", "other"));
    for (Listener l : listeners(other, push).values()) {
      httpFilters(l).forEach(f -> assertFalse(f.contains("envoy.filters.http.lua"), l.getName()));
    }
    // and the same push without the filter builds the same listeners for it
    assertEquals(listeners(other, push(SERVICES)), listeners(other, push));
  }

  @Test
  void httpFilterOperations() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: ops, namespace: shop}
        spec:
          workloadSelector: {labels: {app: web}}
          configPatches:
          - applyTo: HTTP_FILTER
            match: {context: SIDECAR_INBOUND}
            patch:
              operation: INSERT_FIRST
              value: {name: first, typed_config: {"@type": "%1$s"}}
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              listener: {filterChain: {filter: {name: %2$s, subFilter: {name: first}}}}
            patch:
              operation: INSERT_AFTER
              value: {name: second, typed_config: {"@type": "%1$s"}}
          - applyTo: HTTP_FILTER
            match: {context: SIDECAR_INBOUND}
            patch:
              operation: ADD
              value: {name: last, typed_config: {"@type": "%1$s"}}
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              listener: {filterChain: {filter: {name: %2$s, subFilter: {name: second}}}}
            patch:
              operation: REPLACE
              value: {name: replaced, typed_config: {"@type": "%1$s"}}
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              listener: {filterChain: {filter: {name: %2$s, subFilter: {name: last}}}}
            patch: {operation: REMOVE}
          - applyTo: HTTP_FILTER
            match:
              context: SIDECAR_INBOUND
              listener: {filterChain: {filter: {name: %2$s, subFilter: {name: first}}}}
            patch:
              operation: MERGE
              value:
                typed_config:
                  "@type": "%1$s"
                  default_source_code: {inline_string: merged}
        ---
        """
            .formatted(LUA_TYPE, HCM);
    HttpConnectionManager hcm =
        firstHcm(listeners(server(), push(SERVICES, ef)).get("virtualInbound"));
    List<String> names = hcm.getHttpFiltersList().stream().map(HttpFilter::getName).toList();
    assertEquals("first", names.get(0));
    assertEquals("replaced", names.get(1));
    assertFalse(names.contains("last"));
    assertFalse(names.contains("second"));
    assertEquals(ROUTER, names.get(names.size() - 1));
    assertEquals(
        "merged",
        unpack(hcm.getHttpFilters(0).getTypedConfig(), Lua.class)
            .getDefaultSourceCode()
            .getInlineString());
  }

  @Test
  void hcmMergeOnSidecarOutboundOnly() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: hcm, namespace: shop}
        spec:
          configPatches:
          - applyTo: NETWORK_FILTER
            match:
              context: SIDECAR_OUTBOUND
              listener: {filterChain: {filter: {name: %s}}}
            patch:
              operation: MERGE
              value:
                typed_config:
                  "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
                  stream_idle_timeout: 42s
                  server_name: patched
        ---
        """
            .formatted(HCM);
    Map<String, Listener> ls = listeners(client(), push(SERVICES, ef));
    HttpConnectionManager out = firstHcm(ls.get("0.0.0.0_80"));
    assertEquals(Duration.newBuilder().setSeconds(42).build(), out.getStreamIdleTimeout());
    assertEquals("patched", out.getServerName());
    // the generated settings are kept: merged, not replaced
    assertFalse(out.getHttpFiltersList().isEmpty());
    assertTrue(out.hasRds());
    Map<String, Listener> server = listeners(server(), push(SERVICES, ef));
    assertEquals("istio-envoy", firstHcm(server.get("virtualInbound")).getServerName());
  }

  @Test
  void clusterAddMergeAndRemove() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: clusters, namespace: shop}
        spec:
          configPatches:
          - applyTo: CLUSTER
            match: {context: SIDECAR_OUTBOUND}
            patch:
              operation: ADD
              value:
                name: extra
                type: STRICT_DNS
                connect_timeout: 1s
                load_assignment:
                  cluster_name: extra
                  endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: ext.example.com, port_value: 443}}}}]}]
          - applyTo: CLUSTER
            match:
              context: SIDECAR_OUTBOUND
              cluster: {service: web.shop.svc.cluster.local, portNumber: 80}
            patch:
              operation: MERGE
              value: {connect_timeout: 3s, per_connection_buffer_limit_bytes: 1024}
          - applyTo: CLUSTER
            match: {context: SIDECAR_OUTBOUND, cluster: {name: BlackHoleCluster}}
            patch: {operation: REMOVE}
          - applyTo: CLUSTER
            match: {context: SIDECAR_INBOUND, cluster: {service: web.shop.svc.cluster.local}}
            patch:
              operation: MERGE
              value: {per_connection_buffer_limit_bytes: 2048}
        ---
        """;
    PushContext push = push(SERVICES, ef);
    Map<String, Cluster> cs = clusters(server(), push);
    Cluster web = cs.get("outbound|80||web.shop.svc.cluster.local");
    // a Duration is replaced whole, not merged field by field
    assertEquals(Duration.newBuilder().setSeconds(3).build(), web.getConnectTimeout());
    assertEquals(1024, web.getPerConnectionBufferLimitBytes().getValue());
    assertNotNull(cs.get("extra"));
    assertNull(cs.get("BlackHoleCluster"));
    // the added cluster comes after the outbound ones, before the inbound ones
    List<String> names = new ArrayList<>(cs.keySet());
    assertTrue(names.indexOf("extra") > names.indexOf("PassthroughCluster"));
    assertTrue(names.indexOf("extra") < names.indexOf("inbound|8080||"));
    // inbound clusters match the services whose target port they serve
    assertEquals(2048, cs.get("inbound|8080||").getPerConnectionBufferLimitBytes().getValue());
  }

  @Test
  void gatewayListenerMergeAndAdd() {
    String gw =
        """
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: shop}
        spec:
          selector: {istio: ingressgateway}
          servers: [{port: {number: 8080, name: http, protocol: HTTP}, hosts: ["*"]}]
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: gw, namespace: shop}
        spec:
          workloadSelector: {labels: {istio: ingressgateway}}
          configPatches:
          - applyTo: LISTENER
            match: {context: GATEWAY, listener: {portNumber: 8080}}
            patch:
              operation: MERGE
              value: {per_connection_buffer_limit_bytes: 32768}
          - applyTo: LISTENER
            match: {context: SIDECAR_OUTBOUND}
            patch:
              operation: ADD
              value: {name: never, address: {socket_address: {address: 0.0.0.0, port_value: 9}}}
        ---
        """;
    Map<String, Listener> ls = listeners(gateway(), push(SERVICES, gw));
    assertEquals(32768, ls.get("0.0.0.0_8080").getPerConnectionBufferLimitBytes().getValue());
    assertFalse(ls.containsKey("never")); // SIDECAR_OUTBOUND patches never touch a gateway
  }

  @Test
  void routeConfigurationVirtualHostAndRoutePatches() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: routes, namespace: shop}
        spec:
          configPatches:
          - applyTo: ROUTE_CONFIGURATION
            match: {context: SIDECAR_OUTBOUND, routeConfiguration: {portNumber: 80}}
            patch: {operation: MERGE, value: {max_direct_response_body_size_bytes: 2048}}
          - applyTo: VIRTUAL_HOST
            match: {context: SIDECAR_OUTBOUND, routeConfiguration: {portNumber: 80}}
            patch:
              operation: ADD
              value:
                name: added
                domains: [added.example.com]
                routes: [{match: {prefix: /}, direct_response: {status: 204}}]
          - applyTo: HTTP_ROUTE
            match:
              context: SIDECAR_OUTBOUND
              routeConfiguration: {vhost: {name: "web.shop.svc.cluster.local:80", route: {action: ROUTE}}}
            patch: {operation: MERGE, value: {route: {timeout: 7s}}}
        ---
        """;
    RouteConfiguration rc = route(client(), push(SERVICES, ef), "80");
    assertEquals(2048, rc.getMaxDirectResponseBodySizeBytes().getValue());
    assertTrue(rc.getVirtualHostsList().stream().anyMatch(v -> v.getName().equals("added")));
    var web =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getName().equals("web.shop.svc.cluster.local:80"))
            .findFirst()
            .orElseThrow();
    assertEquals(7, web.getRoutes(0).getRoute().getTimeout().getSeconds());
    // a route configuration of another port is not matched
    RouteConfiguration other = route(client(), push(SERVICES, ef), "9999");
    assertFalse(other.getVirtualHostsList().stream().anyMatch(v -> v.getName().equals("added")));
  }

  @Test
  void unknownTypeSkipsOnlyThatPatch() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: bad, namespace: shop}
        spec:
          configPatches:
          - applyTo: HTTP_FILTER
            match: {context: SIDECAR_INBOUND}
            patch:
              operation: INSERT_FIRST
              value: {name: bad, typed_config: {"@type": type.googleapis.com/no.such.Type}}
          - applyTo: CLUSTER
            match: {context: SIDECAR_OUTBOUND, cluster: {name: PassthroughCluster}}
            patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 7}}
        ---
        """;
    PushContext push = push(SERVICES, ef);
    var converted =
        EnvoyFilterIndex.convert(
            new ConfigParser(IstioKinds.ALL, NS).parse(ef, "t").configs().get(0));
    assertEquals(1, converted.size()); // the bad one is left out
    httpFilters(listeners(server(), push).get("virtualInbound"))
        .forEach(f -> assertFalse(f.contains("bad")));
    assertEquals(
        7,
        clusters(server(), push)
            .get("PassthroughCluster")
            .getPerConnectionBufferLimitBytes()
            .getValue());
  }

  @Test
  void priorityOrdersFiltersAndProxyMatchFilters() {
    String ef =
        """
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: late, namespace: shop}
        spec:
          priority: 10
          configPatches:
          - applyTo: CLUSTER
            match: {cluster: {name: PassthroughCluster}}
            patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 2}}
        ---
        apiVersion: networking.istio.io/v1alpha3
        kind: EnvoyFilter
        metadata: {name: early, namespace: shop}
        spec:
          priority: -1
          configPatches:
          - applyTo: CLUSTER
            match: {cluster: {name: PassthroughCluster}}
            patch: {operation: MERGE, value: {per_connection_buffer_limit_bytes: 1}}
          - applyTo: CLUSTER
            match: {cluster: {name: BlackHoleCluster}, proxy: {proxyVersion: '^1\\.26.*'}}
            patch: {operation: REMOVE}
        ---
        """;
    Map<String, Cluster> cs = clusters(server(), push(SERVICES, ef));
    // the later priority applies last and wins
    assertEquals(2, cs.get("PassthroughCluster").getPerConnectionBufferLimitBytes().getValue());
    // a 1.27 proxy is not matched by a 1.26 patch
    assertNotNull(cs.get("BlackHoleCluster"));
  }

  @Test
  void typesResolveFromTheEnvoyApiWithoutAList() {
    assertTrue(EnvoyTypes.forTypeUrl(LUA_TYPE).isPresent());
    assertTrue(EnvoyTypes.forTypeUrl("type.googleapis.com/xds.type.v3.TypedStruct").isPresent());
    assertTrue(EnvoyTypes.forTypeUrl("type.googleapis.com/udpa.type.v1.TypedStruct").isPresent());
    assertTrue(EnvoyTypes.forTypeUrl("type.googleapis.com/google.protobuf.Struct").isPresent());
    // a nested message
    assertTrue(
        EnvoyTypes.forTypeUrl("type.googleapis.com/envoy.config.cluster.v3.Cluster.LbSubsetConfig")
            .isPresent());
    assertFalse(EnvoyTypes.forTypeUrl("type.googleapis.com/no.such.Type").isPresent());
  }
}
