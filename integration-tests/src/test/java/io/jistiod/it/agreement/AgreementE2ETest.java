package io.jistiod.it.agreement;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our verdicts ({@code istiod validate -f}) against Istio 1.27.0's own (its CRD schema on a real
 * API server, then {@code istioctl validate}) on every Istio config document in Istio's source
 * tree. Fails when a disagreement appears that {@code agreement/explained.yaml} does not explain.
 *
 * <p>Writes the table to {@code target/agreement.md}; with {@code -Dagreement.write=true} also into
 * docs/validation.md ({@code integration-tests/agreement.sh} does both).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class AgreementE2ETest {
  @TempDir Path tmp;

  @Test
  void everyDisagreementWithIstiosOwnVerdictsIsExplained(Rig rig) throws Exception {
    Path module = IstioCorpus.moduleDir();
    IstioCorpus.Corpus corpus = IstioCorpus.load(module);
    // a corpus that silently shrank would prove nothing: Istio 1.27.0 has ~750 such documents
    assertThat(corpus.documents())
        .as("documents of Istio kinds in " + module)
        .hasSizeGreaterThan(500);

    Map<String, Verdict> istio = IstioVerdicts.judge(corpus.documents(), tmp);
    Map<String, Verdict> ours = OurVerdicts.judge(corpus.documents(), tmp);
    Explanations explanations = Explanations.load();
    Agreement agreement = Agreement.compare(corpus, istio, ours, explanations);

    String section =
        AgreementTable.render(
            agreement,
            "istio.io/istio 1.27.0 (`" + module.getFileName() + "` in Go's module cache)");
    Files.writeString(Rig.MODULE.resolve("target/agreement.md"), section, StandardCharsets.UTF_8);
    if (Boolean.getBoolean("agreement.write")) {
      AgreementTable.writeInto(Rig.MODULE.resolve("../docs/validation.md"), section);
    }
    Agreement.Counts t = agreement.total();
    System.out.printf(
        "[agreement] %d documents: %d agree accept, %d agree reject, %d disagree (%d unexplained)%n",
        t.documents(),
        t.agreeAccept(),
        t.agreeReject(),
        t.disagree(),
        agreement.unexplained().size());
    agreement
        .unused(explanations)
        .forEach(
            e -> System.out.println("[agreement] explanation no longer needed: " + e.document()));

    assertThat(agreement.unexplained())
        .as(
            "disagreements with Istio's verdicts that agreement/explained.yaml does not explain"
                + " (table: target/agreement.md):%n%s",
            agreement.unexplained().stream()
                .map(
                    r ->
                        r.doc().id()
                            + " ("
                            + r.doc().kind()
                            + "): Istio "
                            + r.istio().word()
                            + " "
                            + r.istio().reason()
                            + " | ours "
                            + r.ours().word()
                            + " "
                            + r.ours().reason())
                .collect(Collectors.joining("\n")))
        .isEmpty();
  }
}
