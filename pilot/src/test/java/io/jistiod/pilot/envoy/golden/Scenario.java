package io.jistiod.pilot.envoy.golden;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.IngressKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.ambient.AmbientSettings;
import io.jistiod.pilot.envoy.secret.KubeCredentialSource;
import io.jistiod.pilot.gatewayapi.GatewayApiOptions;
import io.jistiod.pilot.gatewayapi.GatewayApiSources;
import io.jistiod.pilot.ingress.IngressOptions;
import io.jistiod.pilot.kube.KubeServiceRegistry;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import org.awaitility.Awaitility;

/**
 * One golden scenario directory: Kubernetes objects ({@code kube.yaml}), Istio config ({@code
 * istio.yaml}), an optional {@code mesh.yaml}, optional istiod feature flags ({@code env.yaml}, see
 * {@link ScenarioEnv}) and the proxies to generate for ({@code proxies.yaml}). The same inputs are
 * applied to a real API server by the side-by-side test, so they go through the real Kubernetes
 * registry here too (fabric8's mock server in CRUD mode).
 */
final class Scenario implements AutoCloseable {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * A proxy of the scenario: the file prefix of its golden files, its parsed identity and, for a
   * proxyless gRPC client or server, the listeners it asks for by name ({@code listeners} in
   * proxies.yaml; gRPC never asks for every listener).
   */
  record NamedProxy(String name, Proxy proxy, List<String> listeners) {
    boolean proxyless() {
      return "grpc".equals(proxy.generator());
    }
  }

  final String name;
  final PushContext push;
  final List<NamedProxy> proxies;

  /** The scenario's Secrets as gateways' credentials, read through the same kind of informer. */
  final KubeCredentialSource credentials;

  private final KubernetesMockServer server;
  private final KubernetesClient client;
  private final KubeServiceRegistry kube;

  private Scenario(
      String name,
      PushContext push,
      List<NamedProxy> proxies,
      KubernetesMockServer server,
      KubernetesClient client,
      KubeServiceRegistry kube,
      KubeCredentialSource credentials) {
    this.name = name;
    this.push = push;
    this.proxies = proxies;
    this.credentials = credentials;
    this.server = server;
    this.client = client;
    this.kube = kube;
  }

  static Scenario load(Path dir) throws Exception {
    KubernetesMockServer server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new KubernetesCrudDispatcher(List.of()),
            false);
    server.init();
    KubernetesClient client = server.createClient();
    Path kubeYaml = dir.resolve("kube.yaml");
    if (Files.exists(kubeYaml)) {
      List<HasMetadata> objects =
          client.load(new ByteArrayInputStream(Files.readAllBytes(kubeYaml))).items();
      // The mock server stamps creationTimestamp with the current second, and Services are
      // ordered by it (a waypoint's chains, a hostname defined twice): Services go first, at the
      // start of a second (or early enough in one), so they all share one timestamp and fall back
      // to the name order.
      List<HasMetadata> services =
          objects.stream().filter(o -> "Service".equals(o.getKind())).toList();
      long leftInSecond = 1000 - System.currentTimeMillis() % 1000;
      if (leftInSecond < 500) {
        Thread.sleep(leftInSecond);
      }
      for (HasMetadata o : services) {
        client.resource(o).create();
      }
      for (HasMetadata o : objects) {
        if (!services.contains(o)) {
          client.resource(o).create();
        }
      }
    }
    KubeServiceRegistry kube =
        new KubeServiceRegistry(client, "cluster.local", "cluster.local", r -> {});
    kube.start();
    KubeCredentialSource credentials = new KubeCredentialSource(client, changed -> {});
    credentials.start();
    Awaitility.await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> kube.hasSynced() && credentials.hasSynced());

    ScenarioEnv env = ScenarioEnv.load(dir.resolve("env.yaml"));
    MemoryConfigStore store = new MemoryConfigStore();
    Path istioYaml = dir.resolve("istio.yaml");
    if (Files.exists(istioYaml)) {
      ParseResult parsed =
          new ConfigParser(GatewayApiKinds.withIstioKinds(true, env.alphaGatewayApi()), "default")
              .parse(Files.readString(istioYaml), istioYaml.toString());
      if (!parsed.errors().isEmpty()) {
        throw new IllegalStateException(dir + ": istio.yaml does not parse: " + parsed.errors());
      }
      parsed.configs().forEach(store::put);
    }
    if (Files.exists(kubeYaml)) {
      // Ingresses and IngressClasses are Kubernetes objects, but config of istiod's (the ingress
      // conversion reads them from the config store, as on a cluster)
      ParseResult ingresses =
          new ConfigParser(IngressKinds.ALL, "default")
              .parse(Files.readString(kubeYaml), kubeYaml.toString());
      if (!ingresses.errors().isEmpty()) {
        throw new IllegalStateException(dir + ": kube.yaml does not parse: " + ingresses.errors());
      }
      ingresses.configs().forEach(store::put);
    }
    store.markSynced();
    Path meshYaml = dir.resolve("mesh.yaml");
    MeshConfig mesh =
        Files.exists(meshYaml)
            ? MeshConfigs.parse(Files.readString(meshYaml), meshYaml.toString())
            : MeshConfigs.defaults();
    ServiceEntryRegistry serviceEntries =
        new ServiceEntryRegistry(store, "cluster.local", kube::workloadInstances);
    kube.setWorkloadEntries(serviceEntries::workloadEntryInstances);
    PushContextBuilder builder =
        new PushContextBuilder(store, List.of(kube, serviceEntries), "cluster.local", () -> mesh);
    if (env.ambient()) {
      builder.ambient(
          () -> kube.ambientInputs("istio-system"),
          new AmbientSettings("Kubernetes", "cluster.local"));
    }
    PushContext push =
        builder
            .gatewayApi(
                new GatewayApiSources(
                    kube::namespaceLabels,
                    credentials,
                    env.gatewayApiOptions(GatewayApiOptions.defaults("cluster.local")),
                    java.time.Clock.fixed(
                        java.time.Instant.parse("2026-01-01T00:00:00Z"), java.time.ZoneOffset.UTC)))
            .ingress(IngressOptions.defaults("cluster.local"))
            .build(null, PushRequest.fullForAll("golden", System.nanoTime()));
    return new Scenario(
        dir.getFileName().toString(),
        push,
        proxies(dir.resolve("proxies.yaml")),
        server,
        client,
        kube,
        credentials);
  }

  private static List<NamedProxy> proxies(Path file) throws Exception {
    JsonNode list = YAML.readTree(Files.readString(file));
    if (list == null || !list.isArray()) {
      throw new IllegalStateException(file + ": expected a list of proxies");
    }
    List<NamedProxy> out = new ArrayList<>();
    for (JsonNode p : list) {
      Struct.Builder metadata = Struct.newBuilder();
      JsonFormat.parser().merge(p.path("metadata").toString(), metadata);
      Locality locality = locality(p.get("locality"));
      List<String> listeners = new ArrayList<>();
      p.path("listeners").forEach(l -> listeners.add(l.asText()));
      out.add(
          new NamedProxy(
              p.path("name").asText(),
              Proxy.fromNode(p.path("id").asText(), metadata.build(), locality, serviceCluster(p)),
              List.copyOf(listeners)));
    }
    return out;
  }

  /**
   * The node's cluster as pilot-agent sets it by default and the side-by-side comparison sends it:
   * {@code <app label or istio-proxy>.<namespace>}.
   */
  private static String serviceCluster(JsonNode p) {
    JsonNode md = p.path("metadata");
    return md.path("LABELS").path("app").asText("istio-proxy")
        + "."
        + md.path("NAMESPACE").asText();
  }

  /** The node's locality: Envoy's {region, zone, subZone} object, or Istio's "r/z/s" string. */
  private static Locality locality(JsonNode l) {
    if (l == null || l.isNull()) {
      return Locality.UNKNOWN;
    }
    if (l.isObject()) {
      return new Locality(
          l.path("region").asText(""), l.path("zone").asText(""), l.path("subZone").asText(""));
    }
    return Locality.parse(l.asText());
  }

  static String read(Path p) throws IOException {
    return new String(Files.readAllBytes(p), StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    credentials.close();
    kube.close();
    client.close();
    try {
      server.destroy();
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // the mock server's Vert.x loop may already be gone when it is told to stop (seen under
      // load): the scenario's output was compared before this, nothing is left to check
    }
  }
}
