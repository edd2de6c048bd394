package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** istiod as a user runs it: a separate process, its exit codes and what it prints. */
class LauncherTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @TempDir Path tmp;

  /** Runs {@code istiod ARGS} from the test classpath (same Main as the jar). */
  private Process istiod(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.jistiod.istiod.Main");
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd)
        .redirectOutput(tmp.resolve("out.txt").toFile())
        .redirectError(tmp.resolve("err.txt").toFile())
        .start();
  }

  private String stderr() throws IOException {
    return Files.readString(tmp.resolve("err.txt"), StandardCharsets.UTF_8);
  }

  private String stdout() throws IOException {
    return Files.readString(tmp.resolve("out.txt"), StandardCharsets.UTF_8);
  }

  @Test
  void missingConfigFolderIsAOneLineErrorAndNonZeroExit() throws Exception {
    Process p = istiod("discovery", "--configDir", tmp.resolve("nope").toString());
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isNotZero();
    assertThat(stderr().strip()).doesNotContain("\n").contains("--configDir").contains("nope");
    assertThat(stderr()).doesNotContain("Exception");
  }

  @Test
  void portInUseIsAOneLineErrorAndNonZeroExit() throws Exception {
    try (ServerSocket busy = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Process p =
          istiod(
              "discovery",
              "--configDir",
              ROOT.resolve("samples/mesh").toString(),
              "--grpcAddr",
              "127.0.0.1:" + busy.getLocalPort(),
              "--httpAddr",
              "127.0.0.1:0",
              "--monitoringAddr",
              "127.0.0.1:0");
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isNotZero();
      String err = stderr().strip();
      assertThat(err).contains("--grpcAddr").contains("already in use");
      assertThat(err.lines().filter(l -> l.startsWith("istiod: error")).count()).isEqualTo(1);
      assertThat(err).doesNotContain("\tat ");
    }
  }

  @Test
  void servesTheSampleMeshAndSaysWhere() throws Exception {
    Process p =
        istiod(
            "discovery",
            "--configDir",
            ROOT.resolve("samples/mesh").toString(),
            "--grpcAddr",
            "127.0.0.1:0",
            "--httpAddr",
            "127.0.0.1:0",
            "--monitoringAddr",
            "127.0.0.1:0");
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> stdout().contains("serving: xDS"));
      assertThat(stdout()).contains("2 services").contains("samples/mesh");
      assertThat(p.isAlive()).isTrue();
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void versionPrintsIstiosFormat() throws Exception {
    Process p = istiod("version");
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    assertThat(stdout()).startsWith("version.BuildInfo{Version:\"1.27.0\"");
  }

  @Test
  void launcherScriptRunsTheSampleMeshWithNoArguments() throws Exception {
    assumeTrue(
        Files.exists(ROOT.resolve("istiod/target/istiod.jar")),
        "istiod.jar is built by the package phase (./mvnw verify)");
    // Default ports; skip rather than fight another process for them.
    for (int port : new int[] {15010, 15012, 15017, 8080, 15014}) {
      try (ServerSocket probe = new ServerSocket(port)) {
        probe.close();
      } catch (IOException e) {
        assumeTrue(false, "port " + port + " is in use on this machine");
      }
    }
    Process p =
        new ProcessBuilder(ROOT.resolve("bin/istiod").toString())
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .redirectError(tmp.resolve("err.txt").toFile())
            .start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> stdout().contains("serving: xDS"));
      assertThat(stdout()).contains("on 15010");
      Awaitility.await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> Http.status("http://127.0.0.1:8080/ready") == 200);
      assertThat(Http.get("http://127.0.0.1:15014/metrics")).contains("pilot_services 2");
    } finally {
      p.destroy();
      p.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
