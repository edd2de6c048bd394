package io.jistiod.pilot.ambient;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.util.List;

/**
 * The Kubernetes objects the workload API is built from, as one snapshot: the pods and Services of
 * the discovery namespaces, and every node (for locality). The objects are the informers' own and
 * are only read.
 *
 * @param network this cluster's network: the {@code topology.istio.io/network} label of istiod's
 *     own namespace, empty without one
 */
public record AmbientInputs(
    List<Pod> pods, List<Service> services, List<Node> nodes, String network) {
  public static final AmbientInputs EMPTY = new AmbientInputs(List.of(), List.of(), List.of());

  public AmbientInputs {
    pods = List.copyOf(pods);
    services = List.copyOf(services);
    nodes = List.copyOf(nodes);
    java.util.Objects.requireNonNull(network, "network");
  }

  /** On no network in particular. */
  public AmbientInputs(List<Pod> pods, List<Service> services, List<Node> nodes) {
    this(pods, services, nodes, "");
  }

  /** Where a push context finds the current inputs (the Kubernetes registry). */
  @FunctionalInterface
  public interface Source {
    AmbientInputs snapshot();
  }
}
