package io.jistiod.it.support;

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
 * The helm the rig's scripts build ({@code integration-tests/cluster/build-peers.sh helm}, cached
 * at {@code $JISTIOD_CACHE/helm-VERSION/helm}, the version pinned in {@code cluster/lib.sh}), and
 * the repository's charts under {@code manifests/charts}. A missing helm fails the test.
 */
public final class Helm {
  /** manifests/charts of this repository. */
  public static final Path CHARTS = Rig.MODULE.getParent().resolve("manifests/charts");

  private final Path binary;

  private Helm(Path binary) {
    this.binary = binary;
  }

  /** The cached helm; fails the calling test when it has not been built. */
  public static Helm require() {
    Path bin =
        Path.of(
            System.getenv()
                .getOrDefault("JISTIOD_CACHE", System.getProperty("user.home") + "/.cache/jistiod"),
            "helm-" + pinnedVersion(),
            "helm");
    Peers.require(bin, "helm " + pinnedVersion(), "build-peers.sh helm");
    return new Helm(bin);
  }

  /** HELM_VERSION from cluster/lib.sh, so a bump there is followed here. */
  static String pinnedVersion() {
    try {
      String lib = Files.readString(Rig.MODULE.resolve("cluster/lib.sh"), StandardCharsets.UTF_8);
      Matcher m = Pattern.compile("(?m)^HELM_VERSION=\"([^\"]+)\"").matcher(lib);
      if (!m.find()) {
        throw new IllegalStateException("no HELM_VERSION=\"...\" in cluster/lib.sh");
      }
      return m.group(1);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read cluster/lib.sh", e);
    }
  }

  /** The result of one helm run. */
  public record Result(int exitCode, String stdout, String stderr) {
    public Result orThrow(List<String> cmd) throws IOException {
      if (exitCode != 0) {
        throw new IOException(String.join(" ", cmd) + " failed (" + exitCode + "): " + stderr);
      }
      return this;
    }
  }

  /** Runs helm with {@code args}; never throws for a non-zero exit. */
  public Result run(List<String> args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.addAll(args);
    Path out = Files.createTempFile("helm", ".out");
    Path err = Files.createTempFile("helm", ".err");
    try {
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
      // Keep helm's caches and config out of the user's home and away from other runs.
      Path home = Files.createTempDirectory("helm-home");
      pb.environment().put("HELM_CACHE_HOME", home.resolve("cache").toString());
      pb.environment().put("HELM_CONFIG_HOME", home.resolve("config").toString());
      pb.environment().put("HELM_DATA_HOME", home.resolve("data").toString());
      Process p = pb.start();
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** Runs helm and returns its stdout; throws with its stderr when it fails. */
  public String check(String... args) throws IOException, InterruptedException {
    List<String> a = List.of(args);
    return run(a).orThrow(a).stdout();
  }
}
