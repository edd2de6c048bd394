package io.jistiod.pilot.push;

import io.jistiod.pilot.model.ExportTo;
import io.jistiod.pilot.model.Service;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One push's services by hostname, each with its exportTo resolved (the mesh's {@code
 * defaultServiceExportTo} for a service that declares none), and the services each namespace sees.
 *
 * <p>Depends on the service registries (Kubernetes Services, ServiceEntries) and the mesh config.
 * Immutable; the per-namespace lists are memoised.
 */
public final class ServiceIndex {
  /** What the index is built from; a change to any other kind leaves it valid. */
  public static final Set<IndexInput> INPUTS = Set.of(IndexInput.SERVICES, IndexInput.MESH_CONFIG);

  private final Map<String, Service> byHost;
  private final List<Service> sorted;
  private final Map<String, ExportTo> exportTo;
  private final Map<String, List<Service>> byViewer = new ConcurrentHashMap<>();

  private ServiceIndex(
      Map<String, Service> byHost, List<Service> sorted, Map<String, ExportTo> exportTo) {
    this.byHost = byHost;
    this.sorted = sorted;
    this.exportTo = exportTo;
  }

  /**
   * @param services by hostname, in hostname order
   * @param meshDefault MeshConfig {@code defaultServiceExportTo}
   */
  public static ServiceIndex of(SortedMap<String, Service> services, List<String> meshDefault) {
    Map<String, ExportTo> exportTo = new HashMap<>();
    for (Service s : services.values()) {
      exportTo.put(s.hostname(), ExportTo.of(s.exportTo(), meshDefault));
    }
    return new ServiceIndex(
        Collections.unmodifiableMap(new java.util.TreeMap<>(services)),
        List.copyOf(services.values()),
        Map.copyOf(exportTo));
  }

  /** Every service by hostname, whoever may see it. */
  public Map<String, Service> byHost() {
    return byHost;
  }

  /** Every service, in hostname order. */
  public List<Service> all() {
    return sorted;
  }

  public Optional<Service> get(String hostname) {
    return Optional.ofNullable(byHost.get(hostname));
  }

  /** Whether a proxy in {@code namespace} may see {@code service}. */
  public boolean visibleTo(Service service, String namespace) {
    ExportTo e = exportTo.get(service.hostname());
    return (e == null ? ExportTo.of(service.exportTo()) : e)
        .visibleTo(service.namespace(), namespace);
  }

  /** The service {@code hostname} if a proxy in {@code namespace} may see it. */
  public Optional<Service> visible(String namespace, String hostname) {
    Service s = byHost.get(hostname);
    return s != null && visibleTo(s, namespace) ? Optional.of(s) : Optional.empty();
  }

  /** The services exported to {@code namespace}, in hostname order. */
  public List<Service> exportedTo(String namespace) {
    return byViewer.computeIfAbsent(
        namespace,
        ns -> {
          List<Service> out = new ArrayList<>();
          for (Service s : sorted) {
            if (visibleTo(s, ns)) {
              out.add(s);
            }
          }
          return List.copyOf(out);
        });
  }
}
