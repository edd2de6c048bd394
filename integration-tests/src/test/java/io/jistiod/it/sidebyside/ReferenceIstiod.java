package io.jistiod.it.sidebyside;

import io.jistiod.it.support.Rig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Istio's pilot-discovery 1.27.0 against the rig, started and stopped through {@code
 * integration-tests/cluster/reference-istiod.sh} (plaintext xDS on a free loopback port, no CA, no
 * webhook patching, namespaces limited to the given scenarios by discoverySelectors).
 */
public final class ReferenceIstiod implements AutoCloseable {
  private static final Path SCRIPT = Rig.MODULE.resolve("cluster/reference-istiod.sh");
  private static final Pattern PORTS = Pattern.compile("grpc=127\\.0\\.0\\.1:(\\d+) http=");

  private final String name;
  private final int grpcPort;

  private ReferenceIstiod(String name, int grpcPort) {
    this.name = name;
    this.grpcPort = grpcPort;
  }

  /**
   * The MeshConfig file pilot-discovery runs with: the scenario's, plus rootNamespace and the
   * scenario's discoverySelectors (give our istiod the same file for a fair comparison).
   */
  public Path meshFile() {
    String stateDir = System.getenv().getOrDefault("JISTIOD_RIG_DIR", "/tmp/jistiod-rig");
    return Path.of(stateDir, "reference", name, "mesh.yaml");
  }

  /**
   * Starts pilot-discovery for the scenario: its mesh.yaml (or the defaults) and only its
   * namespaces.
   */
  public static ReferenceIstiod start(GoldenScenario scenario, Path workDir)
      throws IOException, InterruptedException {
    return start("sbs-" + scenario.name(), List.of(scenario.name()), scenario.writeMesh(workDir));
  }

  /**
   * Starts pilot-discovery named {@code name} with the MeshConfig in {@code meshFile}, seeing only
   * the namespaces labelled {@code jistiod.io/scenario} with one of {@code scenarioLabels}.
   */
  public static ReferenceIstiod start(String name, List<String> scenarioLabels, Path meshFile)
      throws IOException, InterruptedException {
    return start(name, scenarioLabels, meshFile, null);
  }

  /**
   * As {@link #start(String, List, Path)}, with the injection config in {@code injectDir} (its
   * {@code config} and {@code values} files; null: none), which also gives the reference's Gateway
   * deployment controller its {@code kube-gateway} template.
   */
  public static ReferenceIstiod start(
      String name, List<String> scenarioLabels, Path meshFile, Path injectDir)
      throws IOException, InterruptedException {
    return start(name, scenarioLabels, meshFile, injectDir, java.util.Map.of());
  }

  /**
   * As {@link #start(String, List, Path, Path)}, with more environment variables for
   * pilot-discovery (istiod's feature flags, e.g. {@code PILOT_ENABLE_AMBIENT=true}).
   */
  public static ReferenceIstiod start(
      String name,
      List<String> scenarioLabels,
      Path meshFile,
      Path injectDir,
      java.util.Map<String, String> env)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString(), "start", name));
    cmd.addAll(List.of("--scenario-label", String.join(",", scenarioLabels)));
    cmd.addAll(List.of("--mesh", meshFile.toString()));
    if (injectDir != null) {
      cmd.addAll(List.of("--inject-dir", injectDir.toString()));
    }
    for (var e : new java.util.TreeMap<>(env).entrySet()) {
      cmd.addAll(List.of("--env", e.getKey() + "=" + e.getValue()));
    }
    String out = run(cmd, 15);
    Matcher m = PORTS.matcher(out);
    if (!m.find()) {
      throw new IOException("reference-istiod.sh printed no ports:\n" + out);
    }
    return new ReferenceIstiod(name, Integer.parseInt(m.group(1)));
  }

  public int grpcPort() {
    return grpcPort;
  }

  @Override
  public void close() {
    try {
      run(List.of("bash", SCRIPT.toString(), "stop", name), 1);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String run(List<String> cmd, int minutes)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("reference-istiod", ".log");
    try {
      Process p =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + " failed:\n" + out);
      }
      return out;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
