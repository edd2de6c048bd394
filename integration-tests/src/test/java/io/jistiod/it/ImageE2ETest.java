package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.jistiod.it.support.ImageTarball;
import io.jistiod.it.support.PeerBuild;
import io.jistiod.it.support.Rig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod's container image, built without Docker by integration-tests/cluster/build-image.sh (Jib,
 * istiod -Pimage), checked from its tarball alone: the image config is what the istiod chart
 * expects (entrypoint taking pilot-discovery's arguments, uid 1337, the environment), the layers
 * hold the pinned Debian runtime and nothing writable by istiod, and the unpacked image runs in
 * user namespaces as 1337 on a read-only root with only /tmp writable (the chart's securityContext
 * and emptyDir): {@code istiod version} prints this build's version and {@code istiod discovery} on
 * the sample mesh answers 200 on /ready.
 *
 * <p>Tagged e2e (it builds the image through the cluster scripts, as e2e.sh does), but it needs no
 * rig: istiod runs in a network namespace of its own, so it takes no port on the host.
 */
@Tag("e2e")
class ImageE2ETest {
  static final Path ROOT = Rig.MODULE.getParent();
  static final Path IMAGE_SRC = ROOT.resolve("istiod/src/image");
  static final Path RUN_ROOTFS = IMAGE_SRC.resolve("run-rootfs.sh");
  static final List<String> ISTIOD_PORTS = List.of("8080", "15010", "15012", "15014", "15017");

  @TempDir static Path work;
  static ImageTarball image;
  static Path rootfs;
  static String version;

  @BeforeAll
  static void buildAndUnpack() throws IOException {
    Path tarball = PeerBuild.file("build-image.sh", 30);
    image = ImageTarball.open(tarball, work.resolve("archive"));
    rootfs = image.unpack(work.resolve("rootfs"));
    version = projectVersion();
  }

  @Test
  void theIstiodChartPullsThisImageByDefault() throws IOException {
    // the chart's image is HUB/IMAGE:TAG; the tag must name this build, not Istio's global.tag
    String values =
        Files.readString(
            ROOT.resolve("manifests/charts/istiod/values.yaml"), StandardCharsets.UTF_8);
    Matcher hub = Pattern.compile("(?m)^hub: (\\S+)$").matcher(values);
    Matcher tag = Pattern.compile("(?m)^tag: \"?([^\"\\s]*)\"?$").matcher(values);
    Matcher name = Pattern.compile("(?m)^image: (\\S+)$").matcher(values);
    assertThat(hub.find() && tag.find() && name.find())
        .as("hub, tag, image in values.yaml")
        .isTrue();
    assertThat(hub.group(1) + "/" + name.group(1) + ":" + tag.group(1))
        .isEqualTo(image.manifest().path("RepoTags").get(0).asText());
  }

  @Test
  void configRunsIstiodAsTheChartExpects() {
    assertThat(image.manifest().path("RepoTags").get(0).asText())
        .isEqualTo("ghcr.io/jistiod/istiod:" + version);
    JsonNode config = image.config();
    assertThat(config.path("architecture").asText()).isEqualTo("amd64");
    assertThat(config.path("os").asText()).isEqualTo("linux");
    // Fixed timestamps: the same sources give the same image digest.
    assertThat(config.path("created").asText()).isEqualTo("1970-01-01T00:00:00Z");
    assertThat(config.path("rootfs").path("diff_ids")).hasSize(image.layers().size());

    JsonNode c = config.path("config");
    List<String> entrypoint = strings(c.path("Entrypoint"));
    assertThat(entrypoint.get(0)).isEqualTo("/opt/java/bin/java");
    assertThat(entrypoint).contains("-XX:-UsePerfData").endsWith("io.jistiod.istiod.Main");
    // istiod answers an OutOfMemoryError in one request and serves on: the JVM must not exit.
    assertThat(entrypoint).noneMatch(a -> a.contains("OnOutOfMemoryError"));
    // No Cmd: the chart's args ("discovery", flags) are the program's whole argument list.
    assertThat(c.path("Cmd").isMissingNode() || c.path("Cmd").isNull()).isTrue();
    assertThat(c.path("User").asText()).isEqualTo("1337:1337");
    assertThat(c.path("WorkingDir").asText()).isEqualTo("/");
    assertThat(strings(c.path("Env")))
        .contains("JAVA_HOME=/opt/java", "LANG=C.UTF-8", "PATH=/opt/java/bin:/usr/bin:/bin");
    // The footprint flags live in the environment, where the chart's env can replace them; on the
    // command line they would beat a user's JAVA_TOOL_OPTIONS.
    assertThat(strings(c.path("Env")))
        .contains(
            "JAVA_TOOL_OPTIONS=-XX:MaxRAMPercentage=75 -Xms32m -XX:+UseSerialGC"
                + " -XX:MaxInlineLevel=9 -XX:InlineSmallCode=1000 -XX:FreqInlineSize=200");
    assertThat(entrypoint)
        .noneMatch(a -> a.contains("GC") || a.contains("RAM") || a.startsWith("-Xm"));
    assertThat(c.path("Labels").path("org.opencontainers.image.version").asText())
        .isEqualTo(version);
    assertThat(c.path("Labels").path("org.opencontainers.image.licenses").asText())
        .isEqualTo("Apache-2.0");
    List<String> ports = new ArrayList<>();
    c.path("ExposedPorts").fieldNames().forEachRemaining(ports::add);
    assertThat(ports)
        .containsExactlyInAnyOrderElementsOf(
            ISTIOD_PORTS.stream().map(p -> p + "/tcp").collect(Collectors.toList()));
  }

  @Test
  void layersHoldThePinnedDebianRuntimeOwnedByRoot() throws IOException {
    for (Path layer : image.layers()) {
      for (String entry : image.listing(layer)) {
        String[] f = entry.trim().split("\\s+");
        // uid 1337 owns nothing and nothing is set-uid: istiod cannot change its own image.
        assertThat(f[1]).as(entry).isEqualTo("0/0");
        assertThat(f[0]).as(entry).doesNotContain("s");
      }
    }
    assertThat(Files.readAllLines(rootfs.resolve("etc/passwd")))
        .anyMatch(l -> l.startsWith("istio-proxy:x:1337:1337:"));
    assertThat(Files.readAllLines(rootfs.resolve("etc/group"))).contains("istio-proxy:x:1337:");
    assertThat(Files.readString(rootfs.resolve("etc/os-release")))
        .contains("VERSION_CODENAME=bookworm");
    // No shell and no package manager: only the pinned packages, recorded for scanners.
    assertThat(rootfs.resolve("bin/sh")).doesNotExist();
    assertThat(rootfs.resolve("usr/bin/apt-get")).doesNotExist();
    Map<String, String> pinned = pinnedPackages();
    Map<String, String> recorded = new HashMap<>();
    try (Stream<Path> entries = Files.list(rootfs.resolve("var/lib/dpkg/status.d"))) {
      for (Path p : entries.toList()) {
        Matcher m = Pattern.compile("(?m)^Version: (.+)$").matcher(Files.readString(p));
        assertThat(m.find()).as(p.toString()).isTrue();
        recorded.put(p.getFileName().toString(), m.group(1));
      }
    }
    assertThat(recorded).isEqualTo(pinned);
    assertThat(rootfs.resolve("lib/x86_64-linux-gnu/libc.so.6")).exists();
  }

  @Test
  void jreHasEveryModuleJdepsFindsInTheImagesJars() throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "jdeps").toString(),
                "--multi-release",
                "17",
                "--ignore-missing-deps",
                "--print-module-deps"));
    try (Stream<Path> jars = Files.walk(rootfs.resolve("app"))) {
      jars.filter(p -> p.toString().endsWith(".jar")).sorted().forEach(p -> cmd.add(p.toString()));
    }
    Result jdeps = run(cmd, 10);
    assertThat(jdeps.exit()).as(jdeps.out()).isZero();
    String[] lines = jdeps.out().strip().split("\n");
    List<String> needed = Arrays.asList(lines[lines.length - 1].strip().split(","));

    Matcher m =
        Pattern.compile("(?m)^MODULES=\"([^\"]*)\"")
            .matcher(Files.readString(rootfs.resolve("opt/java/release")));
    assertThat(m.find()).isTrue();
    List<String> inJre = Arrays.asList(m.group(1).split(" "));
    assertThat(inJre).containsAll(needed).contains("jdk.crypto.ec");
  }

  @Test
  void versionPrintsThisBuildsVersionAsUid1337() throws Exception {
    Result r = runImage(List.of(), List.of("version"));
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out())
        .contains("Version:\"1.27.0\"")
        .contains("GitRevision:\"jistiod-" + version + "\"");
  }

  @Test
  void jvmRunsAsIstioProxyInUtf8() throws Exception {
    Result r =
        runAsImageUser(List.of("/opt/java/bin/java", "-XshowSettings:properties", "-version"));
    assertThat(r.exit()).as(r.out()).isZero();
    // uid 1337 is istio-proxy through /etc/passwd; LANG=C.UTF-8 needs no locale files.
    assertThat(r.out())
        .contains("user.name = istio-proxy")
        .contains("user.home = /tmp")
        .contains("java.home = /opt/java")
        .contains("file.encoding = UTF-8")
        .contains("sun.jnu.encoding = UTF-8");
  }

  @Test
  void jvmRunsWithTheFootprintFlagsOfTheImagesEnvironment() throws Exception {
    Result flags =
        runAsImageUser(List.of("/opt/java/bin/java", "-XX:+PrintFlagsFinal", "-version"));
    assertThat(flags.exit()).as(flags.out()).isZero();
    assertThat(flags.out())
        .containsPattern("bool UseSerialGC += true")
        .containsPattern("double MaxRAMPercentage += 75\\.0")
        .containsPattern("size_t InitialHeapSize += 33554432 ")
        .containsPattern("intx MaxInlineLevel += 9 ")
        .containsPattern("intx InlineSmallCode += 1000 ")
        .containsPattern("intx FreqInlineSize += 200 ");
  }

  @Test
  void onlyTmpIsWritableForUid1337() throws Exception {
    // The image has no shell: the JVM's own log file is the probe for writing.
    String java = "/opt/java/bin/java";
    Result etc = runAsImageUser(List.of(java, "-Xlog:gc:file=/etc/probe.log", "-version"));
    assertThat(etc.exit()).as(etc.out()).isNotZero();
    assertThat(etc.out()).contains("Read-only file system");
    Result tmp = runAsImageUser(List.of(java, "-Xlog:gc:file=/tmp/probe.log", "-version"));
    assertThat(tmp.exit()).as(tmp.out()).isZero();
    assertThat(tmp.out()).contains("17.0");
  }

  @Test
  void standaloneDiscoveryBecomesReadyOnAReadOnlyRoot() throws Exception {
    // The mount point, in this test's copy of the image (a runtime creates its own).
    Files.createDirectories(rootfs.resolve("etc/istio/mesh"));
    Result r =
        runImage(
            List.of(
                "--bind",
                ROOT.resolve("samples/mesh") + ":/etc/istio/mesh",
                "--ready",
                "http://127.0.0.1:8080/ready",
                // TLS with an EC key exchange only: the JRE's SunEC provider (jdk.crypto.ec).
                "--also",
                "https://127.0.0.1:15017/ready",
                "--also",
                "http://127.0.0.1:15014/metrics",
                "--timeout",
                "240"),
            List.of("discovery", "--configDir", "/etc/istio/mesh"));
    assertThat(r.exit()).as(r.out()).isZero();
    assertThat(r.out())
        .contains("ready: http://127.0.0.1:8080/ready")
        .contains("ok: https://127.0.0.1:15017/ready")
        .contains("ok: http://127.0.0.1:15014/metrics")
        .contains("config from /etc/istio/mesh")
        .doesNotContain("Read-only file system")
        .doesNotContain("AccessDeniedException");
  }

  /** Runs the image's entrypoint with {@code args}, its config's Env, in run-rootfs.sh. */
  private static Result runImage(List<String> options, List<String> args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("bash", RUN_ROOTFS.toString()));
    for (String env : strings(image.config().path("config").path("Env"))) {
      cmd.addAll(List.of("--env", env));
    }
    String user = image.config().path("config").path("User").asText();
    cmd.addAll(List.of("--user", user));
    cmd.addAll(options);
    cmd.add(rootfs.toString());
    cmd.add("--");
    cmd.addAll(strings(image.config().path("config").path("Entrypoint")));
    cmd.addAll(args);
    return run(cmd, 6);
  }

  /** Runs {@code cmd} (not the entrypoint) in the unpacked image with its config's Env and User. */
  private static Result runAsImageUser(List<String> cmd) throws Exception {
    List<String> all = new ArrayList<>(List.of("bash", RUN_ROOTFS.toString()));
    for (String env : strings(image.config().path("config").path("Env"))) {
      all.addAll(List.of("--env", env));
    }
    all.add("--user");
    all.add(image.config().path("config").path("User").asText());
    all.add(rootfs.toString());
    all.add("--");
    all.addAll(cmd);
    return run(all, 2);
  }

  record Result(int exit, String out) {}

  private static Result run(List<String> cmd, long minutes) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(cmd + " did not finish in " + minutes + " min");
    }
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  /** name -> version from istiod/src/image/base-packages.txt. */
  private static Map<String, String> pinnedPackages() throws IOException {
    Map<String, String> pins = new HashMap<>();
    for (String line : Files.readAllLines(IMAGE_SRC.resolve("base-packages.txt"))) {
      String l = line.strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        String[] f = l.split("\\s+");
        pins.put(f[0], f[1]);
      }
    }
    return pins;
  }

  /** The root pom's version, which the image is tagged with. */
  private static String projectVersion() throws IOException {
    Matcher m =
        Pattern.compile("<artifactId>jistiod-parent</artifactId>\\s*<version>([^<]+)</version>")
            .matcher(Files.readString(ROOT.resolve("pom.xml")));
    if (!m.find()) {
      throw new IllegalStateException("no version in " + ROOT.resolve("pom.xml"));
    }
    return m.group(1);
  }
}
