package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.jistiod.it.support.FreePorts;
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
  void commandsDoNotBuildTheValidatorsOfCommandsTheyDoNotRun() throws Exception {
    // picocli instantiates every subcommand to parse any command line; `istiod validate`'s
    // validators (schemas, CEL) would otherwise be built by every start of `istiod discovery`.
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xlog:class+load=info:file=" + tmp.resolve("classes.txt"));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.jistiod.istiod.Main");
    cmd.add("version");
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .redirectError(tmp.resolve("err.txt").toFile())
            .start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(stderr()).isZero();
    String loaded = Files.readString(tmp.resolve("classes.txt"), StandardCharsets.UTF_8);
    assertThat(loaded).contains("io.jistiod.istiod.webhook.ValidateCommand ");
    assertThat(loaded)
        .doesNotContain("io.jistiod.galley.validation.NetworkingValidators ")
        .doesNotContain("dev.cel.");
  }

  @Test
  void standaloneStartWithAnRsaCaBuildsNoBouncyCastleProvider() throws Exception {
    // The provider is only for EC keys; building it loads some 200 classes at every start.
    Path classes = tmp.resolve("classes.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xlog:class+load=info:file=" + classes);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.jistiod.istiod.Main");
    cmd.addAll(List.of("discovery", "--configDir", ROOT.resolve("samples/mesh").toString()));
    for (String flag :
        List.of(
            "--grpcAddr", "--httpAddr", "--monitoringAddr", "--secureGRPCAddr", "--httpsAddr")) {
      cmd.addAll(List.of(flag, "127.0.0.1:0"));
    }
    Process p =
        new ProcessBuilder(cmd)
            .redirectOutput(tmp.resolve("out.txt").toFile())
            .redirectError(tmp.resolve("err.txt").toFile())
            .start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .until(() -> !p.isAlive() || stdout().contains("serving: xDS"));
      assertThat(stdout()).as(stderr()).contains("serving: xDS").contains("secure gRPC");
      String loaded = Files.readString(classes, StandardCharsets.UTF_8);
      assertThat(loaded).contains("io.jistiod.citadel.pki.Signers ");
      assertThat(loaded).doesNotContain("org.bouncycastle.jce.provider.BouncyCastleProvider ");
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
  void launcherScriptPicksTheSerialCollectorUnlessJavaOptsNamesOne() throws Exception {
    assumeTrue(
        Files.exists(ROOT.resolve("istiod/target/istiod.jar")),
        "istiod.jar is built by the package phase (./mvnw verify)");
    String defaults = launcherFlags("-XX:+PrintFlagsFinal");
    assertThat(defaults).containsPattern("bool UseSerialGC += true");
    assertThat(defaults).containsPattern("double MaxRAMPercentage += 75\\.0");
    assertThat(defaults).containsPattern("size_t InitialHeapSize += 33554432 ");
    assertThat(defaults).containsPattern("intx MaxInlineLevel += 9 ");
    assertThat(defaults).containsPattern("intx InlineSmallCode += 1000 ");
    assertThat(defaults).containsPattern("intx FreqInlineSize += 200 ");
    // Two collectors would stop the JVM: one named in JAVA_OPTS replaces ours.
    String g1 = launcherFlags("-XX:+UseG1GC -XX:+PrintFlagsFinal");
    assertThat(g1).containsPattern("bool UseG1GC += true");
    assertThat(g1).containsPattern("bool UseSerialGC += false");
    // JAVA_OPTS comes last, so its flags win.
    assertThat(launcherFlags("-XX:MaxRAMPercentage=50 -XX:+PrintFlagsFinal"))
        .containsPattern("double MaxRAMPercentage += 50\\.0");
  }

  /** {@code bin/istiod version}'s output with {@code JAVA_OPTS}. */
  private String launcherFlags(String javaOpts) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(ROOT.resolve("bin/istiod").toString(), "version")
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("flags.txt").toFile());
    pb.environment().put("JAVA_OPTS", javaOpts);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(tmp.resolve("flags.txt"), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void launcherScriptSharesTheClassesItsFirstRunLoaded() throws Exception {
    assumeTrue(
        Files.exists(ROOT.resolve("istiod/target/istiod.jar")),
        "istiod.jar is built by the package phase (./mvnw verify)");
    Path archive = tmp.resolve("istiod.jsa");
    // First run: the archive is written when istiod stops.
    runLauncherUntilReady(archive, "");
    assertThat(archive).exists();
    // Second run: istiod's own classes come from it.
    Path classes = tmp.resolve("classes.txt");
    String log = runLauncherUntilReady(archive, "-Xlog:class+load=info:file=" + classes);
    assertThat(Files.readString(classes, StandardCharsets.UTF_8))
        .contains("io.jistiod.istiod.Istiod source: shared objects file (top)");
    // The JVM's CDS warnings (Bouncy Castle's signed jar is never archived) stay out of the log.
    assertThat(log).doesNotContain("[cds").doesNotContain("Signed JAR");

    // An archive cut short (istiod killed while writing it) would crash every JVM mapping it:
    // the launcher drops it and runs without.
    Path cut = tmp.resolve("cut.jsa");
    Files.copy(archive, cut);
    try (var ch = java.nio.channels.FileChannel.open(cut, java.nio.file.StandardOpenOption.WRITE)) {
      ch.truncate(Files.size(archive) / 2);
    }
    ProcessBuilder pb =
        new ProcessBuilder(ROOT.resolve("bin/istiod").toString(), "version")
            .directory(tmp.toFile())
            .redirectErrorStream(true)
            .redirectOutput(tmp.resolve("cut.txt").toFile());
    pb.environment().put("ISTIOD_CDS_ARCHIVE", cut.toString());
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = Files.readString(tmp.resolve("cut.txt"), StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).startsWith("version.BuildInfo{");
    assertThat(cut).doesNotExist();
    try (var files = Files.list(tmp)) {
      assertThat(files.map(f -> f.getFileName().toString())).noneMatch(f -> f.startsWith("hs_err"));
    }
  }

  /** Runs bin/istiod discovery on the sample mesh until /ready, stops it; returns its output. */
  private String runLauncherUntilReady(Path archive, String javaOpts) throws Exception {
    int http = FreePorts.loopback();
    List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("bin/istiod").toString()));
    cmd.addAll(List.of("discovery", "--configDir", ROOT.resolve("samples/mesh").toString()));
    cmd.addAll(List.of("--httpAddr", "127.0.0.1:" + http));
    for (String flag : List.of("--grpcAddr", "--monitoringAddr", "--secureGRPCAddr")) {
      cmd.addAll(List.of(flag, "127.0.0.1:0"));
    }
    cmd.addAll(List.of("--httpsAddr", "127.0.0.1:" + FreePorts.loopback()));
    Path out = tmp.resolve("launcher.txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(out.toFile());
    pb.environment().put("ISTIOD_CDS_ARCHIVE", archive.toString());
    pb.environment().put("JAVA_OPTS", javaOpts);
    Process p = pb.start();
    try {
      Awaitility.await()
          .atMost(Duration.ofSeconds(90))
          .ignoreExceptions()
          .until(() -> !p.isAlive() || Http.status("http://127.0.0.1:" + http + "/ready") == 200);
      assertThat(p.isAlive()).as(Files.readString(out, StandardCharsets.UTF_8)).isTrue();
    } finally {
      p.destroy();
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    }
    return Files.readString(out, StandardCharsets.UTF_8);
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
