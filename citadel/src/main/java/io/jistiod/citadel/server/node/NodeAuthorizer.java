package io.jistiod.citadel.server.node;

import io.jistiod.citadel.server.Caller;
import io.jistiod.citadel.server.ImpersonationAuthorizer;
import io.jistiod.citadel.server.KubernetesInfo;
import java.util.Objects;
import java.util.Optional;

/**
 * Node authorization for the CSR API, the subset of Kubernetes' node authorizer istiod applies: a
 * trusted node proxy (ztunnel) may obtain the identity of any service account that has a pod
 * scheduled on the proxy's own node, and nothing else.
 *
 * <p>In order, the caller must
 *
 * <ol>
 *   <li>call about this cluster: the {@code clusterid} header must name it (istiod keeps one
 *       authorizer per known cluster and finds none for a missing or unknown id);
 *   <li>be one of {@link TrustedNodeAccounts};
 *   <li>ask for a well-formed {@code spiffe://<td>/ns/<ns>/sa/<sa>} (the trust domain is not
 *       compared, as in istiod);
 *   <li>present a token bound to its own pod, which must exist with the token's UID and service
 *       account: the node is the pod's {@code spec.nodeName} from the watch cache, never a claim of
 *       the token, so a stale token of a deleted or re-created pod proves nothing;
 *   <li>share that node with at least one pod of the requested service account.
 * </ol>
 */
public final class NodeAuthorizer implements ImpersonationAuthorizer {
  private static final String SPIFFE_PREFIX = "spiffe://";

  private final TrustedNodeAccounts trusted;
  private final String clusterId;
  private final PodIndex pods;

  /**
   * @param trusted must not be empty: without trusted accounts there is no node authorization
   * @param clusterId istiod's {@code CLUSTER_ID}, the only cluster whose pods {@code pods} holds
   */
  public NodeAuthorizer(TrustedNodeAccounts trusted, String clusterId, PodIndex pods) {
    this.trusted = Objects.requireNonNull(trusted, "trusted");
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.pods = Objects.requireNonNull(pods, "pods");
    if (trusted.isEmpty()) {
      throw new IllegalArgumentException("trusted: empty (expected: at least one ns/sa)");
    }
  }

  @Override
  public Optional<String> refusal(String callerCluster, Caller caller, String requestedIdentity) {
    if (!clusterId.equals(callerCluster)) {
      return Optional.of("no node authorizer for cluster \"" + callerCluster + "\"");
    }
    KubernetesInfo k = caller.kubernetes();
    ServiceAccountName callerSa = new ServiceAccountName(k.podNamespace(), k.serviceAccount());
    if (!trusted.contains(callerSa)) {
      return Optional.of("caller (" + k + ") is not allowed to impersonate");
    }
    Optional<ServiceAccountName> requested = parseIdentity(requestedIdentity);
    if (requested.isEmpty()) {
      return Optional.of("failed to validate impersonated identity " + requestedIdentity);
    }
    Optional<PodIndex.PodSummary> found = pods.pod(k.podNamespace(), k.podName());
    if (found.isEmpty()) {
      return Optional.of("pod " + k.podNamespace() + "/" + k.podName() + " not found");
    }
    PodIndex.PodSummary callerPod = found.get();
    if (!callerPod.uid().equals(k.podUid())) {
      // A pod re-created under the same name while the proxy still holds the old token; the proxy
      // retries with a fresh one.
      return Optional.of(
          "pod found, but UID does not match: " + callerPod.uid() + " vs " + k.podUid());
    }
    if (!callerPod.serviceAccount().equals(k.serviceAccount())) {
      return Optional.of(
          "pod found, but ServiceAccount does not match: "
              + callerPod.serviceAccount()
              + " vs "
              + k.serviceAccount());
    }
    if (!pods.anyOnNode(requested.get(), callerPod.nodeName())) {
      return Optional.of(
          "no instances of \""
              + requested.get()
              + "\" found on node \""
              + callerPod.nodeName()
              + "\"");
    }
    return Optional.empty();
  }

  /**
   * The namespace and service account of {@code spiffe://<td>/ns/<ns>/sa/<sa>}: exactly five
   * segments after the scheme, the second {@code ns} and the fourth {@code sa}; segments may be
   * empty (such an identity then matches no pod).
   */
  static Optional<ServiceAccountName> parseIdentity(String identity) {
    if (identity == null || !identity.startsWith(SPIFFE_PREFIX)) {
      return Optional.empty();
    }
    String[] parts = identity.substring(SPIFFE_PREFIX.length()).split("/", -1);
    if (parts.length != 5 || !parts[1].equals("ns") || !parts[3].equals("sa")) {
      return Optional.empty();
    }
    return Optional.of(new ServiceAccountName(parts[2], parts[4]));
  }
}
