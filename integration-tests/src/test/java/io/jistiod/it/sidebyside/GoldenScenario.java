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
import java.util.stream.Stream;

/**
 * One golden scenario (pilot/src/test/resources/golden/NAME, format in its README.md): the inputs
 * and the proxies, and how to apply the inputs to the rig.
 *
 * @param meshYaml the scenario's MeshConfig YAML, or null for Istio's defaults
 */
public record GoldenScenario(
    String name,
    Path dir,
    String kubeYaml,
    String istioYaml,
    String meshYaml,
    List<Proxy> proxies) {

  /** A proxy identity of the scenario: the file prefix and the Envoy node as Envoy sends it. */
  public record Proxy(String name, Node node) {}

  /** pilot/src/test/resources/golden, seen from the integration-tests module. */
  public static final Path ROOT =
      Rig.MODULE.resolve("../pilot/src/test/resources/golden").normalize();

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
          proxies(dir.resolve("proxies.yaml")));
    } catch (IOException e) {
      throw new UncheckedIOException(dir + ": " + e.getMessage(), e);
    }
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
      out.add(new Proxy(p.path("name").asText(), node.build()));
    }
    return List.copyOf(out);
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
    rig.apply(kubeYaml);
    // The reference istiod's discoverySelectors pick the scenario's namespaces by this label.
    for (String ns : namespaces()) {
      rig.kubectl("label", "namespace", ns, "--overwrite", "jistiod.io/scenario=" + name);
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
    }
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
