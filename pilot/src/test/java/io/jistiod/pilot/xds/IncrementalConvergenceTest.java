package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.testing.FakeIstiod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Incremental pushes leave nothing stale: after random sequences of VirtualService,
 * DestinationRule, ServiceEntry, WorkloadEntry and endpoint edits, each pushed as istiod types it,
 * what every simulated proxy holds (from only the responses it got) equals what a fresh full
 * generation from the same config gives it.
 */
class IncrementalConvergenceTest {
  private static final String[] NAMESPACES = {"a", "b"};
  private static final int SERVICES = 4;
  private static final List<String> TYPES =
      List.of(TypeUrls.CLUSTER, TypeUrls.ENDPOINT, TypeUrls.LISTENER, TypeUrls.ROUTE);

  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
  }

  /** Service i lives in namespace a for even i, b for odd. */
  private static String ns(int i) {
    return NAMESPACES[i % 2];
  }

  private static String host(int i) {
    return "s" + i + "." + ns(i) + ".svc.cluster.local";
  }

  private static List<String> clusterNames() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < SERVICES; i++) {
      out.add("outbound|80||" + host(i));
      out.add("outbound|8080||" + host(i));
    }
    return out;
  }

  /** What one simulated proxy holds, per type: name to resource, updated from responses only. */
  private abstract static class SimulatedProxy {
    final Node node;
    final Map<String, Map<String, Any>> held = new TreeMap<>();

    SimulatedProxy(Node node) {
      this.node = node;
    }

    abstract void subscribe() throws Exception;

    /** Applies every response that arrives until the stream is quiet. */
    abstract void drain() throws Exception;

    Set<String> names(String type) {
      return type.equals(TypeUrls.ENDPOINT)
          ? Set.copyOf(clusterNames())
          : type.equals(TypeUrls.ROUTE) ? Set.of("80", "8080", "http.80") : Set.of();
    }
  }

  private final class SotwProxy extends SimulatedProxy {
    final FakeIstiod.AdsClient client;

    SotwProxy(Node node) {
      super(node);
      client = istiod.connect(node);
    }

    @Override
    void subscribe() throws Exception {
      for (String type : TYPES) {
        client.request(type, names(type).toArray(String[]::new));
      }
      drain();
    }

    @Override
    void drain() throws Exception {
      DiscoveryResponse r;
      while ((r = client.responses.poll(150, TimeUnit.MILLISECONDS)) != null) {
        // xDS state of the world: an LDS or CDS response is the whole set; an RDS or EDS response
        // may carry only some resources, and the client keeps the ones it does not name
        boolean fullState =
            r.getTypeUrl().equals(TypeUrls.LISTENER) || r.getTypeUrl().equals(TypeUrls.CLUSTER);
        Map<String, Any> all =
            fullState
                ? new TreeMap<>()
                : new TreeMap<>(held.getOrDefault(r.getTypeUrl(), Map.of()));
        for (Any a : r.getResourcesList()) {
          all.put(nameOf(r.getTypeUrl(), a), a);
        }
        held.put(r.getTypeUrl(), all);
        client.ack(r, names(r.getTypeUrl()).toArray(String[]::new));
      }
    }
  }

  private final class DeltaProxy extends SimulatedProxy {
    final FakeIstiod.DeltaClient client;

    DeltaProxy(Node node) {
      super(node);
      client = istiod.connectDelta(node);
    }

    @Override
    void subscribe() throws Exception {
      for (String type : TYPES) {
        client.subscribe(type, names(type).toArray(String[]::new));
      }
      drain();
    }

    @Override
    void drain() throws Exception {
      DeltaDiscoveryResponse r;
      while ((r = client.responses.poll(150, TimeUnit.MILLISECONDS)) != null) {
        Map<String, Any> m = held.computeIfAbsent(r.getTypeUrl(), t -> new TreeMap<>());
        for (Resource res : r.getResourcesList()) {
          m.put(res.getName(), res.getResource());
        }
        r.getRemovedResourcesList().forEach(m::remove);
        client.ack(r);
      }
    }
  }

  /** Resource names as generators give them, to key SotW bodies. */
  private String nameOf(String type, Any body) throws Exception {
    switch (type) {
      case TypeUrls.CLUSTER:
        return body.unpack(io.envoyproxy.envoy.config.cluster.v3.Cluster.class).getName();
      case TypeUrls.ENDPOINT:
        return body.unpack(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.class)
            .getClusterName();
      case TypeUrls.LISTENER:
        return body.unpack(io.envoyproxy.envoy.config.listener.v3.Listener.class).getName();
      default:
        return body.unpack(io.envoyproxy.envoy.config.route.v3.RouteConfiguration.class).getName();
    }
  }

  @Test
  void incrementalPushesConvergeToAFreshFullGeneration() throws Exception {
    // -Dconvergence.seeds=N explores more sequences (CI runs the first few)
    for (long seed = 1; seed <= Long.getLong("convergence.seeds", 4); seed++) {
      runSequence(seed, 12);
    }
  }

  private void runSequence(long seed, int steps) throws Exception {
    Random random = new Random(seed);
    istiod = new FakeIstiod();
    for (int i = 0; i < SERVICES; i++) {
      istiod.apply(serviceEntry(i, random));
    }
    istiod.apply(GATEWAY.formatted("*"));
    istiod.pushChanges();
    List<SimulatedProxy> proxies =
        List.of(
            new DeltaProxy(IncrementalPushTest.sidecar("a", "10.9.0.1")),
            new SotwProxy(IncrementalPushTest.sidecar("b", "10.9.0.2")),
            new DeltaProxy(IncrementalPushTest.sidecar("b", "10.9.0.3")),
            new DeltaProxy(ingressGateway()),
            // the workload of service 0's first endpoint: inbound listeners and clusters
            new DeltaProxy(IncrementalPushTest.sidecar("a", "10.10.0.1")));
    for (SimulatedProxy p : proxies) {
      p.subscribe();
    }
    List<String> history = new ArrayList<>();
    for (int step = 0; step < steps; step++) {
      int changes = 1 + random.nextInt(3);
      for (int c = 0; c < changes; c++) {
        history.add(randomChange(random));
      }
      PushRequest r = istiod.pushChanges();
      if (r != null) {
        history.add("  push full=" + r.full() + " " + r.configsUpdated());
      }
      istiod.awaitPushes();
      for (SimulatedProxy p : proxies) {
        p.drain();
      }
      PushContext fresh =
          new PushContextBuilder(
                  istiod.store, List.of(new ServiceEntryRegistry(istiod.store)), "cluster.local")
              .build(null, PushRequest.fullForAll("test", 0));
      for (SimulatedProxy p : proxies) {
        Proxy proxy =
            istiod.discovery.localize(
                Proxy.fromNode(p.node.getId(), p.node.getMetadata(), Locality.UNKNOWN));
        for (String type : TYPES) {
          Map<String, Any> expected = new TreeMap<>();
          for (XdsResource res :
              istiod
                  .generators
                  .find(proxy, type)
                  .orElseThrow()
                  .generate(proxy, fresh, p.names(type))) {
            expected.put(res.name(), res.body());
          }
          assertThat(p.held.getOrDefault(type, Map.of()))
              .as(
                  "seed %d step %d: %s of %s after%n%s",
                  seed, step, TypeUrls.shortName(type), p.node.getId(), String.join("\n", history))
              .isEqualTo(expected);
        }
      }
    }
    istiod.close();
    istiod = null;
  }

  private static final String GATEWAY =
      """
      apiVersion: networking.istio.io/v1
      kind: Gateway
      metadata: {name: gw, namespace: a}
      spec:
        selector: {istio: ingressgateway}
        servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["%s"]}]
      """;

  private static Node ingressGateway() {
    Node n = IncrementalPushTest.gateway("a", "10.8.0.1");
    var labels =
        com.google.protobuf.Struct.newBuilder()
            .putFields(
                "istio",
                com.google.protobuf.Value.newBuilder().setStringValue("ingressgateway").build());
    return n.toBuilder()
        .setMetadata(
            n.getMetadata().toBuilder()
                .putFields(
                    "LABELS",
                    com.google.protobuf.Value.newBuilder().setStructValue(labels).build()))
        .build();
  }

  private String randomChange(Random random) {
    int i = random.nextInt(SERVICES);
    switch (random.nextInt(12)) {
      case 9:
        {
          String[] egress = {"./*", "*/*", "b/*", "a/s0.a.svc.cluster.local"};
          String hosts = egress[random.nextInt(egress.length)];
          String ns = NAMESPACES[random.nextInt(2)];
          if (random.nextInt(4) == 0) {
            delete(IstioKinds.SIDECAR, ns, "default");
            return "delete Sidecar " + ns;
          }
          istiod.apply(
              """
              apiVersion: networking.istio.io/v1
              kind: Sidecar
              metadata: {name: default, namespace: %s}
              spec: {egress: [{hosts: ["%s"]}]}
              """
                  .formatted(ns, hosts));
          return "Sidecar " + ns + " " + hosts;
        }
      case 10:
        {
          String[] modes = {"STRICT", "PERMISSIVE", "DISABLE"};
          String mode = modes[random.nextInt(3)];
          String ns = NAMESPACES[random.nextInt(2)];
          istiod.apply(
              """
              apiVersion: security.istio.io/v1
              kind: PeerAuthentication
              metadata: {name: default, namespace: %s}
              spec: {mtls: {mode: %s}}
              """
                  .formatted(ns, mode));
          return "PeerAuthentication " + ns + " " + mode;
        }
      case 11:
        {
          String hosts = random.nextBoolean() ? "*" : "a/*";
          istiod.apply(GATEWAY.formatted(hosts));
          return "Gateway hosts " + hosts;
        }
      case 0:
      case 1:
        // an endpoint edit: the same ServiceEntry with other inline addresses
        istiod.apply(serviceEntry(i, random));
        return "ServiceEntry s" + i + " endpoints";
      case 2:
        istiod.apply(serviceEntry(i, random).replace("number: 8080", "number: 8081"));
        return "ServiceEntry s" + i + " port 8081";
      case 3:
        delete(IstioKinds.SERVICE_ENTRY, ns(i), "s" + i);
        return "delete ServiceEntry s" + i;
      case 4:
        istiod.apply(
            """
            apiVersion: networking.istio.io/v1
            kind: WorkloadEntry
            metadata: {name: we%d, namespace: %s}
            spec: {address: 10.3.%d.%d, labels: {app: s%d}}
            """
                .formatted(i, ns(i), i, random.nextInt(4), random.nextBoolean() ? i : (i + 2) % 4));
        return "WorkloadEntry we" + i;
      case 5:
        delete(IstioKinds.WORKLOAD_ENTRY, ns(i), "we" + i);
        return "delete WorkloadEntry we" + i;
      case 6:
        {
          String exportTo = random.nextBoolean() ? "exportTo: [.]" : "";
          String[] choices = {"gateways: [mesh]", "gateways: [a/gw]", "gateways: [mesh, a/gw]"};
          String gateways = choices[random.nextInt(choices.length)];
          istiod.apply(
              IncrementalPushTest.virtualService(
                      "vs" + i, ns(i), host(i), (1 + random.nextInt(3)) + "s", exportTo)
                  .replace("  http:", "  " + gateways + "\n  http:"));
          return "VirtualService vs" + i + " " + exportTo + " " + gateways;
        }
      case 7:
        {
          String lb = random.nextBoolean() ? "ROUND_ROBIN" : "LEAST_REQUEST";
          String exportTo = random.nextBoolean() ? "exportTo: [.]" : "exportTo: ['*']";
          istiod.apply(
              """
              apiVersion: networking.istio.io/v1
              kind: DestinationRule
              metadata: {name: dr%d, namespace: %s}
              spec:
                host: %s
                %s
                trafficPolicy: {loadBalancer: {simple: %s}}
              """
                  .formatted(i, ns(i), host(i), exportTo, lb));
          return "DestinationRule dr" + i + " " + lb + " " + exportTo;
        }
      default:
        if (random.nextBoolean()) {
          delete(IstioKinds.VIRTUAL_SERVICE, ns(i), "vs" + i);
          return "delete VirtualService vs" + i;
        }
        delete(IstioKinds.DESTINATION_RULE, ns(i), "dr" + i);
        return "delete DestinationRule dr" + i;
    }
  }

  private void delete(io.jistiod.galley.config.ConfigKind kind, String ns, String name) {
    istiod.store.delete(new ConfigKey(kind, ns, name));
  }

  /** Service i: STATIC, two ports, random inline endpoints, and WorkloadEntries labelled app=si. */
  private static String serviceEntry(int i, Random random) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: s%d, namespace: %s}
        spec:
          hosts: [%s]
          resolution: STATIC
          location: MESH_INTERNAL
          ports:
          - {name: http, number: 80, protocol: HTTP}
          - {name: http-alt, number: 8080, protocol: HTTP}
          workloadSelector: {labels: {app: s%d}}
          endpoints: [{address: 10.%d.0.%d}]
        """
        .formatted(i, ns(i), host(i), i, 10 + i, 1 + random.nextInt(3));
  }
}
