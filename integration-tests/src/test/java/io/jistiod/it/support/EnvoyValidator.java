package io.jistiod.it.support;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.Message;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Checks xDS resources against Envoy's own proto constraints (the protoc-gen-validate rules of
 * Envoy's API) with {@code integration-tests/peers/envoy-validate}, a Go program over
 * go-control-plane's generated {@code ValidateAll}. Nested {@code Any}s (filter typed_config,
 * typed_per_filter_config, transport sockets, api_listener) are unpacked and checked too.
 *
 * <p>{@link #get()} builds the program once per JVM with {@code
 * integration-tests/cluster/build-envoy-validate.sh} (needs Go; cached across runs under {@code
 * ${JISTIOD_CACHE:-~/.cache/jistiod}}).
 */
public final class EnvoyValidator {
  private static final ObjectMapper JSON =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
  private static final long BUILD_TIMEOUT_MINUTES = 30;
  private static final long RUN_TIMEOUT_SECONDS = 120;

  private static EnvoyValidator instance;
  private static RuntimeException buildFailure;

  private final Path binary;

  private EnvoyValidator(Path binary) {
    this.binary = binary;
  }

  /**
   * The verdict on one resource.
   *
   * @param index position in the validated list
   * @param type the resource's type URL
   * @param name its xDS name ({@code name}, or {@code cluster_name} for endpoints), or ""
   * @param ok whether it satisfies every constraint
   * @param errors each violation, prefixed with the field path of the nested {@code Any} it is in
   * @param warnings unknown or deprecated fields, which Envoy accepts with a warning
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Result(
      int index, String type, String name, boolean ok, List<String> errors, List<String> warnings) {
    public Result {
      name = name == null ? "" : name;
      errors = errors == null ? List.of() : List.copyOf(errors);
      warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** {@code #3 type.googleapis.com/envoy.config.cluster.v3.Cluster "name"} and its errors. */
    public String describe() {
      StringBuilder b = new StringBuilder();
      b.append('#').append(index).append(' ').append(type).append(" \"").append(name).append('"');
      for (String e : errors) {
        b.append("\n    - ").append(e);
      }
      return b.toString();
    }
  }

  /** The validator, built on first use in this JVM (a build failure is rethrown every time). */
  public static synchronized EnvoyValidator get() {
    if (instance != null) {
      return instance;
    }
    if (buildFailure != null) {
      throw buildFailure;
    }
    try {
      instance =
          new EnvoyValidator(PeerBuild.run("build-envoy-validate.sh", BUILD_TIMEOUT_MINUTES));
      return instance;
    } catch (RuntimeException e) {
      buildFailure = e;
      throw e;
    }
  }

  /** The built program. */
  public Path binary() {
    return binary;
  }

  /** Validates messages, packing each into an {@code Any} first. */
  public List<Result> validateMessages(List<? extends Message> messages) {
    return validate(messages.stream().map(Any::pack).toList());
  }

  /** One result per resource, in order. Throws if the program fails rather than judges. */
  public List<Result> validate(List<Any> resources) {
    Path input = null;
    Path stderr = null;
    try {
      input = Files.createTempFile("envoy-validate-", ".bin");
      stderr = Files.createTempFile("envoy-validate-", ".err");
      try (OutputStream out = Files.newOutputStream(input)) {
        for (Any a : resources) {
          a.writeDelimitedTo(out);
        }
      }
      Process p =
          new ProcessBuilder(binary.toString(), input.toString())
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectError(stderr.toFile())
              .start();
      List<Result> results = new ArrayList<>();
      try (BufferedReader r =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (!line.isBlank()) {
            results.add(JSON.readValue(line, Result.class));
          }
        }
      }
      if (!p.waitFor(RUN_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(binary + " did not finish in " + RUN_TIMEOUT_SECONDS + "s");
      }
      int code = p.exitValue();
      if ((code != 0 && code != 1) || results.size() != resources.size()) {
        throw new IllegalStateException(
            binary
                + " exited "
                + code
                + " with "
                + results.size()
                + " results for "
                + resources.size()
                + " resources: "
                + Files.readString(stderr).strip());
      }
      if ((code == 0) != results.stream().allMatch(Result::ok)) {
        throw new IllegalStateException(binary + " exit code " + code + " contradicts its results");
      }
      return List.copyOf(results);
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

  /** Fails, naming each invalid resource's type, name and errors, unless all are valid. */
  public void assertValid(List<Any> resources) {
    List<Result> results = validate(resources);
    logWarnings(results);
    List<Result> invalid = results.stream().filter(r -> !r.ok()).toList();
    if (!invalid.isEmpty()) {
      StringBuilder b =
          new StringBuilder()
              .append(invalid.size())
              .append(" of ")
              .append(resources.size())
              .append(" resources break Envoy's constraints:");
      for (Result r : invalid) {
        b.append("\n  ").append(r.describe());
      }
      throw new AssertionError(b.toString());
    }
  }

  /** Prints unknown and deprecated fields, which Envoy accepts with a warning, to stderr. */
  public static void logWarnings(List<Result> results) {
    for (Result r : results) {
      for (String w : r.warnings()) {
        System.err.println(
            "envoy-validate: warning: #"
                + r.index()
                + " "
                + r.type()
                + " \""
                + r.name()
                + "\": "
                + w);
      }
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
