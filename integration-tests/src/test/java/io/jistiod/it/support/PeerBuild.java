package io.jistiod.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs one of the {@code integration-tests/cluster/build-*.sh} scripts that build a Go peer into
 * the cache and print its path on the last line of stdout.
 */
public final class PeerBuild {
  private PeerBuild() {}

  /** The built program's path; throws with the script's stderr if it fails. */
  public static Path run(String scriptName, long timeoutMinutes) {
    return run(scriptName, timeoutMinutes, true);
  }

  /** The built file's path (an archive, not a program); throws as {@link #run(String, long)}. */
  public static Path file(String scriptName, long timeoutMinutes) {
    return run(scriptName, timeoutMinutes, false);
  }

  private static Path run(String scriptName, long timeoutMinutes, boolean program) {
    Path script = findScript(scriptName);
    Path log = null;
    try {
      log = Files.createTempFile(scriptName + "-", ".log");
      Process p =
          new ProcessBuilder("bash", script.toString())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectError(log.toFile())
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IllegalStateException(script + " did not finish in " + timeoutMinutes + "m");
      }
      String errors = Files.readString(log).strip();
      if (p.exitValue() != 0) {
        throw new IllegalStateException(
            script + " failed (exit " + p.exitValue() + "; it needs Go on PATH):\n" + errors);
      }
      String[] lines = out.strip().split("\n");
      Path binary = Path.of(lines[lines.length - 1].strip());
      if (program ? !Files.isExecutable(binary) : !Files.isRegularFile(binary)) {
        throw new IllegalStateException(
            script + " printed no " + (program ? "executable " : "") + "path:\n" + out + errors);
      }
      if (!errors.isEmpty()) {
        System.err.println(errors);
      }
      return binary;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + script, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + script, e);
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

  /** The script, from the integration-tests module or any folder above it. */
  private static Path findScript(String name) {
    Path rel = Path.of("cluster", name);
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
