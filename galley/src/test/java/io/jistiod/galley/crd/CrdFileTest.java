package io.jistiod.galley.crd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The committed {@code crds/crd-all.gen.yaml} is what the generator produces from today's protos.
 * With {@code -Djistiod.crd.update=true} the test rewrites the file instead of failing.
 *
 * <p>The base Helm chart carries a copy, {@value #CHART_COPY}: Helm reads only files inside a
 * chart, and a copy (rather than a symlink) survives {@code helm package}, {@code helm pull} from a
 * Git checkout on any OS and every tool that reads the chart. This test keeps the copy identical to
 * the generator's output, and the update switch rewrites both.
 */
class CrdFileTest {
  static final String CHART_COPY = "manifests/charts/base/files/crd-all.gen.yaml";

  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null) {
      if (Files.exists(dir.resolve("mvnw")) && Files.isDirectory(dir.resolve("galley"))) {
        return dir;
      }
      dir = dir.getParent();
    }
    throw new IllegalStateException(
        "repository root not found above " + Path.of("").toAbsolutePath());
  }

  @Test
  void committedCrdsMatchTheProtos() throws IOException {
    Path file = repositoryRoot().resolve(CrdGenerator.COMMITTED_FILE);
    String generated = CrdGenerator.render();
    if (Boolean.getBoolean("jistiod.crd.update")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, generated, StandardCharsets.UTF_8);
      Path copy = repositoryRoot().resolve(CHART_COPY);
      Files.createDirectories(copy.getParent());
      Files.writeString(copy, generated, StandardCharsets.UTF_8);
      return;
    }
    if (!Files.exists(file)) {
      fail(file + " is missing; generate it with: " + CrdGenerator.REGENERATE);
    }
    String committed = Files.readString(file, StandardCharsets.UTF_8);
    if (!committed.equals(generated)) {
      fail(
          file
              + " is out of date with the protos (first difference at line "
              + firstDifferentLine(committed, generated)
              + "); regenerate it with: "
              + CrdGenerator.REGENERATE);
    }
    assertThat(committed).startsWith("# DO NOT EDIT");
  }

  @Test
  void theBaseChartCarriesTheSameCrds() throws IOException {
    Path copy = repositoryRoot().resolve(CHART_COPY);
    Path committed = repositoryRoot().resolve(CrdGenerator.COMMITTED_FILE);
    if (Boolean.getBoolean("jistiod.crd.update")) {
      return; // committedCrdsMatchTheProtos writes both
    }
    if (!Files.exists(copy)) {
      fail(copy + " is missing; write it with: " + CrdGenerator.REGENERATE);
    }
    String a = Files.readString(committed, StandardCharsets.UTF_8);
    String b = Files.readString(copy, StandardCharsets.UTF_8);
    if (!a.equals(b)) {
      fail(
          copy
              + " differs from "
              + committed
              + " at line "
              + firstDifferentLine(a, b)
              + "; rewrite both with: "
              + CrdGenerator.REGENERATE);
    }
  }

  private static int firstDifferentLine(String a, String b) {
    String[] x = a.split("\n", -1);
    String[] y = b.split("\n", -1);
    for (int i = 0; i < Math.min(x.length, y.length); i++) {
      if (!x[i].equals(y[i])) {
        return i + 1;
      }
    }
    return Math.min(x.length, y.length) + 1;
  }
}
