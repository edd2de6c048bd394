package io.jistiod.pilot.model;

import java.util.Map;
import java.util.Objects;

/**
 * A workload of another registry (a Kubernetes pod) that a ServiceEntry's {@code workloadSelector}
 * may select, as istiod's WorkloadInstance.
 *
 * @param endpoint what an endpoint of it carries (address, labels, locality, identity, TLS mode,
 *     namespace, workload name); its hostname and port fields are not set (empty, 0) until a
 *     ServiceEntry port makes an endpoint of it
 * @param portMap the pod's named TCP container ports, the first of each name: a ServiceEntry port
 *     of that name is served there
 */
public record WorkloadInstance(Endpoint endpoint, Map<String, Integer> portMap) {
  public WorkloadInstance {
    Objects.requireNonNull(endpoint, "endpoint");
    portMap = Map.copyOf(portMap);
  }

  /** The workloads of a namespace a ServiceEntry may select, from another registry. */
  @FunctionalInterface
  public interface Source {
    /** None: ServiceEntries select WorkloadEntries only. */
    Source NONE = namespace -> java.util.List.of();

    /** The ready workloads of {@code namespace} now (a snapshot). */
    java.util.List<WorkloadInstance> inNamespace(String namespace);
  }
}
