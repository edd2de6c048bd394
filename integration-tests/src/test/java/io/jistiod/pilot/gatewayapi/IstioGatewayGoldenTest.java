package io.jistiod.pilot.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.GatewayApiKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.galley.parse.ProtoJsonWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Istio 1.27's own golden tests of its Gateway API conversion ({@code TestConvertResources} in
 * pilot/pkg/config/kube/gateway/conversion_test.go), run against our converter: each case's input
 * ({@code testdata/<case>.yaml}) is converted in the Go test's world ({@link IstioWorld}) and the
 * output compared, as parsed YAML, with Istio's expected Istio config ({@code <case>.yaml.golden},
 * documents in order, VirtualService routes in order) and expected status ({@code
 * <case>.status.yaml.golden}). The files are read from the Go module cache, never copied; the test
 * fails, not skips, when they are missing (the e2e suite's build-istio.sh downloads them).
 */
@org.junit.jupiter.api.Tag("e2e")
class IstioGatewayGoldenTest {
  static final Path ISTIO = io.jistiod.it.support.IstioModule.module("istio.io/istio");
  static final Path GATEWAY = ISTIO.resolve("pilot/pkg/config/kube/gateway");
  static final Path TESTDATA = GATEWAY.resolve("testdata");

  /**
   * Istio's cases (TestConvertResources) whose Istio config and status both match its goldens. They
   * run with the Go test's flags: alpha kinds, the inference extension, and the remote, waypoint
   * and east-west classes on.
   */
  static final List<String> CASES =
      List.of(
          "http",
          "grpc",
          "mismatch",
          "delegated",
          "route-precedence",
          "reference-policy-service",
          "reference-policy-tls",
          "isolation",
          "invalid",
          "weighted",
          "zero",
          "tls",
          "tcp",
          "mesh",
          "multi-gateway",
          "route-binding",
          "reference-policy-tcp",
          "reference-policy-inferencepool",
          "serviceentry",
          "status",
          "mcs",
          "valid-invalid-parent-ref",
          "eastwest",
          "eastwest-tlsoption",
          "eastwest-labelport",
          "eastwest-remote",
          "east-west-ambient",
          "waypoint",
          "listenerset",
          "listenerset-cross-namespace",
          "listenerset-invalid",
          "listenerset-empty-listeners",
          "backend-tls-policy",
          "backend-lb-policy",
          "mix-backend-policy");

  /** Istio's cases not compared yet, and why: what they test is not translated yet. */
  static final Map<String, String> NOT_YET = Map.of();

  /**
   * Status documents our converter does not produce, per case, and why; every other status document
   * is compared.
   */
  static final Map<String, Set<String>> STATUS_NOT_COMPARED =
      Map.of(
          // InferencePool objects are not read (only the Services istiod shadows them with), so
          // their status (the inference-pool controller's) is not written either.
          "http", Set.of("InferencePool"),
          "reference-policy-inferencepool", Set.of("InferencePool"));

  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  @BeforeAll
  static void requireIstioSource() {
    assertThat(TESTDATA)
        .as(
            "Istio 1.27's source in the Go module cache (cd integration-tests/peers/istio && go mod"
                + " download istio.io/istio)")
        .isDirectory();
  }

  /** A case Istio adds is either compared or listed with its reason, never silently missed. */
  @Test
  void everyIstioCaseIsComparedOrExplained() throws Exception {
    List<String> inputs;
    try (Stream<Path> files = Files.list(TESTDATA)) {
      inputs =
          files
              .map(f -> f.getFileName().toString())
              .filter(f -> f.endsWith(".yaml") && !f.equals("benchmark-httproute.yaml"))
              .map(f -> f.substring(0, f.length() - ".yaml".length()))
              .sorted()
              .toList();
    }
    List<String> known = new ArrayList<>(CASES);
    known.addAll(NOT_YET.keySet());
    assertThat(inputs).containsExactlyInAnyOrderElementsOf(known);
  }

  @TestFactory
  Stream<DynamicTest> matchesIstio() {
    return CASES.stream()
        .flatMap(
            name ->
                Stream.of(
                    DynamicTest.dynamicTest(name + " config", () -> compareConfig(name)),
                    DynamicTest.dynamicTest(name + " status", () -> compareStatus(name)),
                    DynamicTest.dynamicTest(
                        name + " status is stable", () -> statusIsStable(name))));
  }

  static GatewayApiResult convert(String name) throws Exception {
    return convert(name, store(name), T0);
  }

  static MemoryConfigStore store(String name) throws Exception {
    String input = Files.readString(TESTDATA.resolve(name + ".yaml"));
    ParseResult parsed =
        new ConfigParser(GatewayApiKinds.withIstioKinds(true, true), "default").parse(input, name);
    assertThat(parsed.errors()).as("parse errors").isEmpty();
    MemoryConfigStore store = new MemoryConfigStore();
    parsed.configs().forEach(store::put);
    return store;
  }

  static GatewayApiResult convert(String name, MemoryConfigStore store, Instant now)
      throws Exception {
    String input = Files.readString(TESTDATA.resolve(name + ".yaml"));
    GatewayApiOptions options =
        new GatewayApiOptions(IstioWorld.SUFFIX, true, true, true, true, true, true, false);
    return GatewayApiConverter.convert(
        GatewayApiInputs.from(
            store,
            IstioWorld.namespaces(input),
            IstioWorld.kubernetesServices(),
            IstioWorld.secrets(GATEWAY.resolve("conversion_test.go")),
            IstioWorld.configMaps(GATEWAY.resolve("conversion_test.go")),
            IstioWorld.registry(),
            options,
            now));
  }

  /**
   * Once istiod's status is written, converting again wants no further write: nothing churns, even
   * with a later clock.
   */
  private static void statusIsStable(String name) throws Exception {
    MemoryConfigStore store = store(name);
    GatewayApiResult first = convert(name, store, T0);
    assertThat(first.statusUpdates()).isNotEmpty();
    for (GatewayApiResult.StatusUpdate u : first.statusUpdates()) {
      store.put(new Config(u.object().meta(), u.object().spec(), u.status()));
    }
    assertThat(convert(name, store, T0.plusSeconds(3600)).statusUpdates()).isEmpty();
  }

  private static void compareConfig(String name) throws Exception {
    GatewayApiResult result = convert(name);
    List<JsonNode> ours = new ArrayList<>();
    for (Config c : result.gateways()) {
      ours.add(istioObject(c));
    }
    for (Config c : result.virtualServices()) {
      ours.add(istioObject(c));
    }
    for (Config c : result.destinationRules()) {
      ours.add(istioObject(c));
    }
    compare(name + ".yaml.golden", ours, golden(name + ".yaml.golden", Set.of()));
  }

  private static void compareStatus(String name) throws Exception {
    GatewayApiResult result = convert(name);
    List<JsonNode> ours = new ArrayList<>();
    for (GatewayApiResult.StatusUpdate u : result.statusUpdates()) {
      ObjectNode doc = NODES.objectNode();
      var kind = u.object().meta().kind();
      doc.put("apiVersion", kind.apiVersion());
      doc.put("kind", kind.kind());
      ObjectNode meta = doc.putObject("metadata");
      meta.putNull("creationTimestamp");
      meta.put("name", u.object().name());
      if (!u.object().namespace().isEmpty()) {
        meta.put("namespace", u.object().namespace());
      }
      doc.putNull("spec");
      doc.set("status", fakeTimes(ProtoJsonWriter.write(u.status())));
      ours.add(doc);
    }
    compare(
        name + ".status.yaml.golden",
        ours,
        golden(name + ".status.yaml.golden", STATUS_NOT_COMPARED.getOrDefault(name, Set.of())));
  }

  /** An Istio object as Istio's test prints it. */
  private static JsonNode istioObject(Config c) {
    ObjectNode doc = NODES.objectNode();
    doc.put("apiVersion", "networking.istio.io/v1");
    doc.put("kind", c.meta().kind().kind());
    ObjectNode meta = doc.putObject("metadata");
    if (!c.meta().annotations().isEmpty()) {
      ObjectNode a = meta.putObject("annotations");
      c.meta().annotations().forEach(a::put);
    }
    meta.putNull("creationTimestamp");
    meta.put("name", c.name());
    meta.put("namespace", c.namespace());
    doc.set("spec", ProtoJsonWriter.write(c.spec()));
    return doc;
  }

  /** Every {@code lastTransitionTime} replaced by {@code fake}, as the Go test does. */
  private static JsonNode fakeTimes(JsonNode node) {
    if (node instanceof ObjectNode o) {
      for (Map.Entry<String, JsonNode> e : o.properties()) {
        if (e.getKey().equals("lastTransitionTime")) {
          e.setValue(TextNode.valueOf("fake"));
        } else {
          fakeTimes(e.getValue());
        }
      }
    } else if (node.isArray()) {
      node.forEach(IstioGatewayGoldenTest::fakeTimes);
    }
    return node;
  }

  private static List<JsonNode> golden(String file, Set<String> skipKinds) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (KubeYaml.Document d :
        KubeYaml.documents(Files.readString(TESTDATA.resolve(file)), false)) {
      if (!d.failed() && !d.empty() && !skipKinds.contains(d.value().path("kind").asText())) {
        // Read again with Jackson so numbers and nulls are typed as ours are.
        out.add(YAML.readTree(YAML.writeValueAsString(d.value())));
      }
    }
    return out;
  }

  /** Document by document, so a mismatch names the object and shows both versions. */
  private static void compare(String file, List<JsonNode> ours, List<JsonNode> want)
      throws Exception {
    List<String> problems = new ArrayList<>();
    int n = Math.max(ours.size(), want.size());
    for (int i = 0; i < n; i++) {
      JsonNode o = i < ours.size() ? ours.get(i) : null;
      JsonNode w = i < want.size() ? want.get(i) : null;
      if (o == null || w == null || !o.equals(w)) {
        problems.add(
            "document "
                + (i + 1)
                + ":\n--- Istio ("
                + file
                + ")\n"
                + (w == null ? "(none)\n" : YAML.writeValueAsString(w))
                + "--- ours\n"
                + (o == null ? "(none)\n" : YAML.writeValueAsString(o)));
        if (problems.size() >= 3) {
          break;
        }
      }
    }
    assertThat(problems).as(file).isEmpty();
  }
}
