package io.jistiod.it.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

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
      instance = new GoRegex(PeerBuild.run("build-goregex.sh", BUILD_TIMEOUT_MINUTES));
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
    return PeerProcess.lines(command, stdin, RUN_TIMEOUT_SECONDS);
  }
}
