package io.jistiod.it.support;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Checks a scraped {@code /metrics} page with Prometheus' own text-format parser ({@code
 * github.com/prometheus/common/expfmt}, strict legacy names) through {@code
 * integration-tests/peers/prom-parse}, which also reports what that parser lets through (repeated
 * series, interleaved families, inconsistent histograms).
 *
 * <p>{@link #get()} builds the program once per JVM with {@code
 * integration-tests/cluster/build-prom-parse.sh} (needs Go; cached across runs under {@code
 * ${JISTIOD_CACHE:-~/.cache/jistiod}}).
 */
public final class PromParser {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final long BUILD_TIMEOUT_MINUTES = 30;
  private static final long RUN_TIMEOUT_SECONDS = 60;

  private static PromParser instance;
  private static RuntimeException buildFailure;

  private final Path binary;

  private PromParser(Path binary) {
    this.binary = binary;
  }

  /** One family as the parser read it: name, type (counter, gauge, histogram, ...), series. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Family(String name, String type, int series) {}

  /** The verdict on one page. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Report(boolean ok, List<String> errors, List<Family> families) {
    public Report {
      errors = errors == null ? List.of() : List.copyOf(errors);
      families = families == null ? List.of() : List.copyOf(families);
    }

    /** Family name to type. */
    public Map<String, String> types() {
      Map<String, String> m = new TreeMap<>();
      families.forEach(f -> m.put(f.name(), f.type()));
      return m;
    }
  }

  /** The checker, built on first use in this JVM (a build failure is rethrown every time). */
  public static synchronized PromParser get() {
    if (instance != null) {
      return instance;
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    try {
      instance = new PromParser(PeerBuild.run("build-prom-parse.sh", BUILD_TIMEOUT_MINUTES));
      return instance;
    } catch (RuntimeException e) {
      buildFailure = e;
      throw e;
    }
  }

  /** Parses {@code page}; throws if the program fails rather than judges. */
  public Report check(String page) {
    Path input = null;
    Path stderr = null;
    try {
      input = Files.createTempFile("prom-parse-", ".txt");
      stderr = Files.createTempFile("prom-parse-", ".err");
      Files.writeString(input, page, StandardCharsets.UTF_8);
      Process p =
          new ProcessBuilder(binary.toString(), input.toString())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectError(stderr.toFile())
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(binary + " did not finish in " + RUN_TIMEOUT_SECONDS + "s");
      }
      int code = p.exitValue();
      if (code != 0 && code != 1) {
        throw new IllegalStateException(
            binary + " exited " + code + ": " + Files.readString(stderr).strip());
      }
      Report r = JSON.readValue(out.strip(), Report.class);
      if ((code == 0) != r.ok()) {
        throw new IllegalStateException(binary + " exit code " + code + " contradicts " + out);
      }
      return r;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running " + binary, e);
    } finally {
      deleteQuietly(input);
      deleteQuietly(stderr);
    }
  }

  private static void deleteQuietly(Path p) {
    if (p != null) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException ignored) {
        // a temp file left behind is harmless
      }
    }
  }
}
