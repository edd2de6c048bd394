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
