package io.jistiod.istiod;

import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.analysis.MeshView;
import io.jistiod.pilot.kube.KubeServiceRegistry;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceDiscovery;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Galley's view of the running mesh, read from Pilot's registries: service hosts from every
 * registry (Kubernetes Services and ServiceEntries), workload labels from the Kubernetes pod
 * informer. Reads snapshots on each call; thread-safe.
 */
final class RegistryMeshView implements MeshView {
  private final List<ServiceDiscovery> registries;
  private final KubeServiceRegistry kube;

  RegistryMeshView(List<ServiceDiscovery> registries, KubeServiceRegistry kube) {
    this.registries = List.copyOf(registries);
    this.kube = Objects.requireNonNull(kube, "kube");
  }

  @Override
  public Collection<String> serviceHosts() {
    Set<String> out = new LinkedHashSet<>();
    for (ServiceDiscovery registry : registries) {
      for (Service s : registry.services()) {
        out.add(s.hostname());
      }
    }
    return out;
  }

  @Override
  public List<Map<String, String>> workloadLabels(String namespace) {
    List<Map<String, String>> out = new ArrayList<>();
    for (Pod pod : kube.pods()) {
      if (namespace != null && !namespace.equals(pod.getMetadata().getNamespace())) {
        continue;
      }
      Map<String, String> labels = pod.getMetadata().getLabels();
      out.add(labels == null ? Map.of() : Map.copyOf(labels));
    }
    return out;
  }

  @Override
  public boolean hasSynced() {
    return kube.hasSynced();
  }
}
