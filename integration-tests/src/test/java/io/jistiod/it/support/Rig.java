package io.jistiod.it.support;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The end-to-end rig as tests see it: a real kube-apiserver (started by {@code
 * integration-tests/cluster/up.sh}), an admin fabric8 client, and kubectl/helm on its kubeconfig.
 */
public final class Rig {
  /** integration-tests/ (the module's base directory, where Maven runs the tests). */
  public static final Path MODULE = Path.of("").toAbsolutePath();

  private final Path kubeconfig;
  private final KubernetesClient client;

  Rig(Path kubeconfig) throws IOException {
    this.kubeconfig = kubeconfig;
    this.client =
        new KubernetesClientBuilder()
            .withConfig(
                Config.fromKubeconfig(
                    null,
                    Files.readString(kubeconfig, StandardCharsets.UTF_8),
                    kubeconfig.toString()))
            .build();
  }

  public Path kubeconfig() {
    return kubeconfig;
  }

  /**
   * The root certificate istiod published in {@code namespace} ({@code istio-ca-root-cert}), once
   * it is there.
   */
  public String publishedRoot(String namespace, java.time.Duration wait) {
    return org.awaitility.Awaitility.await()
        .atMost(wait)
        .pollInterval(java.time.Duration.ofMillis(100))
        .until(
            () -> {
              io.fabric8.kubernetes.api.model.ConfigMap cm =
                  client().configMaps().inNamespace(namespace).withName("istio-ca-root-cert").get();
              return cm == null || cm.getData() == null ? null : cm.getData().get("root-cert.pem");
            },
            root -> root != null);
  }

  public KubernetesClient client() {
    return client;
  }

  /** Runs kubectl against the rig; returns stdout, throws with stderr on failure. */
  public String kubectl(String... args) throws IOException, InterruptedException {
    return run(stdinNone(), "kubectl", args);
  }

  /** {@code kubectl apply -f -} with {@code yaml} on stdin. */
  public String apply(String yaml) throws IOException, InterruptedException {
    return run(yaml, "kubectl", "apply", "-f", "-");
  }

  private static String stdinNone() {
    return null;
  }

  private String run(String stdin, String tool, String... args)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(tool);
    cmd.add("--kubeconfig");
    cmd.add(kubeconfig.toString());
    cmd.addAll(List.of(args));
    Path err = Files.createTempFile("kubectl", ".err");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
      if (stdin != null) {
        p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
      }
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", cmd)
                + " failed: "
                + Files.readString(err, StandardCharsets.UTF_8).strip());
      }
      return out;
    } finally {
      Files.deleteIfExists(err);
    }
  }
}
