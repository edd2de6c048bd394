package io.jistiod.galley.crd;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.jistiod.galley.config.IstioKinds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Every validation keyword of Istio 1.27.0's CRDs is in ours with the same value (CEL rules by
 * message and a digest of the expression), except the few differences listed in {@link #ALLOWED}
 * with their reason.
 *
 * <p>Istio's side is a summary derived from {@code manifests/charts/base/files/crd-all.gen.yaml} of
 * istio.io/istio at the version the peers pin ({@value #SUMMARY}); regenerate it with {@value
 * #REGENERATE}.
 */
class IstioCrdConstraintsTest {
  static final String SUMMARY = "galley/src/test/resources/crd/istio-1.27.0-crd-constraints.tsv";
  static final String REGENERATE =
      "./mvnw -q -pl galley test -Dspotless.check.skip=true -Dtest=IstioCrdConstraintsTest"
          + " -Djistiod.istio.crds=$(go env GOMODCACHE)/istio.io/istio@v0.0.0-20250808040725-"
          + "7359d8be2504/manifests/charts/base/files/crd-all.gen.yaml";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  /**
   * {@code Kind path keyword} that may differ, and why. Each is a place where our protos carry
   * istio.io/api 1.32, which added a value or a oneof member, so ours accepts a little more.
   */
  static final Map<String, String> ALLOWED =
      Map.of(
          "EnvoyFilter .spec.configPatches[].match.context enum",
          "API 1.32 adds the WAYPOINT context",
          "EnvoyFilter .spec.configPatches[].match oneOf",
          "API 1.32 adds the waypoint match to the oneof",
          "EnvoyFilter .spec.configPatches[].patch.operation enum",
          "API 1.32 adds MERGE_AND_REPLACE_LIST",
          "ServiceEntry .spec.resolution enum",
          "API 1.32 adds DYNAMIC_DNS",
          "Telemetry .spec.tracing[].customTags{} oneOf",
          "API 1.32 adds the formatter custom tag to the oneof",
          "DestinationRule .spec.trafficPolicy.loadBalancer oneOf",
          "API 1.32 adds backendUtilization to the load balancer oneof",
          "DestinationRule .spec.trafficPolicy.portLevelSettings[].loadBalancer oneOf",
          "API 1.32 adds backendUtilization to the load balancer oneof",
          "DestinationRule .spec.subsets[].trafficPolicy.loadBalancer oneOf",
          "API 1.32 adds backendUtilization to the load balancer oneof",
          "DestinationRule .spec.subsets[].trafficPolicy.portLevelSettings[].loadBalancer oneOf",
          "API 1.32 adds backendUtilization to the load balancer oneof");

  /** One summarized keyword of one of Istio's CRD versions. */
  record Constraint(String kind, String version, String path, String keyword, String value) {
    String where() {
      return kind + " " + path + " " + keyword;
    }
  }

  @Test
  void ourCrdsCarryEveryValidationKeywordOfIstios() throws IOException {
    String istioFile = System.getProperty("jistiod.istio.crds");
    Path summary = CrdFileTest.repositoryRoot().resolve(SUMMARY);
    if (istioFile != null && !istioFile.isEmpty()) {
      Files.createDirectories(summary.getParent());
      Files.writeString(summary, summarize(Path.of(istioFile)), StandardCharsets.UTF_8);
    }
    List<Constraint> istio = read(Files.readAllLines(summary, StandardCharsets.UTF_8));
    assertThat(istio).as("summary of Istio's CRDs").hasSizeGreaterThan(1000);
    assertThat(differences(istio, ours())).isEmpty();
  }

  @Test
  void aMissingRuleOrBoundIsReported() {
    Map<String, Map<String, String>> ours = ours();
    Map<String, String> se = new TreeMap<>(ours.get("ServiceEntry v1"));
    se.remove(".spec.hosts[] x-kubernetes-validations");
    se.put(".spec.hosts maxItems", "\"300\"");
    ours.put("ServiceEntry v1", se);
    List<Constraint> istio =
        List.of(
            new Constraint(
                "ServiceEntry",
                "v1",
                ".spec.hosts[]",
                "x-kubernetes-validations",
                ourValue("ServiceEntry v1", ".spec.hosts[] x-kubernetes-validations")),
            new Constraint("ServiceEntry", "v1", ".spec.hosts", "maxItems", "256"),
            new Constraint("ServiceEntry", "v1", ".spec.resolution", "enum", "[\"NONE\"]"));
    assertThat(differences(istio, ours))
        .hasSize(2)
        .anyMatch(d -> d.contains(".spec.hosts[] x-kubernetes-validations") && d.contains("none"))
        .anyMatch(d -> d.contains(".spec.hosts maxItems") && d.contains("300"));
  }

  private static String ourValue(String kindVersion, String key) {
    return ours().get(kindVersion).get(key);
  }

  /** What differs, one line each; allowed differences left out. */
  static List<String> differences(List<Constraint> istio, Map<String, Map<String, String>> ours) {
    List<String> out = new ArrayList<>();
    for (Constraint c : istio) {
      if (ALLOWED.containsKey(c.where())) {
        continue;
      }
      Map<String, String> mine = ours.get(c.kind() + " " + c.version());
      if (mine == null) {
        out.add(c.kind() + " " + c.version() + ": version not served");
        continue;
      }
      String v = mine.get(c.path() + " " + c.keyword());
      if (!c.value().equals(v)) {
        out.add(
            c.kind()
                + " "
                + c.version()
                + " "
                + c.path()
                + " "
                + c.keyword()
                + ": Istio "
                + c.value()
                + ", ours "
                + (v == null ? "none" : v));
      }
    }
    return out;
  }

  /** Our generated CRDs' constraints by {@code "Kind version"}. */
  static Map<String, Map<String, String>> ours() {
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (Map<String, Object> crd : CrdGenerator.customResourceDefinitions(IstioKinds.ALL)) {
      collect(JSON.valueToTree(crd), out);
    }
    return out;
  }

  private static void collect(JsonNode crd, Map<String, Map<String, String>> out) {
    String kind = crd.at("/spec/names/kind").asText();
    for (JsonNode v : crd.at("/spec/versions")) {
      JsonNode schema = v.at("/schema/openAPIV3Schema");
      out.put(kind + " " + v.path("name").asText(), SchemaConstraints.of(schema));
    }
  }

  /** The summary of Istio's CRD file: one tab-separated line per keyword, versions folded. */
  static String summarize(Path istioCrds) throws IOException {
    Map<String, Map<String, String>> byVersion = new TreeMap<>();
    try (YAMLParser p = new YAMLFactory().createParser(istioCrds.toFile())) {
      for (JsonNode crd : YAML.readValues(p, JsonNode.class).readAll()) {
        if (crd instanceof ObjectNode) {
          collect(crd, byVersion);
        }
      }
    }
    // Versions of a kind whose constraints are equal share lines.
    Map<String, Map<String, List<String>>> folded = new TreeMap<>();
    for (Map.Entry<String, Map<String, String>> e : byVersion.entrySet()) {
      String[] kv = e.getKey().split(" ");
      String content = JSON.writeValueAsString(e.getValue());
      folded
          .computeIfAbsent(kv[0], k -> new LinkedHashMap<>())
          .computeIfAbsent(content, c -> new ArrayList<>())
          .add(kv[1]);
    }
    StringBuilder sb = new StringBuilder();
    sb.append("# Validation keywords of Istio 1.27.0's CRDs, derived by IstioCrdConstraintsTest\n");
    sb.append("# from istio.io/istio manifests/charts/base/files/crd-all.gen.yaml (CEL rules as\n");
    sb.append("# message + digest). Columns: kind, versions, path, keyword, value (JSON).\n");
    sb.append("# Regenerate: ").append(REGENERATE).append('\n');
    for (Map.Entry<String, Map<String, List<String>>> k : folded.entrySet()) {
      for (Map.Entry<String, List<String>> group : k.getValue().entrySet()) {
        String versions = String.join(",", group.getValue());
        Map<String, String> constraints = byVersion.get(k.getKey() + " " + group.getValue().get(0));
        for (Map.Entry<String, String> c : constraints.entrySet()) {
          int space = c.getKey().lastIndexOf(' ');
          sb.append(k.getKey())
              .append('\t')
              .append(versions)
              .append('\t')
              .append(c.getKey(), 0, space)
              .append('\t')
              .append(c.getKey().substring(space + 1))
              .append('\t')
              .append(c.getValue())
              .append('\n');
        }
      }
    }
    return sb.toString();
  }

  static List<Constraint> read(List<String> lines) {
    List<Constraint> out = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] f = line.split("\t", 5);
      for (String version : f[1].split(",")) {
        out.add(new Constraint(f[0], version, f[2], f[3], f[4]));
      }
    }
    return out;
  }
}
