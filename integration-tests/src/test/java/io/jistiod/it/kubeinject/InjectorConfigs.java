package io.jistiod.it.kubeinject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.jistiod.it.support.Helm;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The injector's inputs as each chart renders them for one set of chart values: the {@code config}
 * and {@code values} keys of the {@code istio-sidecar-injector[-REV]} ConfigMap and the {@code
 * mesh} key of the {@code istio[-REV]} ConfigMap, written to files for kube-inject's {@code
 * --injectConfigFile}, {@code --valuesFile} and {@code --meshConfigFile}. Renderings are kept per
 * settings (many runs share them).
 */
public final class InjectorConfigs {
  /**
   * Istio 1.27.0's released istio-discovery chart: its source in the module has the development hub
   * and tag (gcr.io/istio-testing, latest), which Istio's release replaces with these.
   */
  static final String ISTIO_RELEASE_VALUES = "global:\n  hub: docker.io/istio\n  tag: 1.27.0\n";

  /** One chart's rendering. */
  public record Files3(Path config, Path values, Path mesh) {}

  /** Both charts' renderings for one set of settings. */
  public record Rendered(Files3 reference, Files3 ours) {}

  private final Helm helm;
  private final Path istioChart;
  private final Path ourChart;
  private final Path work;
  private final Map<String, Rendered> cache = new HashMap<>();

  public InjectorConfigs(Helm helm, Path istioChart, Path ourChart, Path work) {
    this.helm = helm;
    this.istioChart = istioChart;
    this.ourChart = ourChart;
    this.work = work;
  }

  /** Both renderings for {@code settings}, rendered once. */
  public synchronized Rendered render(InjectCase.Settings settings)
      throws IOException, InterruptedException {
    Rendered r = cache.get(settings.chartKey());
    if (r == null) {
      Path dir = Files.createDirectories(work.resolve("settings-" + cache.size()));
      List<String> valueFiles = valueFiles(settings, dir);
      Path release = dir.resolve("istio-release.yaml");
      Files.writeString(release, ISTIO_RELEASE_VALUES, StandardCharsets.UTF_8);
      List<String> istioFiles = new ArrayList<>(List.of(release.toString()));
      istioFiles.addAll(valueFiles);
      r =
          new Rendered(
              extract(template(istioChart, istioFiles), dir.resolve("reference")),
              extract(template(ourChart, valueFiles), dir.resolve("ours")));
      cache.put(settings.chartKey(), r);
    }
    return r;
  }

  private static List<String> valueFiles(InjectCase.Settings settings, Path dir)
      throws IOException {
    ObjectMapper yaml = new YAMLMapper();
    List<String> files = new ArrayList<>();
    if (settings.iop() != null) {
      JsonNode iopValues = yaml.readTree(settings.iop().toFile()).path("spec").path("values");
      Path f = dir.resolve("iop-values.yaml");
      yaml.writeValue(f.toFile(), iopValues);
      files.add(f.toString());
    }
    Path f = dir.resolve("values.yaml");
    yaml.writeValue(f.toFile(), settings.values());
    files.add(f.toString());
    return files;
  }

  private String template(Path chart, List<String> valueFiles)
      throws IOException, InterruptedException {
    List<String> args =
        new ArrayList<>(List.of("template", "istiod", chart.toString(), "-n", "istio-system"));
    for (String f : valueFiles) {
      args.add("-f");
      args.add(f);
    }
    return helm.check(args.toArray(String[]::new));
  }

  /** The two ConfigMaps' keys of one rendering, as files in {@code dir}. */
  static Files3 extract(String rendered, Path dir) throws IOException {
    Files.createDirectories(dir);
    String config = null;
    String values = null;
    String mesh = null;
    for (JsonNode doc : documents(rendered)) {
      if (!doc.path("kind").asText().equals("ConfigMap")) {
        continue;
      }
      String name = doc.path("metadata").path("name").asText();
      JsonNode data = doc.path("data");
      if (name.startsWith("istio-sidecar-injector")) {
        config = data.path("config").asText(null);
        values = data.path("values").asText(null);
      } else if ((name.equals("istio") || name.startsWith("istio-")) && data.has("mesh")) {
        mesh = data.path("mesh").asText();
      }
    }
    if (config == null || values == null || mesh == null) {
      throw new IOException(
          "the rendering has no istio-sidecar-injector ConfigMap (config, values) or no mesh");
    }
    Files3 out = new Files3(dir.resolve("config"), dir.resolve("values"), dir.resolve("mesh"));
    Files.writeString(out.config(), config, StandardCharsets.UTF_8);
    Files.writeString(out.values(), values, StandardCharsets.UTF_8);
    Files.writeString(out.mesh(), mesh, StandardCharsets.UTF_8);
    return out;
  }

  /** The documents of a multi-document YAML stream (empty ones left out). */
  public static List<JsonNode> documents(String yaml) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (var it = new YAMLMapper().readerFor(JsonNode.class).<JsonNode>readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isMissingNode() && !n.isNull()) {
          out.add(n);
        }
      }
    }
    return out;
  }

  /**
   * The injector config with its templates' text set aside: the templates are ours by design and
   * are compared by what they inject; everything else must parse the same. The template names are
   * kept.
   */
  public static JsonNode configWithoutTemplateText(Path config) throws IOException {
    JsonNode c = new ObjectMapper(new YAMLFactory()).readTree(config.toFile());
    if (c instanceof ObjectNode o && o.get("templates") instanceof ObjectNode templates) {
      ObjectNode names = JsonNodeFactory.instance.objectNode();
      templates.fieldNames().forEachRemaining(n -> names.put(n, "(template text)"));
      o.set("templates", names);
    }
    return c;
  }
}
