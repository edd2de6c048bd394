package io.jistiod.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Go's own verdict on regexes: {@code integration-tests/peers/goregex}, built once per JVM by
 * {@code integration-tests/cluster/build-goregex.sh} with the Go release Istio 1.27 is built with
 * (cached under {@code ${JISTIOD_CACHE:-~/.cache/jistiod}}).
 */
public final class GoRegex {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final long BUILD_TIMEOUT_MINUTES = 30;
  private static final long RUN_TIMEOUT_SECONDS = 120;

  private static GoRegex instance;
  private static RuntimeException buildFailure;

  private final Path binary;

  /** {@code error} is Go's {@code err.Error()}, or null when Go compiles the regex. */
  public record Verdict(String regex, String error) {}

  private GoRegex(Path binary) {
    this.binary = binary;
  }

  public static synchronized GoRegex get() {
    if (instance != null) {
      return instance;
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    try {
      instance = new GoRegex(build());
      return instance;
    } catch (RuntimeException e) {
      buildFailure = e;
      throw e;
    }
  }

  /** One verdict per regex, in order. */
  public List<Verdict> compile(List<String> regexes) {
    try {
      Path input = Files.createTempFile("goregex-", ".jsonl");
      try {
        StringBuilder b = new StringBuilder();
        for (String re : regexes) {
          b.append(JSON.writeValueAsString(re)).append('\n');
        }
        Files.writeString(input, b);
        List<String> lines = run(List.of(binary.toString()), input);
        if (lines.size() != regexes.size()) {
          throw new IllegalStateException(
              binary + " gave " + lines.size() + " verdicts for " + regexes.size() + " regexes");
        }
        List<Verdict> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          JsonNode v = JSON.readTree(lines.get(i));
          out.add(
              new Verdict(
                  regexes.get(i), v.path("ok").asBoolean() ? null : v.path("error").asText()));
        }
        return out;
      } finally {
        Files.deleteIfExists(input);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The names Go's {@code \p{...}} accepts. */
  public List<String> unicodeNames() {
    return run(List.of(binary.toString(), "-unicode-names"), Path.of("/dev/null"));
  }

  /** The Go release the peer was built with. */
  public String goVersion() {
    return run(List.of(binary.toString(), "-version"), Path.of("/dev/null")).get(0);
  }

  private static List<String> run(List<String> command, Path stdin) {
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
      if (!p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS) || p.exitValue() != 0) {
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

  private static Path build() {
    Path script = findScript();
    try {
      Process p =
          new ProcessBuilder(script.toString())
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(script + " failed");
      }
      String last = out.substring(out.lastIndexOf('\n') + 1);
      return Path.of(last);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static Path findScript() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path s = dir.resolve("integration-tests/cluster/build-goregex.sh");
      if (Files.isExecutable(s)) {
        return s;
      }
      Path inModule = dir.resolve("cluster/build-goregex.sh");
      if (Files.isExecutable(inModule)) {
        return inModule;
      }
    }
    throw new IllegalStateException("cannot find integration-tests/cluster/build-goregex.sh");
  }
}
