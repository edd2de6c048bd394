package io.jistiod.it.support;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts the rig once per test run (or reuses one already up) and gives each test its own
 * namespace, deleted afterwards. Tests take a {@link Rig} and a {@link TestNamespace} parameter.
 *
 * <p>Least privilege, checked on every rig test: istiod runs on the chart's ServiceAccount ({@link
 * Rig#istiodKubeconfig}), and a test whose run logged a 403 from the API server ({@link
 * ForbiddenLog}) fails, naming the lines. The RBAC it installed is deleted afterwards.
 */
public final class RigExtension
    implements ParameterResolver, BeforeEachCallback, AfterEachCallback {
  private static final ExtensionContext.Namespace STORE =
      ExtensionContext.Namespace.create(RigExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> type = p.getParameter().getType();
    return type == Rig.class || type == TestNamespace.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    Rig rig = e.getRoot().getStore(STORE).getOrComputeIfAbsent("rig", k -> start(), Rig.class);
    if (p.getParameter().getType() == Rig.class) {
      return rig;
    }
    return e.getStore(STORE)
        .getOrComputeIfAbsent(
            "namespace",
            k -> TestNamespace.create(rig, e.getRequiredTestMethod().getName()),
            TestNamespace.class);
  }

  @Override
  public void beforeEach(ExtensionContext e) {
    ForbiddenLog.install().reset();
  }

  @Override
  public void afterEach(ExtensionContext e) {
    Rig rig = e.getRoot().getStore(STORE).get("rig", Rig.class);
    if (rig != null) {
      rig.deleteIdentities();
    }
    TestNamespace ns = e.getStore(STORE).remove("namespace", TestNamespace.class);
    if (ns != null) {
      ns.delete();
    }
    java.util.List<String> forbidden = ForbiddenLog.install().lines();
    if (!forbidden.isEmpty()) {
      throw new AssertionError(
          "the API server refused istiod a request (403): the istiod chart's RBAC misses a rule"
              + " for what it does:\n  "
              + String.join("\n  ", forbidden));
    }
  }

  private static Rig start() {
    Path up = Rig.MODULE.resolve("cluster/up.sh");
    try {
      Path log = Files.createTempFile("rig-up", ".log");
      Process p =
          new ProcessBuilder(List.of("bash", up.toString()))
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!p.waitFor(45, TimeUnit.MINUTES) || p.exitValue() != 0) {
        throw new IllegalStateException(
            "cluster/up.sh failed:\n" + Files.readString(log, StandardCharsets.UTF_8));
      }
      // up.sh writes the kubeconfig into its state dir; read it from there rather than from
      // up.sh's output, whose last line may still be in flight through its tee when it exits.
      String stateDir = System.getenv().getOrDefault("JISTIOD_RIG_DIR", "/tmp/jistiod-rig");
      Path kubeconfig = Path.of(stateDir, "kubeconfig");
      if (!Files.isReadable(kubeconfig)) {
        throw new IllegalStateException(
            "cluster/up.sh succeeded but left no "
                + kubeconfig
                + ":\n"
                + Files.readString(log, StandardCharsets.UTF_8));
      }
      return new Rig(kubeconfig);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the rig: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Lower-case DNS label from a test name, with a unique suffix. */
  static String label(String testName) {
    String base = testName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    if (base.length() > 40) {
      base = base.substring(0, 40);
    }
    return (base + "-" + Long.toString(System.nanoTime() % 1_000_000, 36)).replaceAll("^-+", "");
  }
}
