package io.jistiod.it.kubeinject;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InjectedObjectsTest {
  @Test
  void keyOrderAndLayoutDoNotMatterButListOrderAndTypesDo() throws Exception {
    var reference =
        InjectedObjects.parse("a: 1\nb:\n  - x\n  - y\nc: {d: \"1\"}\n---\nkind: Service\n---\n");
    assertThat(
            InjectedObjects.differences(
                reference,
                InjectedObjects.parse("c:\n  d: '1'\nb: [x, y]\na: 1\n---\nkind: Service\n"),
                10))
        .isEmpty();
    assertThat(
            InjectedObjects.differences(
                reference,
                InjectedObjects.parse("a: 1\nb: [y, x]\nc: {d: 1}\n---\nkind: Pod\n"),
                10))
        .containsExactly(
            "[0]/b/0: reference \"x\", ours \"y\"",
            "[0]/b/1: reference \"y\", ours \"x\"",
            "[0]/c/d: reference \"1\", ours 1",
            "[1]/kind: reference \"Service\", ours \"Pod\"");
  }

  @Test
  void missingKeysAndDocumentsAreNamed() throws Exception {
    assertThat(
            InjectedObjects.differences(
                InjectedObjects.parse("metadata: {name: a, labels: {x/y: z}}\n"),
                InjectedObjects.parse("metadata: {name: a}\n---\nb: 1\n"),
                10))
        .containsExactly(
            "documents: 1 in the reference, 2 in ours",
            "[0]/metadata/labels: only in the reference: {\"x/y\":\"z\"}");
  }

  @Test
  void knownDifferenceGlobsMatchWholeCaseNames() {
    assertThat(KnownInjectDifferences.glob("ours/pod-*").matcher("ours/pod-a.yaml[x]").matches())
        .isTrue();
    assertThat(KnownInjectDifferences.glob("ours/pod-*").matcher("istio/ours/pod-a").matches())
        .isFalse();
    assertThat(KnownInjectDifferences.glob("a.b").matcher("axb").matches()).isFalse();
  }

  @Test
  void knownDifferencesAcceptByColumnCaseAndPathAndReportStaleEntries(@TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("known.yaml");
    Files.writeString(
        file,
        "differences:\n"
            + "- {column: istiod, case: 'ours/*', path: '[*]/metadata/creationTimestamp',"
            + " reason: a}\n"
            + "- {column: istiod, case: 'istio/hello.yaml', reason: b}\n"
            + "- {column: ours-templates, case: '*', reason: c}\n");
    KnownInjectDifferences known = KnownInjectDifferences.load(file);
    assertThat(known.accept("istiod", "ours/x.yaml", "[1]/metadata/creationTimestamp: only in"))
        .isPresent();
    assertThat(known.accept("istiod", "ours/x.yaml", "[1]/metadata/name: reference")).isEmpty();
    assertThat(known.accept("istiod", "istio/hello.yaml", "exit code: reference 0")).isPresent();
    assertThat(known.unused(List.of("istiod"))).isEmpty();
    assertThat(known.unused(List.of("istiod", "ours-templates")))
        .extracting(KnownInjectDifferences.Entry::reason)
        .containsExactly("c");
  }

  @Test
  void knownDifferencesNeedAReason(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("known.yaml");
    Files.writeString(file, "differences:\n- {column: istiod, case: '*'}\n");
    assertThatThrownBy(() -> KnownInjectDifferences.load(file))
        .hasMessageContaining("needs a column, a case glob and a reason");
  }

  @Test
  void emptyDocumentsAreLeftOut() throws Exception {
    assertThat(InjectedObjects.parse("---\n---\na: 1\n---\n")).hasSize(1);
    assertThat(InjectedObjects.parse("")).isEqualTo(List.of());
  }
}
