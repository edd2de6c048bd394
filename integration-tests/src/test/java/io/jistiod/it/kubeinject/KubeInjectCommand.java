package io.jistiod.it.kubeinject;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An offline kube-inject program run as a user runs it: {@code PROGRAM kube-inject -f INPUT
 * --injectConfigFile C --valuesFile V --meshConfigFile M}, with extra environment.
 */
public final class KubeInjectCommand {
  /** What one run printed and how it ended. */
  public record Output(int exitCode, String stdout, String stderr) {}

  private final String name;
  private final List<String> program;

  private KubeInjectCommand(String name, List<String> program) {
    this.name = name;
    this.program = List.copyOf(program);
  }

  /** Istio's istioctl. */
  public static KubeInjectCommand istioctl(Path binary) {
    return new KubeInjectCommand("istioctl", List.of(binary.toString()));
  }

  /**
   * jistiod's {@code istiod kube-inject}: the istiod main class on this test's class path (the
   * reactor's istiod module), in a JVM of its own as bin/istiod runs it.
   */
  public static KubeInjectCommand istiod() {
    return new KubeInjectCommand(
        "istiod",
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            // a short-lived run per case: C1 only and the serial collector start fastest
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-Xshare:auto",
            "-cp",
            System.getProperty("java.class.path"),
            "io.jistiod.istiod.Main"));
  }

  public String name() {
    return name;
  }

  /** Runs kube-inject on {@code input}; a non-zero exit is a result, not an exception. */
  public Output run(
      Path input, Path config, Path values, Path mesh, Map<String, String> env, Path work)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(program);
    cmd.addAll(
        List.of(
            "kube-inject",
            "-f",
            input.toString(),
            "--injectConfigFile",
            config.toString(),
            "--valuesFile",
            values.toString(),
            "--meshConfigFile",
            mesh.toString()));
    Files.createDirectories(work);
    Path out = Files.createTempFile(work, name, ".out");
    Path err = Files.createTempFile(work, name, ".err");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    // No kubeconfig: kube-inject must work offline from the three files alone.
    pb.environment().put("KUBECONFIG", work.resolve("no-kubeconfig").toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": timed out");
    }
    return new Output(
        p.exitValue(),
        Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(err, StandardCharsets.UTF_8));
  }
}
