package io.jistiod.istiod;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.AggregateConfigStore;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.istiod.http.HttpEndpoints;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.EnvoyJson;
import io.jistiod.pilot.xds.SyncStatus;
import io.jistiod.pilot.xds.TypeUrls;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The {@code /debug/*} endpoints istiod serves on 8080 and 15014, in istiod's JSON shapes where
 * tools read them ({@code registryz}: Istio's {@code model.Service}; {@code endpointShardz}: the
 * endpoint shards by host and namespace; {@code config_dump}: Envoy's admin config dump). The same
 * handlers answer {@code istio.io/debug} over ADS ({@code istioctl x internal-debug}), through
 * {@link #internal}.
 */
final class DebugEndpoints {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Istio's cluster id for the local cluster and the shard key prefix per registry. */
  private static final String CLUSTER_ID = "Kubernetes";

  private static final String NOT_CONNECTED =
      "Proxy not connected to this Pilot instance. It may be connected to another instance.\n";

  private final DiscoveryServer discovery;
  private final AggregateConfigStore store;

  /** By name under {@code /debug/}: the body for a request's query parameters. */
  private final Map<String, Function<Map<String, String>, HttpEndpoints.Response>> handlers =
      new TreeMap<>();

  DebugEndpoints(DiscoveryServer discovery, AggregateConfigStore store, Supplier<MeshConfig> mesh) {
    this.discovery = discovery;
    this.store = store;
    handlers.put("adsz", this::adsz);
    handlers.put("authorizationz", q -> json(authorizations(mesh.get().getRootNamespace())));
    handlers.put("config_dump", this::configDump);
    handlers.put("edsz", q -> configDump(with(q, "types", "eds")));
    handlers.put("ecdsz", q -> configDump(with(q, "types", "ecds")));
    handlers.put("configz", q -> json(configs()));
    handlers.put("connections", q -> json(connections()));
    handlers.put("endpointShardz", q -> json(endpointShards()));
    handlers.put("endpointz", q -> json(endpointShards()));
    handlers.put("instancesz", q -> json(instances()));
    handlers.put("list", q -> json(list()));
    // with istiod's proxy defaults under defaultConfig, as istiod's mesh holds them
    handlers.put("mesh", q -> proto(io.jistiod.injector.ProxyConfigs.completeMesh(mesh.get())));
    handlers.put("push_status", q -> json(pushStatus()));
    handlers.put("registryz", q -> json(services()));
    handlers.put("syncz", q -> json(syncz(q.getOrDefault("namespace", ""))));
    // Go's pprof profiles, as the JVM has them (text): istioctl bug-report and users fetch these
    handlers.put("pprof/goroutine", q -> text(JvmProfiles.threadDump()));
    handlers.put("pprof/heap", q -> text(JvmProfiles.heapHistogram()));
    handlers.put("pprof/cmdline", q -> text(JvmProfiles.commandLine()));
  }

  void register(HttpEndpoints server) {
    handlers.forEach(
        (name, handler) ->
            server.withQuery(
                "/debug/" + name,
                name.startsWith("pprof/") ? "text/plain; charset=utf-8" : "application/json",
                handler));
  }

  /**
   * The body of {@code /debug/<nameAndQuery>} without HTTP, for {@code istio.io/debug}: as istiod,
   * only the body travels (an error's text too), and an unknown name answers Go's {@code "404 page
   * not found"}, which istioctl recognises to print the list instead.
   */
  String internal(String nameAndQuery) {
    int q = nameAndQuery.indexOf('?');
    String name = q < 0 ? nameAndQuery : nameAndQuery.substring(0, q);
    var handler = handlers.get(name);
    if (handler == null) {
      return "404 page not found\n";
    }
    return handler
        .apply(HttpEndpoints.parseQuery(q < 0 ? "" : nameAndQuery.substring(q + 1)))
        .body();
  }

  /**
   * Every debug name but {@code list} and the profiles, sorted, as istiod's {@code /debug/list}.
   */
  private Object list() {
    List<String> out = new ArrayList<>(handlers.keySet());
    out.remove("list");
    out.removeIf(name -> name.startsWith("pprof"));
    return out;
  }

  private static HttpEndpoints.Response text(String body) {
    return HttpEndpoints.Response.ok(body);
  }

  /**
   * The dynamic config the proxy {@code proxyID} should hold, as Envoy's {@code /config_dump}
   * prints it; endpoints too with {@code include_eds}.
   */
  private HttpEndpoints.Response configDump(Map<String, String> query) {
    String proxyId = query.getOrDefault("proxyID", "");
    if (proxyId.isEmpty()) {
      return new HttpEndpoints.Response(400, "You must provide a proxyID in the query string\n");
    }
    String types = query.getOrDefault("types", "");
    var dump =
        types.isEmpty()
            ? discovery.configDump(proxyId, query.containsKey("include_eds"))
            : discovery.configDumpOfTypes(proxyId, typeUrls(types));
    if (dump.isEmpty()) {
      return new HttpEndpoints.Response(404, NOT_CONNECTED);
    }
    try {
      return HttpEndpoints.Response.ok(EnvoyJson.print(dump.get()) + "\n");
    } catch (IllegalArgumentException e) {
      return new HttpEndpoints.Response(500, e.getMessage() + "\n");
    }
  }

  private static Map<String, String> with(Map<String, String> query, String name, String value) {
    Map<String, String> out = new LinkedHashMap<>(query);
    out.put(name, value);
    return out;
  }

  /** istiod's short type names ({@code cds,eds}) as type URLs; an unknown name stays as given. */
  static List<String> typeUrls(String shortTypes) {
    List<String> out = new ArrayList<>();
    for (String t : shortTypes.split(",")) {
      String url =
          switch (t.strip().toUpperCase(java.util.Locale.ROOT)) {
            case "CDS" -> TypeUrls.CLUSTER;
            case "LDS" -> TypeUrls.LISTENER;
            case "RDS" -> TypeUrls.ROUTE;
            case "EDS" -> TypeUrls.ENDPOINT;
            case "SDS" -> TypeUrls.SECRET;
            case "ECDS" -> "type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig";
            default -> t.strip();
          };
      if (!url.isEmpty() && !out.contains(url)) {
        out.add(url);
      }
    }
    return out;
  }

  /** istiod's {@code /debug/connections}: each client's connection id, time and address. */
  private Object connections() {
    List<Map<String, Object>> clients = new ArrayList<>();
    for (DiscoveryServer.ClientInfo c : discovery.clients()) {
      clients.add(client(c));
    }
    return clientList(clients);
  }

  private static Map<String, Object> client(DiscoveryServer.ClientInfo c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("connectionId", c.connectionId());
    m.put("connectedAt", c.origin().connectedAt().toString());
    m.put("address", c.origin().peer());
    return m;
  }

  /**
   * istiod's {@code /debug/adsz}: as {@code connections}, with each client's labels, metadata,
   * locality and watched names per type; {@code proxyID} narrows it to that proxy.
   */
  private HttpEndpoints.Response adsz(Map<String, String> query) {
    if (!query.getOrDefault("push", "").isEmpty()) {
      // istiod's "push the current state to every connected client"
      discovery.push(io.jistiod.pilot.push.PushRequest.fullForAll("debug", System.nanoTime()));
      return HttpEndpoints.Response.ok("Pushed to " + discovery.clients().size() + " servers\n");
    }
    String proxyId = query.getOrDefault("proxyID", "");
    List<Map<String, Object>> clients = new ArrayList<>();
    for (DiscoveryServer.ClientInfo c : discovery.clients()) {
      if (!proxyId.isEmpty() && !c.connectionId().contains(proxyId)) {
        continue;
      }
      Map<String, Object> m = client(c);
      if (!c.proxy().metadata().labels().isEmpty()) {
        m.put("labels", new TreeMap<>(c.proxy().metadata().labels()));
      }
      try {
        m.put("metadata", JSON.readTree(JsonFormat.printer().print(c.proxy().metadata().raw())));
      } catch (java.io.IOException e) {
        // metadata that does not print is left out
      }
      var l = c.proxy().locality();
      if (!l.region().isEmpty() || !l.zone().isEmpty() || !l.subzone().isEmpty()) {
        Map<String, Object> locality = new LinkedHashMap<>();
        putNonEmpty(locality, "region", l.region());
        putNonEmpty(locality, "zone", l.zone());
        putNonEmpty(locality, "sub_zone", l.subzone());
        m.put("locality", locality);
      }
      Map<String, Object> watches = new TreeMap<>();
      c.watched().forEach((type, names) -> watches.put(type, new TreeSet<>(names)));
      if (!watches.isEmpty()) {
        m.put("watches", watches);
      }
      clients.add(m);
    }
    if (!proxyId.isEmpty() && clients.isEmpty()) {
      return new HttpEndpoints.Response(404, NOT_CONNECTED);
    }
    return json(clientList(clients));
  }

  private static Map<String, Object> clientList(List<Map<String, Object>> clients) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("totalClients", clients.size());
    if (!clients.isEmpty()) {
      out.put("clients", clients);
    }
    return out;
  }

  /**
   * istiod's {@code /debug/authorizationz}: the AuthorizationPolicies by namespace and the root
   * namespace. Each spec is protojson (enums by name; istiod's Go JSON writes them as numbers).
   */
  private Object authorizations(String rootNamespace) {
    Map<String, List<Object>> byNamespace = new TreeMap<>();
    for (ConfigKey k : store.keys()) {
      if (!k.kind().equals(io.jistiod.galley.config.IstioKinds.AUTHORIZATION_POLICY)) {
        continue;
      }
      store
          .get(k.kind(), k.namespace(), k.name())
          .ifPresent(
              c -> {
                Map<String, Object> p = new LinkedHashMap<>();
                p.put("name", c.meta().name());
                p.put("namespace", c.meta().namespace());
                p.put(
                    "annotations",
                    c.meta().annotations().isEmpty()
                        ? null
                        : new TreeMap<>(c.meta().annotations()));
                try {
                  p.put("spec", JSON.readTree(JsonFormat.printer().print(c.spec())));
                } catch (java.io.IOException e) {
                  p.put("spec", null);
                }
                byNamespace.computeIfAbsent(c.meta().namespace(), ns -> new ArrayList<>()).add(p);
              });
    }
    Map<String, Object> policies = new LinkedHashMap<>();
    policies.put("namespace_to_policies", byNamespace);
    policies.put("root_namespace", rootNamespace);
    return Map.of("authorization_policies", policies);
  }

  /**
   * istiod's {@code /debug/push_status}: the last push context's problems by istiod's metric name.
   * Recorded here: {@code pilot_eds_no_instances}, each service port's outbound cluster that has no
   * endpoint (istiod lists those its proxies asked for; here, all of them). An empty object when
   * there is nothing to report, as istiod's.
   */
  private Object pushStatus() {
    Map<String, Object> noInstances = new TreeMap<>();
    var push = discovery.current();
    for (Service s : push.services()) {
      List<Endpoint> endpoints = push.endpoints(s.hostname());
      for (ServicePort p : s.ports()) {
        boolean any =
            endpoints.stream()
                .anyMatch(
                    e -> e.servicePortName().isEmpty() || e.servicePortName().equals(p.name()));
        if (!any) {
          noInstances.put("outbound|" + p.port() + "||" + s.hostname(), Map.of());
        }
      }
    }
    Map<String, Object> out = new TreeMap<>();
    if (!noInstances.isEmpty()) {
      out.put("pilot_eds_no_instances", noInstances);
    }
    return out;
  }

  /** istiod's {@code /debug/instancesz}: per connected proxy, the services it is an instance of. */
  private Object instances() {
    Map<String, Object> out = new TreeMap<>();
    var push = discovery.current();
    for (DiscoveryServer.ClientInfo c : discovery.clients()) {
      List<Map<String, Object>> targets = new ArrayList<>();
      for (var t : push.serviceTargets(c.proxy())) {
        Map<String, Object> port = new LinkedHashMap<>();
        port.put("ServicePort", servicePort(t.port()));
        port.put("TargetPort", t.endpoint().port());
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("Service", service(t.service(), push));
        target.put("Port", port);
        targets.add(target);
      }
      out.put(c.proxy().id(), targets);
    }
    return out;
  }

  /**
   * istiod's {@code /debug/syncz}: per connected client its id, type, cluster and version, the
   * nonces last sent and acknowledged for the four main types, and per watched type the nonces, the
   * time sent and the last NACK; {@code ?namespace=} keeps the proxies of that namespace.
   */
  private Object syncz(String namespace) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (DiscoveryServer.ClientState p : discovery.clientStates()) {
      if (!namespace.isEmpty() && !namespace.equals(p.proxy().configNamespace())) {
        continue;
      }
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
      out.add(service(s, push));
    }
    return out;
  }

  /** One service as Istio's {@code model.Service} JSON has it. */
  private static Map<String, Object> service(Service s, PushContext push) {
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
      ports.add(servicePort(p));
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
    return m;
  }

  private static Map<String, Object> servicePort(ServicePort p) {
    Map<String, Object> port = new LinkedHashMap<>();
    port.put("name", p.name());
    port.put("port", p.port());
    port.put("protocol", protocolName(p));
    return port;
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

  /** A proto (Istio's API types) as protojson, as istiod's writeJSON prints one. */
  private static HttpEndpoints.Response proto(com.google.protobuf.MessageOrBuilder m) {
    try {
      return HttpEndpoints.Response.ok(JsonFormat.printer().print(m) + "\n");
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return new HttpEndpoints.Response(500, e.getMessage() + "\n");
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
