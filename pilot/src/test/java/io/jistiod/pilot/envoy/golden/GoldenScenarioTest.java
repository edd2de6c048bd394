package io.jistiod.pilot.envoy.golden;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.grpcgen.GrpcClusterGenerator;
import io.jistiod.pilot.grpcgen.GrpcListenerGenerator;
import io.jistiod.pilot.grpcgen.GrpcRouteGenerator;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Golden files of the Envoy config generated for every scenario under {@code
 * src/test/resources/golden}: for each proxy of a scenario, its listeners, clusters, the route
 * configurations its listeners name, the endpoints of its EDS clusters and the secrets it
 * references, each as a JSON array sorted by resource name. The generators are run exactly as the
 * ADS server runs them, with the names an Envoy would subscribe to; a proxyless gRPC proxy
 * (GENERATOR grpc) gets istiod's gRPC generators and subscribes as gRPC does, by name, from the
 * listeners its proxies.yaml entry lists.
 *
 * <p>Regenerate after an intended change with {@code -Djistiod.golden.update=true} and review the
 * diff. integration-tests' GoldenEnvoyConstraintsTest checks every resource in these files against
 * Envoy's own proto constraints.
 */
class GoldenScenarioTest {
  static final Path ROOT = Path.of("src/test/resources/golden");
  private static final boolean UPDATE = Boolean.getBoolean("jistiod.golden.update");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** File suffix per type, in the order an Envoy asks for them. */
  static final Map<String, String> FILES = new LinkedHashMap<>();

  static {
    FILES.put(TypeUrls.LISTENER, "lds");
    FILES.put(TypeUrls.CLUSTER, "cds");
    FILES.put(TypeUrls.ROUTE, "rds");
    FILES.put(TypeUrls.ENDPOINT, "eds");
    FILES.put(TypeUrls.SECRET, "sds");
  }

  /**
   * The order a proxyless gRPC client asks in: the listeners it dials (or serves), their routes,
   * the routes' clusters, their endpoints. It uses no SDS.
   */
  static final List<String> PROXYLESS_ORDER =
      List.of(TypeUrls.LISTENER, TypeUrls.ROUTE, TypeUrls.CLUSTER, TypeUrls.ENDPOINT);

  /** The names {@code p} subscribes to for {@code type}, from what it already has. */
  private static Set<String> names(
      Scenario.NamedProxy p, String type, Map<String, List<XdsResource>> generated)
      throws IOException {
    return switch (FILES.get(type)) {
      case "lds" -> new TreeSet<>(p.listeners());
      case "rds" -> ResourceNames.routeConfigs(generated.get(TypeUrls.LISTENER));
      case "cds" ->
          p.proxyless() ? ResourceNames.routeClusters(generated.get(TypeUrls.ROUTE)) : Set.of();
      case "eds" -> ResourceNames.edsClusters(generated.get(TypeUrls.CLUSTER));
      case "sds" -> ResourceNames.secrets(generated);
      default -> Set.of();
    };
  }

  static Stream<String> scenarios() throws IOException {
    try (Stream<Path> dirs = Files.list(ROOT)) {
      return dirs
          .filter(d -> Files.exists(d.resolve("proxies.yaml")))
          .map(d -> d.getFileName().toString())
          .sorted()
          .toList()
          .stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void generatedConfigMatchesGoldenFiles(String name) throws Exception {
    Path dir = ROOT.resolve(name);
    List<String> mismatches = new ArrayList<>();
    try (Scenario scenario = Scenario.load(dir)) {
      GeneratorRegistry registry =
          EnvoyGenerators.registerDefaults(new GeneratorRegistry(), scenario.credentials)
              .register("grpc", TypeUrls.LISTENER, new GrpcListenerGenerator())
              .register("grpc", TypeUrls.ROUTE, new GrpcRouteGenerator())
              .register("grpc", TypeUrls.CLUSTER, new GrpcClusterGenerator());
      for (Scenario.NamedProxy p : scenario.proxies) {
        Map<String, List<XdsResource>> generated = new LinkedHashMap<>();
        for (String type : p.proxyless() ? PROXYLESS_ORDER : FILES.keySet()) {
          Set<String> names = names(p, type, generated);
          boolean wildcard = !p.proxyless() && TypeUrls.isWildcardType(type);
          List<XdsResource> resources = new ArrayList<>();
          if (wildcard || !names.isEmpty()) {
            XdsGenerator g = registry.find(p.proxy(), type).orElse(null);
            if (g != null) {
              resources.addAll(g.generate(p.proxy(), scenario.push, names));
            }
          }
          resources.sort(Comparator.comparing(XdsResource::name));
          generated.put(type, resources);
          Path file = dir.resolve(p.name() + "." + FILES.get(type) + ".json");
          String actual = toJson(resources);
          if (UPDATE) {
            Files.writeString(file, actual, StandardCharsets.UTF_8);
          } else if (!Files.exists(file)) {
            mismatches.add(file + " is missing (run with -Djistiod.golden.update=true)");
          } else if (!Files.readString(file, StandardCharsets.UTF_8).equals(actual)) {
            mismatches.add(file + " differs:\n" + firstDifference(Files.readString(file), actual));
          }
        }
      }
    }
    assertThat(mismatches).as("golden files of scenario " + name).isEmpty();
  }

  /** Stable JSON: an array of the resources in name order, each printed by protobuf's mapping. */
  static String toJson(List<XdsResource> resources) throws IOException {
    List<Message> messages = new ArrayList<>();
    for (XdsResource r : resources) {
      messages.add(EnvoyTypes.unpack(r.body()));
    }
    JsonFormat.Printer printer =
        JsonFormat.printer().usingTypeRegistry(EnvoyTypes.registryFor(messages));
    ArrayNode array = JSON.createArrayNode();
    for (Message m : messages) {
      array.add(JSON.readTree(printer.print(m)));
    }
    return JSON.writeValueAsString(array) + "\n";
  }

  private static String firstDifference(String expected, String actual) {
    String[] e = expected.split("\n", -1);
    String[] a = actual.split("\n", -1);
    for (int i = 0; i < Math.max(e.length, a.length); i++) {
      String el = i < e.length ? e[i] : "<end>";
      String al = i < a.length ? a[i] : "<end>";
      if (!el.equals(al)) {
        return "  line " + (i + 1) + "\n  expected: " + el.strip() + "\n  actual:   " + al.strip();
      }
    }
    return "  (whitespace only)";
  }

  /** The names an Envoy would subscribe to, read from what it already has. */
  static final class ResourceNames {
    private ResourceNames() {}

    static Set<String> routeConfigs(List<XdsResource> listeners) throws IOException {
      return collect(listeners, "routeConfigName", false);
    }

    /** The clusters routes send to: a route's cluster and its weighted clusters. */
    static Set<String> routeClusters(List<XdsResource> routes) throws IOException {
      Set<String> out = collect(routes, "cluster", false);
      if (routes != null && !routes.isEmpty()) {
        weighted(JSON.readTree(toJson(routes)), out);
      }
      return out;
    }

    private static void weighted(JsonNode node, Set<String> out) {
      if (node.isObject() && node.has("weightedClusters")) {
        node.get("weightedClusters")
            .path("clusters")
            .forEach(c -> out.add(c.path("name").asText()));
      }
      node.elements().forEachRemaining(n -> weighted(n, out));
    }

    static Set<String> edsClusters(List<XdsResource> clusters) throws IOException {
      Set<String> out = new TreeSet<>();
      for (XdsResource r : clusters) {
        JsonNode c = JSON.readTree(toJson(List.of(r))).get(0);
        if ("EDS".equals(c.path("type").asText())) {
          String serviceName = c.path("edsClusterConfig").path("serviceName").asText("");
          out.add(serviceName.isEmpty() ? r.name() : serviceName);
        }
      }
      return out;
    }

    static Set<String> secrets(Map<String, List<XdsResource>> generated) throws IOException {
      Set<String> out = new TreeSet<>();
      out.addAll(collect(generated.get(TypeUrls.LISTENER), "sdsConfig", true));
      out.addAll(collect(generated.get(TypeUrls.CLUSTER), "sdsConfig", true));
      return out;
    }

    /**
     * Every string under {@code key} in the resources' JSON; with {@code sibling}, the "name" of
     * every object that has {@code key} (an SDS secret config names its secret next to it).
     */
    private static Set<String> collect(List<XdsResource> resources, String key, boolean sibling)
        throws IOException {
      Set<String> out = new TreeSet<>();
      if (resources == null || resources.isEmpty()) {
        return out;
      }
      walk(JSON.readTree(toJson(resources)), key, sibling, out);
      return out;
    }

    private static void walk(JsonNode node, String key, boolean sibling, Set<String> out) {
      if (node.isObject()) {
        if (node.has(key)) {
          if (!sibling && node.get(key).isTextual()) {
            out.add(node.get(key).asText());
          } else if (sibling && node.path("name").isTextual()) {
            out.add(node.get("name").asText());
          }
        }
        for (Iterator<JsonNode> it = node.elements(); it.hasNext(); ) {
          walk(it.next(), key, sibling, out);
        }
      } else if (node.isArray()) {
        for (JsonNode n : node) {
          walk(n, key, sibling, out);
        }
      }
    }
  }
}
