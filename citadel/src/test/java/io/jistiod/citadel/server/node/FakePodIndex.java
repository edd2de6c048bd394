package io.jistiod.citadel.server.node;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Pods in a map, indexed on the fly, for node authorization tests. */
public final class FakePodIndex implements PodIndex {
  private record Key(String namespace, String name) {}

  private final Map<Key, PodSummary> pods = new ConcurrentHashMap<>();

  /** Adds pod {@code namespace/name} of {@code sa} on {@code node} ("" for unscheduled). */
  public FakePodIndex pod(String namespace, String name, String uid, String sa, String node) {
    pods.put(new Key(namespace, name), new PodSummary(uid, sa, node));
    return this;
  }

  public FakePodIndex remove(String namespace, String name) {
    pods.remove(new Key(namespace, name));
    return this;
  }

  @Override
  public Optional<PodSummary> pod(String namespace, String name) {
    return Optional.ofNullable(pods.get(new Key(namespace, name)));
  }

  @Override
  public boolean anyOnNode(ServiceAccountName serviceAccount, String node) {
    return !node.isEmpty()
        && pods.entrySet().stream()
            .anyMatch(
                e ->
                    e.getKey().namespace().equals(serviceAccount.namespace())
                        && e.getValue().serviceAccount().equals(serviceAccount.name())
                        && e.getValue().nodeName().equals(node));
  }
}
