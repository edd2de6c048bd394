package io.jistiod.it.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.it.support.PeerBuild;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * jistiod reads YAML exactly as Kubernetes does: for every case of the corpus ({@code
 * src/test/resources/kube-yaml}), {@link KubeYaml} yields the same documents as Go's
 * k8s.io/apimachinery YAMLReader + sigs.k8s.io/yaml (the {@code peers/kube-yaml} oracle, built by
 * {@code cluster/build-kube-yaml.sh}), in both the lenient (YAMLToJSON) and the strict
 * (YAMLToJSONStrict, as istioctl validate reads) mode: equal JSON trees where Go succeeds, a
 * failure where Go fails. Empty documents (JSON null) are left out on both sides, as every reader
 * skips them.
 */
class KubeYamlAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path CORPUS = Path.of("src/test/resources/kube-yaml");

  private static final Map<String, JsonNode> GO = new LinkedHashMap<>();

  @BeforeAll
  static void runOracle() throws Exception {
    Path binary = PeerBuild.run("build-kube-yaml.sh", 30);
    List<String> command = new ArrayList<>(List.of(binary.toString()));
    for (Path p : corpus()) {
      command.add(p.toString());
    }
    Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue())
        .as(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
        .isZero();
    for (String line : out.split("\n")) {
      if (!line.isBlank()) {
        JsonNode r = JSON.readTree(line);
        GO.put(Path.of(r.get("file").asText()).getFileName().toString(), r);
      }
    }
  }

  private static List<Path> corpus() throws IOException {
    try (Stream<Path> files = Files.list(CORPUS)) {
      return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void theCorpusIsBigAndHasBothOutcomes() {
    assertThat(GO).hasSizeGreaterThanOrEqualTo(50);
    long failing =
        GO.values().stream().filter(r -> r.get("docs").toString().contains("\"error\"")).count();
    assertThat(failing).isGreaterThanOrEqualTo(10);
  }

  @TestFactory
  Stream<DynamicTest> everyCaseReadsAsGoReadsIt() throws IOException {
    return corpus().stream()
        .flatMap(
            file ->
                Stream.of(false, true)
                    .map(
                        strict ->
                            DynamicTest.dynamicTest(
                                file.getFileName() + (strict ? " (strict)" : ""),
                                () -> agree(file, strict))));
  }

  private static void agree(Path file, boolean strict) throws IOException {
    String name = file.getFileName().toString();
    JsonNode go = GO.get(name);
    assertThat(go).as("oracle output for " + name).isNotNull();
    // Errors compare as the word "error"; documents as JSON trees (key order does not matter, node
    // types do: int, long, BigInteger and double as Jackson reads Go's JSON).
    List<Object> expected = new ArrayList<>();
    for (JsonNode d : go.get(strict ? "strict" : "docs")) {
      if (d.has("error")) {
        expected.add("error");
      } else if (!d.get("json").isNull()) {
        expected.add(d.get("json"));
      }
    }
    List<Object> actual = new ArrayList<>();
    List<String> ourErrors = new ArrayList<>();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    for (KubeYaml.Document d : KubeYaml.documents(text, strict)) {
      if (d.failed()) {
        actual.add("error");
        ourErrors.add("document " + d.number() + ": " + d.error());
      } else if (!d.empty()) {
        actual.add(d.value());
      }
    }
    assertThat(actual)
        .as("%s: Go says %s; our errors: %s", name, go.get(strict ? "strict" : "docs"), ourErrors)
        .isEqualTo(expected);
  }
}
