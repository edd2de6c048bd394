package io.jistiod.pilot.bench;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsGenerator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * A measurement, not a test: the time to build one full push (CDS, LDS and the port-80 RDS) for
 * PROXIES sidecars over SERVICES services, each with a VirtualService and a DestinationRule, spread
 * over NAMESPACES namespaces, a third of which have a namespace-wide Sidecar. Run its {@code main}
 * with the pilot test classpath: {@code PushGenerationBench [services] [proxies] [rounds]}.
 */
public final class PushGenerationBench {
  private static final int NAMESPACES = 20;

  public static void main(String[] args) throws Exception {
    int services = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
    int proxies = args.length > 1 ? Integer.parseInt(args[1]) : 200;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    MemoryConfigStore store = store(services);
    PushContextBuilder builder =
        new PushContextBuilder(
            store,
            List.of(new ServiceEntryRegistry(store)),
            "cluster.local",
            MeshConfigs::defaults);
    GeneratorRegistry registry = EnvoyGenerators.registerDefaults(new GeneratorRegistry());
    List<Proxy> sidecars = new ArrayList<>();
    for (int i = 0; i < proxies; i++) {
      sidecars.add(sidecar(i));
    }
    long[] buildMs = new long[rounds];
    long[] generateMs = new long[rounds];
    long resources = 0;
    for (int r = 0; r < rounds; r++) {
      long t0 = System.nanoTime();
      PushContext push = builder.build(null, PushRequest.fullForAll("bench", t0));
      long t1 = System.nanoTime();
      resources = 0;
      for (Proxy p : sidecars) {
        resources += generate(registry, p, push, TypeUrls.CLUSTER, Set.of());
        resources += generate(registry, p, push, TypeUrls.LISTENER, Set.of());
        resources += generate(registry, p, push, TypeUrls.ROUTE, Set.of("80"));
      }
      long t2 = System.nanoTime();
      buildMs[r] = (t1 - t0) / 1_000_000;
      generateMs[r] = (t2 - t1) / 1_000_000;
      System.out.printf(
          "round %d: push context %d ms, generation %d ms (%d resources)%n",
          r, buildMs[r], generateMs[r], resources);
    }
    System.out.printf(
        "%d services x %d proxies: median push context %d ms, median generation %d ms%n",
        services, proxies, median(buildMs), median(generateMs));
    newServiceRounds(store, builder, registry, sidecars, rounds);
  }

  /**
   * The push after a new service: an incremental push context keyed by the new host, then CDS for
   * every sidecar, as the push that follows a ServiceEntry or Kubernetes Service creation does.
   */
  private static void newServiceRounds(
      MemoryConfigStore store,
      PushContextBuilder builder,
      GeneratorRegistry registry,
      List<Proxy> sidecars,
      int rounds) {
    PushContext push = builder.build(null, PushRequest.fullForAll("bench", System.nanoTime()));
    for (Proxy p : sidecars) {
      generate(registry, p, push, TypeUrls.CLUSTER, Set.of());
    }
    long[] cdsMs = new long[rounds];
    for (int r = 0; r < rounds; r++) {
      String host = "new-" + r + ".ns-0.svc.cluster.local";
      ParseResult added =
          new ConfigParser(IstioKinds.ALL, "default")
              .parse(
                  """
                  apiVersion: networking.istio.io/v1
                  kind: ServiceEntry
                  metadata: {name: new-%1$d, namespace: ns-0}
                  spec:
                    hosts: [%2$s]
                    location: MESH_INTERNAL
                    resolution: STATIC
                    ports: [{name: http, number: 80}]
                    endpoints: [{address: 10.250.0.%3$d}]
                  """
                      .formatted(r, host, r + 1),
                  "bench");
      added.configs().forEach(store::put);
      long t0 = System.nanoTime();
      push =
          builder.build(
              push,
              PushRequest.full(
                  "config", Set.of(io.jistiod.pilot.push.ConfigKey.service(host, "ns-0")), t0));
      for (Proxy p : sidecars) {
        generate(registry, p, push, TypeUrls.CLUSTER, Set.of());
      }
      cdsMs[r] = (System.nanoTime() - t0) / 1_000_000;
      System.out.printf("new service round %d: push context + CDS %d ms%n", r, cdsMs[r]);
    }
    System.out.printf(
        "new service: median push context + CDS for %d sidecars %d ms%n",
        sidecars.size(), median(cdsMs));
  }

  private static int generate(
      GeneratorRegistry registry, Proxy p, PushContext push, String type, Set<String> names) {
    XdsGenerator g = registry.find(p, type).orElseThrow();
    return g.generate(p, push, names).size();
  }

  private static long median(long[] values) {
    long[] sorted = values.clone();
    Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static MemoryConfigStore store(int services) {
    StringBuilder yaml = new StringBuilder();
    for (int i = 0; i < services; i++) {
      String ns = "ns-" + (i % NAMESPACES);
      String name = "svc-" + i;
      String host = name + "." + ns + ".svc.cluster.local";
      String exportTo = i % 7 == 0 ? "exportTo: [\".\"]" : "";
      yaml.append(
          """
          apiVersion: networking.istio.io/v1
          kind: ServiceEntry
          metadata: {name: %1$s, namespace: %2$s}
          spec:
            hosts: [%3$s]
            addresses: [10.%4$d.%5$d.%6$d]
            location: MESH_INTERNAL
            resolution: STATIC
            ports: [{name: http, number: 80}, {name: tcp, number: 9000, protocol: TCP}]
            endpoints: [{address: 10.200.%5$d.%6$d, labels: {app: %1$s}}]
            %7$s
          ---
          apiVersion: networking.istio.io/v1
          kind: VirtualService
          metadata: {name: %1$s, namespace: %2$s}
          spec:
            hosts: [%3$s]
            %7$s
            http:
            - match: [{uri: {prefix: /v2}}]
              route: [{destination: {host: %3$s, subset: v2}}]
            - route: [{destination: {host: %3$s, subset: v1}}]
          ---
          apiVersion: networking.istio.io/v1
          kind: DestinationRule
          metadata: {name: %1$s, namespace: %2$s}
          spec:
            host: %3$s
            %7$s
            subsets: [{name: v1, labels: {v: "1"}}, {name: v2, labels: {v: "2"}}]
          ---
          """
              .formatted(name, ns, host, 100, i / 250, i % 250 + 1, exportTo));
    }
    for (int n = 0; n < NAMESPACES; n += 3) {
      yaml.append(
          """
          apiVersion: networking.istio.io/v1
          kind: Sidecar
          metadata: {name: default, namespace: ns-%d}
          spec:
            egress: [{hosts: ["./*", "ns-1/*"]}]
          ---
          """
              .formatted(n));
    }
    MemoryConfigStore store = new MemoryConfigStore();
    ParseResult r = new ConfigParser(IstioKinds.ALL, "default").parse(yaml.toString(), "bench");
    if (!r.errors().isEmpty()) {
      throw new IllegalArgumentException(r.errors().toString());
    }
    r.configs().forEach(store::put);
    store.markSynced();
    return store;
  }

  private static Proxy sidecar(int i) {
    String ns = "ns-" + (i % NAMESPACES);
    String ip = "10.201." + (i / 250) + "." + (i % 250 + 1);
    Struct labels =
        Struct.newBuilder()
            .putFields("app", Value.newBuilder().setStringValue("client-" + (i % 10)).build())
            .build();
    Struct md =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build())
            .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
            .putFields("INSTANCE_IPS", Value.newBuilder().setStringValue(ip).build())
            .build();
    try {
      return Proxy.fromNode(
          "sidecar~" + ip + "~client-" + i + "." + ns + "~" + ns + ".svc.cluster.local",
          md,
          Locality.UNKNOWN);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private PushGenerationBench() {}
}
