package io.jistiod.galley.parse;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.galley.config.IstioKinds;
import java.util.List;
import org.junit.jupiter.api.Test;

class KubeYamlTest {
  private static final String VS =
      "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: %s}\n"
          + "spec: {hosts: [%s]}\n";

  @Test
  void scalarsResolveAsKubernetesResolvesThem() throws Exception {
    JsonNode n =
        KubeYaml.read(
            "ips: [2001:db8::1, fe80::1]\nyes: on\nfloat: 1e3\nhalf: .5\noct: 0777\n"
                + "sexa: 12:30\nts: 2001-12-14\nnothing: ~\n");
    assertThat(n.get("ips").get(0).asText()).isEqualTo("2001:db8::1");
    assertThat(n.get("ips").get(1).asText()).isEqualTo("fe80::1");
    assertThat(n.get("true").booleanValue()).isTrue();
    assertThat(n.get("float").isInt()).isTrue();
    assertThat(n.get("float").intValue()).isEqualTo(1000);
    assertThat(n.get("half").doubleValue()).isEqualTo(0.5);
    assertThat(n.get("oct").intValue()).isEqualTo(511);
    assertThat(n.get("sexa").asText()).isEqualTo("12:30");
    assertThat(n.get("ts").asText()).isEqualTo("2001-12-14");
    assertThat(n.get("nothing").isNull()).isTrue();
  }

  @Test
  void duplicateKeysLastWinsUnlessStrict() {
    String text = "a: 1\na: 2\n";
    assertThat(KubeYaml.documents(text, false).get(0).value().get("a").intValue()).isEqualTo(2);
    KubeYaml.Document strict = KubeYaml.documents(text, true).get(0);
    assertThat(strict.failed()).isTrue();
    assertThat(strict.error()).isEqualTo("line 2: key \"a\" already set in map");
  }

  /** The messages of sigs.k8s.io/yaml 1.4 for keys JSON cannot have, as Go prints them. */
  @Test
  void keysJsonCannotHaveAreRefusedWithGosMessage() {
    assertThat(KubeYaml.documents("~: ~\n", false).get(0).error())
        .isEqualTo("unsupported map key of type: %!s(<nil>), key: <nil>, value: <nil>");
    assertThat(KubeYaml.documents("~: hello\n", false).get(0).error())
        .isEqualTo("unsupported map key of type: %!s(<nil>), key: <nil>, value: \"hello\"");
    assertThat(KubeYaml.documents("~: {a: 1}\n", false).get(0).error())
        .isEqualTo(
            "unsupported map key of type: %!s(<nil>), key: <nil>, value:"
                + " map[interface {}]interface {}{\"a\":1}");
    assertThat(KubeYaml.documents("~: [x]\n", false).get(0).error())
        .isEqualTo(
            "unsupported map key of type: %!s(<nil>), key: <nil>, value: []interface {}{\"x\"}");
    assertThat(KubeYaml.documents("18446744073709551615: ~\n", false).get(0).error())
        .isEqualTo("unsupported map key of type: uint64, key: 0xffffffffffffffff, value: <nil>");
  }

  /** The API server takes requests up to 3 MiB; SnakeYAML's default cap (3 MB) refused them. */
  @Test
  void documentsOfFourMebibytesAreRead() {
    String big = "x".repeat(4 * 1024 * 1024);
    String text = String.format(VS, "big", "a") + "---\nbig: '" + big + "'\n";
    List<KubeYaml.Document> docs = KubeYaml.documents(text, false);
    assertThat(docs).hasSize(2);
    assertThat(docs.get(1).failed()).isFalse();
    assertThat(docs.get(1).value().get("big").asText()).hasSize(big.length());
  }

  @Test
  void documentsAreNumberedAsAReaderCountsThem() {
    String text =
        "# a header before the first separator is not a document\n"
            + "---\n"
            + String.format(VS, "one", "a")
            + "---\n"
            + "---\n" // 2: empty
            + "# 3: only a comment\n"
            + "---\n"
            + "a: [unclosed\n" // 4: malformed
            + "---\n"
            + String.format(VS, "five", "b")
            + "---\n";
    List<KubeYaml.Document> docs = KubeYaml.documents(text, false);
    assertThat(docs).extracting(KubeYaml.Document::number).containsExactly(1, 3, 4, 5);
    assertThat(docs.get(1).empty()).isTrue();
    assertThat(docs.get(2).failed()).isTrue();
    assertThat(docs.get(3).value().path("metadata").path("name").asText()).isEqualTo("five");
  }

  @Test
  void aFileWithoutLeadingSeparatorStartsAtOne() {
    String text = String.format(VS, "one", "a") + "---\n" + String.format(VS, "two", "b");
    assertThat(KubeYaml.documents(text, false))
        .extracting(KubeYaml.Document::number)
        .containsExactly(1, 2);
  }

  @Test
  void aSeparatorWithContentStopsReadingAsKubernetesDoes() {
    List<KubeYaml.Document> docs =
        KubeYaml.documents(String.format(VS, "one", "a") + "--- a: 1\nb: 2\n", false);
    assertThat(docs).singleElement().satisfies(d -> assertThat(d.number()).isEqualTo(2));
    assertThat(docs.get(0).error()).isEqualTo("invalid YAML document separator: a: 1");
  }

  @Test
  void configFolderMessagesNameTheDocument() {
    ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");
    String text =
        "---\n"
            + String.format(VS, "one", "a")
            + "---\n"
            + "# comments only\n"
            + "---\n"
            + "spec: {hosts: [\n"
            + "---\n"
            + String.format(VS, "", "c")
            + "---\n";
    ParseResult r = parser.parse(text, "mesh/f.yaml");
    assertThat(r.configs()).extracting(c -> c.name()).containsExactly("one");
    assertThat(r.errors())
        .extracting(ConfigError::source)
        .containsExactly("mesh/f.yaml (document 3)", "mesh/f.yaml (document 4)");
    assertThat(r.errors().get(0).message()).startsWith("malformed YAML: ");
    assertThat(r.errors().get(1).field()).isEqualTo("metadata.name");
  }
}
