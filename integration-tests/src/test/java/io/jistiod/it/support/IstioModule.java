package io.jistiod.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Istio 1.27.0's source tree (istio.io/istio at the version build-istio.sh builds) in Go's module
 * cache. Tests read Istio's test data and charts from there; nothing of it is copied into this
 * repository.
 */
public final class IstioModule {
  private IstioModule() {}

  /** The module directory; fails the calling test when build-istio.sh has not downloaded it. */
  public static Path dir() throws IOException, InterruptedException {
    Path recipe = Rig.MODULE.resolve("peers/istio");
    Process p =
        new ProcessBuilder("go", "list", "-m", "-f", "{{.Dir}}", "istio.io/istio")
            .directory(recipe.toFile())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
      throw new AssertionError(
          "cannot find the istio.io/istio module (go list in "
              + recipe
              + "): "
              + out
              + "; build-istio.sh downloads it");
    }
    Path dir = Path.of(out);
    if (!Files.isDirectory(dir.resolve("samples"))) {
      throw new AssertionError(
          "istio.io/istio is not in the module cache at "
              + dir
              + ": run integration-tests/cluster/build-istio.sh");
    }
    return dir;
  }
}
