package io.jistiod.citadel.server.node;

import java.util.Optional;

/**
 * The pods node authorization needs to see: one by name, and whether any pod of a service account
 * is scheduled on a node. Implementations answer from a watch cache, so a pod just created may not
 * be visible yet (the client retries).
 */
public interface PodIndex {
  /** What is known of pod {@code namespace/name}, if it exists. */
  Optional<PodSummary> pod(String namespace, String name);

  /** Whether at least one pod of {@code serviceAccount} is scheduled on {@code node}. */
  boolean anyOnNode(ServiceAccountName serviceAccount, String node);

  /**
   * The parts of a pod node authorization reads.
   *
   * @param nodeName {@code spec.nodeName}, empty while unscheduled
   */
  record PodSummary(String uid, String serviceAccount, String nodeName) {}
}
