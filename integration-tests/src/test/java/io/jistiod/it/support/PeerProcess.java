package io.jistiod.it.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a batch-mode peer program: input from a file, one answer per stdout line. */
public final class PeerProcess {
  private PeerProcess() {}

  /** stdout's lines; throws when the program fails or outlives {@code timeoutSeconds}. */
  public static List<String> lines(List<String> command, Path stdin, long timeoutSeconds) {
    try {
      Process p =
          new ProcessBuilder(command)
              .redirectInput(stdin.toFile())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      List<String> lines = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line = r.readLine(); line != null; line = r.readLine()) {
          lines.add(line);
        }
      }
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(command + " failed");
      }
      return lines;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
