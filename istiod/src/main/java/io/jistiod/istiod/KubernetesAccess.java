package io.jistiod.istiod;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How istiod reaches the Kubernetes API server: a kubeconfig file ({@code --kubeconfig}, for
 * running outside the cluster) or the pod's service account (in the cluster).
 */
public record KubernetesAccess(Path kubeconfig) {

  /** In-cluster access through the pod's service account. */
  public static KubernetesAccess inCluster() {
    return new KubernetesAccess(null);
  }

  /** Whether this process runs in a Kubernetes pod. */
  public static boolean runningInCluster() {
    String host = System.getenv("KUBERNETES_SERVICE_HOST");
    return host != null && !host.isEmpty();
  }

  public KubernetesClient client() {
    Config config;
    if (kubeconfig == null) {
      config = Config.autoConfigure(null);
    } else {
      try {
        config =
            Config.fromKubeconfig(
                null, Files.readString(kubeconfig, StandardCharsets.UTF_8), kubeconfig.toString());
      } catch (IOException e) {
        throw new UncheckedIOException("--kubeconfig " + kubeconfig + ": " + e.getMessage(), e);
      }
    }
    return new KubernetesClientBuilder().withConfig(config).build();
  }

  public String describe() {
    return kubeconfig == null ? "in-cluster Kubernetes" : "Kubernetes (" + kubeconfig + ")";
  }
}
