package io.jistiod.istiod;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jistiod.galley.config.AggregateConfigStore;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.istiod.http.HttpEndpoints;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.SyncStatus;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The {@code /debug/*} endpoints istiod serves on 8080 and 15014, in istiod's JSON shapes where
 * tools read them ({@code registryz}: Istio's {@code model.Service}; {@code endpointShardz}: the
 * endpoint shards by host and namespace).
 */
final class DebugEndpoints {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Istio's cluster id for the local cluster and the shard key prefix per registry. */
  private static final String CLUSTER_ID = "Kubernetes";

  private final DiscoveryServer discovery;
  private final AggregateConfigStore store;

  DebugEndpoints(DiscoveryServer discovery, AggregateConfigStore store) {
    this.discovery = discovery;
    this.store = store;
  }

  void register(HttpEndpoints server) {
    server
        .text("/debug/connections", "application/json", () -> json(connections()))
        .text("/debug/syncz", "application/json", () -> json(syncz()))
        .text("/debug/configz", "application/json", () -> json(configs()))
        .text("/debug/registryz", "application/json", () -> json(services()))
        .text("/debug/endpointShardz", "application/json", () -> json(endpointShards()))
        .text("/debug/endpointz", "application/json", () -> json(endpointShards()));
  }

  private Object connections() {
    List<Map<String, Object>> out = new ArrayList<>();
    discovery
        .connectionsSnapshot()
        .forEach(
            (id, watched) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("connectionId", id);
              m.put("watches", watched);
              out.add(m);
            });
    return out;
  }

  /**
   * istiod's {@code /debug/syncz}: per connected client its id, type, cluster and version, the
   * nonces last sent and acknowledged for the four main types, and per watched type the nonces, the
   * time sent and the last NACK.
   */
  private Object syncz() {
    List<Map<String, Object>> out = new ArrayList<>();
    for (SyncStatus.ProxyState p : discovery.syncStates()) {
      Map<String, SyncStatus.TypeState> byType = new TreeMap<>();
      p.types().forEach(t -> byType.put(t.typeUrl(), t));
      Map<String, Object> m = new LinkedHashMap<>();
      putNonEmpty(m, "cluster_id", p.proxy().metadata().clusterId());
      putNonEmpty(m, "proxy", p.proxy().id());
      putNonEmpty(m, "proxy_type", p.proxy().type().name().toLowerCase(java.util.Locale.ROOT));
      putNonEmpty(m, "istio_version", p.proxy().metadata().istioVersion());
      String[][] main = {
        {"cluster", TypeUrls.CLUSTER},
        {"listener", TypeUrls.LISTENER},
        {"route", TypeUrls.ROUTE},
        {"endpoint", TypeUrls.ENDPOINT},
        {"extensionconfig", "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig"}
      };
      for (String[] t : main) {
        SyncStatus.TypeState s = byType.get(t[1]);
        if (s != null) {
          putNonEmpty(m, t[0] + "_sent", s.nonceSent());
          putNonEmpty(m, t[0] + "_acked", s.nonceAcked());
        }
      }
      Map<String, Object> resources = new TreeMap<>();
      byType.forEach(
          (type, s) -> {
            Map<String, Object> r = new LinkedHashMap<>();
            putNonEmpty(r, "sent", s.nonceSent());
            putNonEmpty(r, "acked", s.nonceAcked());
            r.put(
                "sentTime",
                java.time.Instant.ofEpochMilli(
                        s.lastSentMillis() == 0 ? -62135596800000L : s.lastSentMillis())
                    .toString());
            putNonEmpty(r, "lastError", s.lastError());
            resources.put(type, r);
          });
      if (!resources.isEmpty()) {
        m.put("resources", resources);
      }
      out.add(m);
    }
    return out;
  }

  private static void putNonEmpty(Map<String, Object> m, String key, String value) {
    if (value != null && !value.isEmpty()) {
      m.put(key, value);
    }
  }

  private Object configs() {
    List<String> out = new ArrayList<>();
    for (ConfigKey k : store.keys()) {
      out.add(k.toString());
    }
    return out;
  }

  private Object services() {
    List<Map<String, Object>> out = new ArrayList<>();
    var push = discovery.current();
    for (Service s : push.services()) {
      Map<String, Object> attributes = new LinkedHashMap<>();
      attributes.put("ServiceRegistry", s.attributes().registry());
      attributes.put("Name", s.attributes().name());
      attributes.put("Namespace", s.namespace());
      attributes.put(
          "Labels",
          s.attributes().labels().isEmpty() ? null : new TreeMap<>(s.attributes().labels()));
      attributes.put("ExportTo", s.exportTo().isEmpty() ? null : new TreeSet<>(s.exportTo()));
      attributes.put(
          "LabelSelectors",
          s.attributes().selector().isEmpty() ? null : new TreeMap<>(s.attributes().selector()));
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("Attributes", attributes);
      List<Map<String, Object>> ports = new ArrayList<>();
      for (ServicePort p : s.ports()) {
        Map<String, Object> port = new LinkedHashMap<>();
        port.put("name", p.name());
        port.put("port", p.port());
        port.put("protocol", protocolName(p));
        ports.add(port);
      }
      m.put("ports", ports);
      TreeSet<String> accounts = new TreeSet<>();
      for (Endpoint e : push.endpoints(s.hostname())) {
        if (!e.serviceAccount().isEmpty()) {
          accounts.add(e.serviceAccount());
        }
      }
      if (!accounts.isEmpty()) {
        m.put("serviceAccounts", accounts);
      }
      if (!s.attributes().creationTime().isEmpty()) {
        m.put("creationTime", s.attributes().creationTime());
      }
      m.put("hostname", s.hostname());
      if (!s.addresses().isEmpty()) {
        m.put("clusterVIPs", Map.of("Addresses", Map.of(CLUSTER_ID, s.addresses())));
        m.put("defaultAddress", s.addresses().get(0));
      } else {
        m.put("defaultAddress", "0.0.0.0");
      }
      m.put("Resolution", resolutionNumber(s.resolution()));
      m.put("MeshExternal", s.attributes().meshExternal());
      out.add(m);
    }
    return out;
  }

  private Object endpointShards() {
    Map<String, Object> out = new TreeMap<>();
    var push = discovery.current();
    for (Service s : push.services()) {
      List<Map<String, Object>> shard = new ArrayList<>();
      TreeSet<String> accounts = new TreeSet<>();
      for (Endpoint e : push.endpoints(s.hostname())) {
        Map<String, Object> ep = new LinkedHashMap<>();
        ep.put("Labels", e.labels().isEmpty() ? null : new TreeMap<>(e.labels()));
        ep.put("Addresses", List.of(e.address()));
        ep.put("ServicePortName", e.servicePortName());
        ep.put("ServiceAccount", e.serviceAccount());
        ep.put("Network", "");
        ep.put("Locality", Map.of("Label", localityLabel(e), "ClusterID", CLUSTER_ID));
        ep.put("EndpointPort", e.port());
        ep.put("LbWeight", e.weight());
        ep.put("TLSMode", e.labels().getOrDefault("security.istio.io/tlsMode", "disabled"));
        ep.put("Namespace", e.namespace());
        ep.put("WorkloadName", e.workloadName());
        ep.put("HealthStatus", e.healthy() ? 1 : 2);
        shard.add(ep);
        if (!e.serviceAccount().isEmpty()) {
          accounts.add(e.serviceAccount());
        }
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("Shards", Map.of(s.attributes().registry() + "/" + CLUSTER_ID, shard));
      entry.put("ServiceAccounts", accounts);
      out.put(s.hostname(), Map.of(s.namespace(), entry));
    }
    return out;
  }

  private static String localityLabel(Endpoint e) {
    var l = e.locality();
    if (l.region().isEmpty() && l.zone().isEmpty() && l.subzone().isEmpty()) {
      return "";
    }
    return l.toString();
  }

  /** Istio's protocol names as its JSON prints them (GRPC, HTTP, TCP, UnsupportedProtocol). */
  private static String protocolName(ServicePort p) {
    switch (p.protocol()) {
      case GRPC_WEB:
        return "GRPC-Web";
      case UNSUPPORTED:
        return "UnsupportedProtocol";
      default:
        return p.protocol().name();
    }
  }

  /** Istio's model.Resolution values: ClientSideLB 0, DNSLB 1, Passthrough 2. */
  private static int resolutionNumber(Resolution r) {
    switch (r) {
      case DNS:
        return 1;
      case PASSTHROUGH:
        return 2;
      default:
        return 0;
    }
  }

  private static HttpEndpoints.Response json(Object o) {
    try {
      return HttpEndpoints.Response.ok(JSON.writeValueAsString(o) + "\n");
    } catch (JsonProcessingException e) {
      return new HttpEndpoints.Response(500, e.getMessage());
    }
  }
}
