package io.jistiod.it.agreement;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agreement machinery without Istio's programs: corpus reading, comparison, the table. */
class AgreementPartsTest {
  @TempDir Path tmp;

  @Test
  void documentsAreSplitAsKubernetesSplitsThemAndOnlyIstioKindsAreKept() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("samples"));
    Files.writeString(
        dir.resolve("mixed.yaml"),
        """
        # leading comment only
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: s}
        --- # a separator with a comment
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: vs}
        spec:
          description: "--- not a separator"
        ---
        _err: 'spec.x: Invalid value'
        apiVersion: "security.istio.io/v1"
        kind: PeerAuthentication
        metadata: {name: pa}
        ---
        apiVersion: networking.istio.io/v1
        kind: Gateway
        metadata: {name: {{ .Name }}}
        """);
    IstioCorpus.Corpus c = IstioCorpus.load(tmp);
    assertThat(c.documents())
        .extracting(CorpusDocument::id, CorpusDocument::kind)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("samples/mixed.yaml#2", "VirtualService"),
            org.assertj.core.groups.Tuple.tuple("samples/mixed.yaml#3", "PeerAuthentication"));
    assertThat(c.templates()).isEqualTo(1);
    assertThat(c.documents().get(1).text()).doesNotContain("_err").startsWith("apiVersion:");
    assertThat(c.documents().get(0).text()).contains("--- not a separator");
  }

  @Test
  void aDisagreementIsExplainedOnlyInTheDirectionItsEntryNames() throws Exception {
    IstioCorpus.Corpus c =
        new IstioCorpus.Corpus(
            tmp,
            List.of(
                new CorpusDocument(
                    "pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4",
                    "v",
                    "PeerAuthentication",
                    ""),
                new CorpusDocument("a.yaml#1", "v", "Gateway", ""),
                new CorpusDocument("b.yaml#1", "v", "Gateway", "")),
            0);
    Agreement a =
        Agreement.compare(
            c,
            Map.of(
                "pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4",
                    Verdict.reject("min"),
                "a.yaml#1", Verdict.accept(),
                "b.yaml#1", Verdict.reject("x")),
            Map.of(
                "pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4", Verdict.accept(),
                "a.yaml#1", Verdict.accept(),
                "b.yaml#1", Verdict.reject("y")),
            Explanations.load());
    assertThat(a.total()).isEqualTo(new Agreement.Counts(3, 1, 1, 1));
    assertThat(a.unexplained()).isEmpty();

    Agreement flipped =
        Agreement.compare(
            c,
            Map.of(
                "pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4", Verdict.accept(),
                "a.yaml#1", Verdict.accept(),
                "b.yaml#1", Verdict.reject("x")),
            Map.of(
                "pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4", Verdict.reject("no"),
                "a.yaml#1", Verdict.reject("new"),
                "b.yaml#1", Verdict.reject("y")),
            Explanations.load());
    assertThat(flipped.unexplained())
        .extracting(r -> r.doc().id())
        .containsExactly("pkg/config/validation/testdata/crds/peerauth-invalid.yaml#4", "a.yaml#1");
    String md = AgreementTable.render(flipped, "test");
    assertThat(md)
        .contains("| disagree, not explained | 2 |")
        .contains("| `a.yaml#1` (Gateway) | accept | reject: new | **not explained** |");
  }

  @Test
  void theTableReplacesOnlyTheGeneratedSection() throws Exception {
    Path doc =
        Files.writeString(
            tmp.resolve("v.md"),
            "before\n" + AgreementTable.BEGIN + "\nold\n" + AgreementTable.END + "\nafter\n");
    AgreementTable.writeInto(doc, AgreementTable.BEGIN + "\nnew\n" + AgreementTable.END);
    assertThat(Files.readString(doc))
        .isEqualTo(
            "before\n" + AgreementTable.BEGIN + "\nnew\n" + AgreementTable.END + "\nafter\n");
  }
}
