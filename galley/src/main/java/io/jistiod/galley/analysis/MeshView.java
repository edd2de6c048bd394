package io.jistiod.galley.analysis;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What the service registries know, for analyzers that compare config with the running mesh: which
 * service hosts exist and which workloads run with which labels. istiod implements it from its
 * Kubernetes informers and registries; galley only reads it, so galley never depends on pilot.
 *
 * <p>Implementations are thread-safe and return snapshots.
 */
public interface MeshView {

  /**
   * The fully qualified host of every known service: Kubernetes Services ({@code
   * name.namespace.svc.<domain>}) and ServiceEntry hosts (possibly wildcards such as {@code
   * *.example.com}).
   */
  Collection<String> serviceHosts();

  /** The labels of every workload (pod) in {@code namespace}, or in every namespace when null. */
  List<Map<String, String>> workloadLabels(String namespace);

  /** True once the view holds the complete state of its sources; analyzers wait for it. */
  boolean hasSynced();
}
