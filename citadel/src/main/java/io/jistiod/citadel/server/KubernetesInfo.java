package io.jistiod.citadel.server;

import java.util.Objects;

/**
 * What a Kubernetes token says about the pod it was issued for, beyond the service account: a token
 * bound to a pod carries the pod's name and UID (TokenReview's user extras {@code
 * authentication.kubernetes.io/pod-name} and {@code pod-uid}). Empty strings where the caller did
 * not authenticate with such a token (a client certificate, an unbound token).
 */
public record KubernetesInfo(
    String podName, String podNamespace, String podUid, String serviceAccount) {
  /** Nothing known: a caller not authenticated by a Kubernetes token. */
  public static final KubernetesInfo NONE = new KubernetesInfo("", "", "", "");

  public KubernetesInfo {
    Objects.requireNonNull(podName, "podName");
    Objects.requireNonNull(podNamespace, "podNamespace");
    Objects.requireNonNull(podUid, "podUid");
    Objects.requireNonNull(serviceAccount, "serviceAccount");
  }

  @Override
  public String toString() {
    return "Pod{Name: "
        + podName
        + ", Namespace: "
        + podNamespace
        + ", UID: "
        + podUid
        + ", ServiceAccount: "
        + serviceAccount
        + "}";
  }
}
