package io.jistiod.citadel.k8s;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.jistiod.citadel.server.node.PodIndex;
import io.jistiod.citadel.server.node.ServiceAccountName;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * {@link PodIndex} over a watch of every pod, indexed by (node, service account) so that "is there
 * a pod of this account on this node" is one lookup, as istiod's node authorizer indexes its pods.
 *
 * <p>Pods of namespaces the discovery filter does not select are invisible, as they are to istiod
 * (its pod client is filtered the same way); the filter is read on every lookup, so a change of
 * discoverySelectors applies at once. Pods without a node or a service account are not indexed.
 */
public final class KubernetesPodIndex implements PodIndex, AutoCloseable {
  static final String SA_NODE_INDEX = "saNode";

  private final KubernetesClient client;
  private final Predicate<String> namespaces;
  private volatile SharedIndexInformer<Pod> informer;

  /**
   * @param namespaces the discovery namespace filter; {@code ns -> true} for all
   */
  public KubernetesPodIndex(KubernetesClient client, Predicate<String> namespaces) {
    this.client = Objects.requireNonNull(client, "client");
    this.namespaces = Objects.requireNonNull(namespaces, "namespaces");
  }

  /** Starts the watch without waiting for its first list; lookups see nothing until it is in. */
  public KubernetesPodIndex start() {
    SharedIndexInformer<Pod> pods = client.pods().inAnyNamespace().runnableInformer(0);
    Function<Pod, List<String>> saNode = KubernetesPodIndex::saNodeKeys;
    pods.addIndexers(Map.of(SA_NODE_INDEX, saNode));
    pods.start();
    informer = pods;
    return this;
  }

  public boolean hasSynced() {
    SharedIndexInformer<Pod> pods = informer;
    return pods != null && pods.hasSynced();
  }

  @Override
  public Optional<PodSummary> pod(String namespace, String name) {
    SharedIndexInformer<Pod> pods = informer;
    if (pods == null || name.isEmpty() || !namespaces.test(namespace)) {
      return Optional.empty();
    }
    Pod pod = pods.getIndexer().getByKey(namespace + "/" + name);
    if (pod == null) {
      return Optional.empty();
    }
    return Optional.of(
        new PodSummary(
            orEmpty(pod.getMetadata().getUid()),
            pod.getSpec() == null ? "" : orEmpty(pod.getSpec().getServiceAccountName()),
            pod.getSpec() == null ? "" : orEmpty(pod.getSpec().getNodeName())));
  }

  @Override
  public boolean anyOnNode(ServiceAccountName serviceAccount, String node) {
    SharedIndexInformer<Pod> pods = informer;
    if (pods == null || node.isEmpty() || !namespaces.test(serviceAccount.namespace())) {
      return false;
    }
    return !pods.getIndexer().byIndex(SA_NODE_INDEX, key(node, serviceAccount)).isEmpty();
  }

  static List<String> saNodeKeys(Pod pod) {
    if (pod.getSpec() == null || pod.getMetadata() == null) {
      return List.of();
    }
    String node = orEmpty(pod.getSpec().getNodeName());
    String sa = orEmpty(pod.getSpec().getServiceAccountName());
    if (node.isEmpty() || sa.isEmpty()) {
      return List.of();
    }
    return List.of(key(node, new ServiceAccountName(pod.getMetadata().getNamespace(), sa)));
  }

  /** Node names and namespaces contain no {@code /}, so the key is unambiguous. */
  private static String key(String node, ServiceAccountName serviceAccount) {
    return node + "/" + serviceAccount.namespace() + "/" + serviceAccount.name();
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }

  @Override
  public void close() {
    SharedIndexInformer<Pod> pods = informer;
    if (pods != null) {
      pods.close();
    }
  }
}
