package io.jistiod.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds a Go peer with its script under {@code integration-tests/cluster} (which caches the binary
 * under {@code ${JISTIOD_CACHE:-~/.cache/jistiod}}) and returns the binary's path: the last line
 * the script prints.
 */
public final class GoPeerBuild {
  private static final long TIMEOUT_MINUTES = 30;

  private GoPeerBuild() {}

  /**
   * Runs {@code integration-tests/cluster/<script>}.
   *
   * @throws IllegalStateException when the script fails (with its stderr) or prints no binary
   */
  public static Path build(String script) {
    Path path = find(Path.of("cluster", script));
    Path log = null;
    try {
      log = Files.createTempFile("build-", ".log");
      Process p =
          new ProcessBuilder("bash", path.toString())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectError(log.toFile())
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(path + " did not finish in " + TIMEOUT_MINUTES + "m");
      }
      String errors = Files.readString(log).strip();
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            path + " failed (exit " + p.exitValue() + "; it needs Go on PATH):\n" + errors);
      }
      String[] lines = out.strip().split("\n");
      Path binary = Path.of(lines[lines.length - 1].strip());
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(path + " printed no executable path:\n" + out + errors);
      }
      return binary;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + path, e);
    } finally {
      if (log != null) {
        try {
          Files.deleteIfExists(log);
        } catch (IOException ignored) {
          // a temp file left behind is harmless
        }
      }
    }
  }

  /** {@code rel} under the integration-tests module, from it or any folder above it. */
  private static Path find(Path rel) {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      for (Path candidate :
          List.of(dir.resolve(rel), dir.resolve("integration-tests").resolve(rel))) {
        if (Files.isRegularFile(candidate)) {
          return candidate;
        }
      }
    }
    throw new IllegalStateException(
        "cannot find integration-tests/" + rel + " from " + Path.of("").toAbsolutePath());
  }
}
