package io.jistiod.it.sidebyside;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.google.protobuf.Struct;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.jistiod.it.support.Rig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * One golden scenario (pilot/src/test/resources/golden/NAME, format in its README.md): the inputs
 * and the proxies, and how to apply the inputs to the rig.
 *
 * @param meshYaml the scenario's MeshConfig YAML, or null for Istio's defaults
 * @param env the istiod feature flags both servers run with (env.yaml; empty: none)
 */
public record GoldenScenario(
    String name,
    Path dir,
    String kubeYaml,
    String istioYaml,
    String meshYaml,
    List<Proxy> proxies,
    Map<String, String> env) {

  public GoldenScenario {
    env = Map.copyOf(env);
  }

  /**
   * A proxy identity of the scenario: the file prefix and the Envoy node as Envoy sends it.
   *
   * @param listeners for a proxyless gRPC proxy, the listeners it asks for by name; empty for
   *     Envoy, which subscribes to every listener and cluster
   */
  public record Proxy(String name, Node node, List<String> listeners) {
    public Proxy(String name, Node node) {
      this(name, node, List.of());
    }

    public Proxy {
      listeners = List.copyOf(listeners);
    }
  }

  /** pilot/src/test/resources/golden, seen from the integration-tests module. */
  public static final Path ROOT =
      Rig.MODULE.resolve("../pilot/src/test/resources/golden").normalize();

  /** The namespace label the reference istiod's discoverySelectors pick scenarios by. */
  public static final String SCENARIO_LABEL = "jistiod.io/scenario";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every scenario under {@link #ROOT}, by name. */
  public static List<GoldenScenario> all() {
    try (Stream<Path> dirs = Files.list(ROOT)) {
      return dirs.filter(d -> Files.isRegularFile(d.resolve("proxies.yaml")))
          .sorted()
          .map(GoldenScenario::load)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static GoldenScenario load(Path dir) {
    try {
      Path mesh = dir.resolve("mesh.yaml");
      return new GoldenScenario(
          dir.getFileName().toString(),
          dir,
          Files.readString(dir.resolve("kube.yaml")),
          readIfExists(dir.resolve("istio.yaml")),
          Files.isRegularFile(mesh) ? Files.readString(mesh) : null,
          proxies(dir.resolve("proxies.yaml")),
          env(dir.resolve("env.yaml")));
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
  }

  /** env.yaml: a map of environment variable names to string values. */
  private static Map<String, String> env(Path file) throws IOException {
    Map<String, String> out = new TreeMap<>();
    if (!Files.isRegularFile(file)) {
      return out;
    }
    JsonNode root = YAML.readTree(file.toFile());
    if (root == null || root.isNull() || root.isMissingNode()) {
      return out;
    }
    if (!root.isObject()) {
      throw new IOException(file + ": expected a map of environment variables");
    }
    for (var it = root.fields(); it.hasNext(); ) {
      var e = it.next();
      if (!e.getValue().isTextual()) {
        throw new IOException(file + ": " + e.getKey() + ": the value must be a quoted string");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  /** Whether the scenario turns on PILOT_ENABLE_ALPHA_GATEWAY_API (TCPRoute, TLSRoute, ...). */
  public boolean alphaGatewayApi() {
    return List.of("1", "t", "T", "TRUE", "true", "True")
        .contains(env.getOrDefault("PILOT_ENABLE_ALPHA_GATEWAY_API", ""));
  }

  private static String readIfExists(Path file) throws IOException {
    return Files.isRegularFile(file) ? Files.readString(file) : "";
  }

  private static List<Proxy> proxies(Path file) throws IOException {
    List<Proxy> out = new ArrayList<>();
    for (JsonNode p : YAML.readTree(file.toFile())) {
      Struct.Builder md = Struct.newBuilder();
      JsonFormat.parser().merge(JSON.writeValueAsString(p.path("metadata")), md);
      JsonNode labels = p.path("metadata").path("LABELS");
      String ns = p.path("metadata").path("NAMESPACE").asText();
      Node.Builder node =
          Node.newBuilder()
              .setId(p.path("id").asText())
              // Envoy's --service-cluster as pilot-agent sets it: <app label>.<namespace>
              .setCluster(labels.path("app").asText("istio-proxy") + "." + ns)
              .setMetadata(md)
              .setUserAgentName("envoy");
      // "region/zone/subzone", as Istio writes localities; Envoy's node.locality
      String[] loc = p.path("locality").asText("").split("/", 3);
      if (!loc[0].isEmpty()) {
        node.setLocality(
            Locality.newBuilder()
                .setRegion(loc[0])
                .setZone(loc.length > 1 ? loc[1] : "")
                .setSubZone(loc.length > 2 ? loc[2] : ""));
      }
      List<String> listeners = new ArrayList<>();
      p.path("listeners").forEach(l -> listeners.add(l.asText()));
      out.add(new Proxy(p.path("name").asText(), node.build(), listeners));
    }
    return List.copyOf(out);
  }

  /**
   * The scenarios to run: all of them, or those named in {@code -Djistiod.scenarios=a,b}
   * (comma-separated).
   */
  public static List<GoldenScenario> selected() {
    String only = System.getProperty("jistiod.scenarios", "");
    List<String> names = only.isBlank() ? List.of() : List.of(only.split(","));
    return all().stream().filter(s -> names.isEmpty() || names.contains(s.name())).toList();
  }

  /**
   * Whether istio.yaml has a Gateway, or kube.yaml an Ingress (istiod generates a Gateway for it):
   * a Gateway's selector picks gateway pods in every namespace.
   */
  public boolean definesGateway() {
    return documents(istioYaml).stream().anyMatch(d -> d.path("kind").asText().equals("Gateway"))
        || !ingresses().isEmpty();
  }

  /** kube.yaml's Ingresses. */
  private List<JsonNode> ingresses() {
    return documents(kubeYaml).stream()
        .filter(d -> d.path("kind").asText().equals("Ingress"))
        .toList();
  }

  /**
   * The hostnames this scenario's Istio config names that are not namespace-scoped Kubernetes
   * service names ({@code *.svc.cluster.local}): ServiceEntry, VirtualService and DestinationRule
   * hosts and Gateway server hosts (without their {@code namespace/} prefix), and the hosts of
   * Ingress rules and TLS entries (their generated VirtualServices and Gateways'). Every proxy of
   * the mesh may see these, whatever its namespace.
   */
  public java.util.Set<String> meshWideHosts() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (JsonNode ingress : ingresses()) {
      ingress.path("spec").path("rules").forEach(r -> out.add(r.path("host").asText("")));
      ingress
          .path("spec")
          .path("tls")
          .forEach(t -> t.path("hosts").forEach(h -> out.add(h.asText())));
    }
    out.removeIf(h -> !h.contains("."));
    for (JsonNode d : documents(istioYaml)) {
      JsonNode spec = d.path("spec");
      List<JsonNode> hosts = new ArrayList<>();
      spec.path("hosts").forEach(hosts::add);
      if (spec.has("host")) {
        hosts.add(spec.get("host"));
      }
      spec.path("servers").forEach(srv -> srv.path("hosts").forEach(hosts::add));
      for (JsonNode h : hosts) {
        String host = h.asText();
        host = host.substring(host.indexOf('/') + 1);
        if (host.contains(".") && !host.endsWith(".svc.cluster.local")) {
          out.add(host);
        }
      }
    }
    return out;
  }

  /** The Services' cluster IPs and the ServiceEntries' addresses. */
  public java.util.Set<String> vips() {
    java.util.Set<String> out = new java.util.TreeSet<>();
    for (JsonNode d : documents(kubeYaml)) {
      if (d.path("kind").asText().equals("Service")) {
        d.path("spec").path("clusterIPs").forEach(ip -> out.add(ip.asText()));
        if (d.path("spec").has("clusterIP")) {
          out.add(d.path("spec").path("clusterIP").asText());
        }
      }
    }
    for (JsonNode d : documents(istioYaml)) {
      d.path("spec").path("addresses").forEach(a -> out.add(a.asText().replaceAll("/32$", "")));
    }
    out.remove("None");
    out.remove("");
    return out;
  }

  /** The namespaces this scenario's kube.yaml creates. */
  public List<String> namespaces() {
    return documents(kubeYaml).stream()
        .filter(d -> d.path("kind").asText().equals("Namespace"))
        .map(d -> d.path("metadata").path("name").asText())
        .toList();
  }

  /**
   * Applies the inputs to the rig, idempotently (namespaces are never deleted: on the rig they
   * would stay Terminating): kube.yaml, then each Pod's status through the status subresource (the
   * rig has no kubelet), then istio.yaml.
   */
  public void apply(Rig rig) throws IOException, InterruptedException {
    pruneLeftovers(rig, List.of(this));
    rig.apply(kubeYaml);
    // The reference istiod's discoverySelectors pick the scenario's namespaces by this label.
    for (String ns : namespaces()) {
      rig.kubectl("label", "namespace", ns, "--overwrite", SCENARIO_LABEL + "=" + name);
    }
    for (JsonNode doc : documents(kubeYaml)) {
      if (doc.path("kind").asText().equals("Pod") && doc.has("status")) {
        ObjectNode patch = JSON.createObjectNode();
        patch.set("status", doc.get("status"));
        rig.kubectl(
            "patch",
            "pod",
            doc.path("metadata").path("name").asText(),
            "-n",
            doc.path("metadata").path("namespace").asText(),
            "--subresource=status",
            "--type=merge",
            "-p",
            JSON.writeValueAsString(patch));
      }
    }
    if (!documents(istioYaml).isEmpty()) {
      rig.apply(istioYaml);
      patchGatewayStatus(rig, documents(istioYaml));
    }
  }

  /**
   * Writes the status of the Gateway API Gateways that istio.yaml gives one (a waypoint's address,
   * as its deployment would report it; the rig runs no waypoint), through the status subresource:
   * {@code kubectl apply} ignores a status. Scenarios that do this turn both servers' status
   * writers off (env.yaml), so nothing overwrites it.
   */
  private static void patchGatewayStatus(Rig rig, List<JsonNode> docs)
      throws IOException, InterruptedException {
    for (JsonNode doc : docs) {
      if (doc.path("kind").asText().equals("Gateway")
          && doc.path("apiVersion").asText().startsWith("gateway.networking.k8s.io/")
          && doc.has("status")) {
        ObjectNode patch = JSON.createObjectNode();
        patch.set("status", doc.get("status"));
        rig.kubectl(
            "patch",
            "gateways.gateway.networking.k8s.io",
            doc.path("metadata").path("name").asText(),
            "-n",
            doc.path("metadata").path("namespace").asText(),
            "--subresource=status",
            "--type=merge",
            "-p",
            JSON.writeValueAsString(patch));
      }
    }
  }

  /**
   * Applies many scenarios' inputs at once, idempotently and like {@link #apply} but in three
   * kubectl calls instead of several per scenario: the namespaces (with their scenario label), the
   * other Kubernetes objects, then the Istio config; the Pods' status in between through the API
   * (the rig has no kubelet).
   */
  public static void applyAll(Rig rig, List<GoldenScenario> scenarios)
      throws IOException, InterruptedException {
    // the kinds the scenarios' config uses, before the servers start watching
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    if (scenarios.stream().anyMatch(GoldenScenario::alphaGatewayApi)) {
      rig.installGatewayApiAlphaCrds();
    }
    pruneLeftovers(rig, scenarios);
    List<JsonNode> namespaces = new ArrayList<>();
    List<JsonNode> kube = new ArrayList<>();
    List<JsonNode> istio = new ArrayList<>();
    List<JsonNode> pods = new ArrayList<>();
    for (GoldenScenario s : scenarios) {
      for (JsonNode doc : documents(s.kubeYaml())) {
        if (doc.path("kind").asText().equals("Namespace")) {
          ObjectNode ns = doc.deepCopy();
          ObjectNode md = ns.withObjectProperty("metadata");
          md.withObjectProperty("labels").put(SCENARIO_LABEL, s.name());
          namespaces.add(ns);
        } else {
          kube.add(doc);
          if (doc.path("kind").asText().equals("Pod") && doc.has("status")) {
            pods.add(doc);
          }
        }
      }
      istio.addAll(documents(s.istioYaml()));
    }
    for (List<JsonNode> batch : List.of(namespaces, kube)) {
      if (!batch.isEmpty()) {
        rig.apply(list(batch));
      }
    }
    for (JsonNode pod : pods) {
      ObjectNode patch = JSON.createObjectNode();
      patch.set("status", pod.get("status"));
      rig.client()
          .pods()
          .inNamespace(pod.path("metadata").path("namespace").asText())
          .withName(pod.path("metadata").path("name").asText())
          .subresource("status")
          .patch(
              io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                  io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
              JSON.writeValueAsString(patch));
    }
    if (!istio.isEmpty()) {
      rig.apply(list(istio));
      patchGatewayStatus(rig, istio);
    }
  }

  /**
   * Kinds an earlier version of a scenario may have left in its namespaces even when no scenario
   * uses them today (besides the kinds the scenarios use).
   */
  private static final List<List<String>> USUAL_KINDS =
      List.of(
          List.of("v1", "Pod"),
          List.of("v1", "Service"),
          List.of("v1", "ServiceAccount"),
          List.of("v1", "Secret"),
          List.of("v1", "ConfigMap"),
          List.of("discovery.k8s.io/v1", "EndpointSlice"),
          List.of("networking.istio.io/v1", "VirtualService"),
          List.of("networking.istio.io/v1", "DestinationRule"),
          List.of("networking.istio.io/v1", "Gateway"),
          List.of("networking.istio.io/v1", "ServiceEntry"),
          List.of("networking.istio.io/v1", "WorkloadEntry"),
          List.of("networking.istio.io/v1", "WorkloadGroup"),
          List.of("networking.istio.io/v1", "Sidecar"),
          List.of("security.istio.io/v1", "AuthorizationPolicy"),
          List.of("security.istio.io/v1", "PeerAuthentication"),
          List.of("security.istio.io/v1", "RequestAuthentication"),
          List.of("gateway.networking.k8s.io/v1", "Gateway"),
          List.of("gateway.networking.k8s.io/v1", "HTTPRoute"),
          List.of("gateway.networking.k8s.io/v1", "GRPCRoute"));

  /**
   * Makes the scenarios' namespaces hold only what the scenarios hold now: {@code kubectl apply}
   * adds and updates but never removes, and the rig's etcd outlives a test run, so an object an
   * earlier version of a scenario had (an EndpointSlice, a terminating Pod) would otherwise still
   * be there for both servers to read, and the comparison would be of inputs nobody can see in the
   * scenario's files.
   */
  private static void pruneLeftovers(Rig rig, List<GoldenScenario> scenarios) {
    java.util.Set<String> namespaces = new java.util.HashSet<>();
    java.util.Set<List<String>> kinds = new java.util.LinkedHashSet<>(USUAL_KINDS);
    java.util.Set<List<String>> wanted = new java.util.HashSet<>();
    for (GoldenScenario s : scenarios) {
      namespaces.addAll(s.namespaces());
      for (JsonNode doc : concat(documents(s.kubeYaml()), documents(s.istioYaml()))) {
        String apiVersion = doc.path("apiVersion").asText();
        String kind = doc.path("kind").asText();
        if (kind.equals("Namespace")) {
          continue;
        }
        kinds.add(List.of(apiVersion, kind));
        wanted.add(
            List.of(
                group(apiVersion),
                kind,
                doc.path("metadata").path("namespace").asText(),
                doc.path("metadata").path("name").asText()));
      }
    }
    for (List<String> kind : kinds) {
      List<io.fabric8.kubernetes.api.model.GenericKubernetesResource> found;
      try {
        found =
            rig.client()
                .genericKubernetesResources(kind.get(0), kind.get(1))
                .inAnyNamespace()
                .list()
                .getItems();
      } catch (RuntimeException e) {
        continue; // a kind whose CRD this rig does not have yet: nothing of it to remove
      }
      for (var r : found) {
        String ns = r.getMetadata().getNamespace();
        String name = r.getMetadata().getName();
        if (namespaces.contains(ns)
            && !wanted.contains(List.of(group(kind.get(0)), kind.get(1), ns, name))) {
          rig.client()
              .genericKubernetesResources(kind.get(0), kind.get(1))
              .inNamespace(ns)
              .withName(name)
              .withGracePeriod(0)
              .delete();
        }
      }
    }
  }

  private static String group(String apiVersion) {
    int slash = apiVersion.indexOf('/');
    return slash < 0 ? "" : apiVersion.substring(0, slash);
  }

  private static List<JsonNode> concat(List<JsonNode> a, List<JsonNode> b) {
    List<JsonNode> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  /** A v1 List of {@code items}, as JSON (kubectl apply takes it as one document). */
  private static String list(List<JsonNode> items) throws IOException {
    ObjectNode l = JSON.createObjectNode();
    l.put("apiVersion", "v1");
    l.put("kind", "List");
    l.putArray("items").addAll(items);
    return JSON.writeValueAsString(l);
  }

  static List<JsonNode> documents(String yaml) {
    List<JsonNode> docs = new ArrayList<>();
    try (YAMLParser parser = new YAMLFactory().createParser(yaml)) {
      for (var it = YAML.readValues(parser, JsonNode.class); it.hasNext(); ) {
        JsonNode d = it.next();
        if (d != null && d.isObject()) {
          docs.add(d);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return docs;
  }

  /** Writes the mesh config (or an empty file for the defaults) into {@code dir}. */
  public Path writeMesh(Path dir) throws IOException {
    Path file = dir.resolve(name + "-mesh.yaml");
    Files.writeString(file, meshYaml == null ? "" : meshYaml, StandardCharsets.UTF_8);
    return file;
  }
}
