package io.jistiod.it.kubeinject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The kube-inject corpus: every input of Istio 1.27's {@code pkg/kube/inject/testdata/inject} (read
 * from Go's module cache) and of this repository's {@code inject-corpus} folder, each with the
 * charts' defaults, plus the variants that {@code inject-corpus/cases.yaml} lists (see there).
 */
public final class InjectCorpus {
  /** The files of {@code inject-corpus} that are not inputs. */
  static final List<String> NOT_INPUTS = List.of("cases.yaml", "known-differences.yaml");

  private InjectCorpus() {}

  /**
   * @param istioInputs Istio's {@code pkg/kube/inject/testdata/inject}
   * @param ours this repository's {@code inject-corpus}
   */
  public static List<InjectCase> load(Path istioInputs, Path ours) throws IOException {
    JsonNode cases =
        new ObjectMapper(new YAMLFactory()).readTree(ours.resolve("cases.yaml").toFile());
    List<InjectCase> out = new ArrayList<>();
    InjectCase.Settings defaults =
        new InjectCase.Settings(JsonNodeFactory.instance.objectNode(), null, Map.of());
    for (Path f : inputs(istioInputs, List.of())) {
      out.add(new InjectCase("istio/" + f.getFileName(), f, defaults));
    }
    for (Path f : inputs(ours, NOT_INPUTS)) {
      out.add(new InjectCase("ours/" + f.getFileName(), f, defaults));
    }
    out.addAll(variants("istio", cases.path("istio"), istioInputs));
    out.addAll(variants("ours", cases.path("ours"), ours));
    return out;
  }

  private static List<Path> inputs(Path dir, List<String> skip) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files
          .filter(f -> f.getFileName().toString().endsWith(".yaml"))
          .filter(f -> !f.getFileName().toString().endsWith(".iop.yaml"))
          .filter(f -> !skip.contains(f.getFileName().toString()))
          .sorted()
          .toList();
    }
  }

  private static List<InjectCase> variants(String source, JsonNode list, Path dir) {
    List<InjectCase> out = new ArrayList<>();
    for (JsonNode v : list) {
      String input = v.path("input").asText();
      String name = v.path("name").asText();
      Path file = dir.resolve(input);
      if (input.isEmpty() || name.isEmpty() || !Files.isRegularFile(file)) {
        throw new IllegalArgumentException(
            "cases.yaml " + source + ": a variant needs an existing input and a name: " + v);
      }
      Map<String, String> env = new LinkedHashMap<>();
      v.path("env").fields().forEachRemaining(e -> env.put(e.getKey(), e.getValue().asText()));
      JsonNode values = v.has("values") ? v.get("values") : JsonNodeFactory.instance.objectNode();
      Path iop = v.hasNonNull("iop") ? dir.resolve(v.get("iop").asText()) : null;
      out.add(
          new InjectCase(
              source + "/" + input + "[" + name + "]",
              file,
              new InjectCase.Settings(values, iop, Map.copyOf(env))));
    }
    return out;
  }
}
