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

  /**
   * The directory of {@code module} as Istio's build resolves it (istio.io/istio itself, or one of
   * its dependencies such as sigs.k8s.io/gateway-api), for use in a test class's static fields: an
   * AssertionError (the class's tests fail, never skip) when build-istio.sh has not downloaded it.
   */
  public static Path module(String module) {
    try {
      Path dir = goList(module);
      if (!Files.isDirectory(dir)) {
        throw new AssertionError(module + " is not in the module cache at " + dir);
      }
      return dir;
    } catch (IOException e) {
      throw new AssertionError("cannot run go list for " + module + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted looking for " + module, e);
    }
  }

  private static Path goList(String module) throws IOException, InterruptedException {
    Path recipe = Rig.MODULE.resolve("peers/istio");
    Process p =
        new ProcessBuilder("go", "list", "-m", "-f", "{{.Dir}}", module)
            .directory(recipe.toFile())
            .redirectErrorStream(true)
            .start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0 || out.isEmpty()) {
      throw new AssertionError(
          "cannot find the "
              + module
              + " module (go list in "
              + recipe
              + "): "
              + out
              + "; build-istio.sh downloads it");
    }
    return Path.of(out);
  }

  /** The module directory; fails the calling test when build-istio.sh has not downloaded it. */
  public static Path dir() throws IOException, InterruptedException {
    Path dir = goList("istio.io/istio");
    if (!Files.isDirectory(dir.resolve("samples"))) {
      throw new AssertionError(
          "istio.io/istio is not in the module cache at "
              + dir
              + ": run integration-tests/cluster/build-istio.sh");
    }
    return dir;
  }
}
