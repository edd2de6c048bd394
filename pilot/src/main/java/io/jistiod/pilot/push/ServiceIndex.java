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
  private final Map<String, List<Service>> shadowed;
  private final List<String> meshDefault;
  private final Map<String, List<Service>> bySidecarViewer = new ConcurrentHashMap<>();
  private final Map<String, List<Service>> byGatewayViewer = new ConcurrentHashMap<>();
  private final Map<String, Map<String, Optional<Service>>> resolvedForSidecars =
      new ConcurrentHashMap<>();
  private final Map<String, Map<String, Optional<Service>>> resolvedForGateways =
      new ConcurrentHashMap<>();

  private ServiceIndex(
      Map<String, Service> byHost,
      List<Service> sorted,
      Map<String, ExportTo> exportTo,
      Map<String, List<Service>> shadowed,
      List<String> meshDefault) {
    this.byHost = byHost;
    this.sorted = sorted;
    this.exportTo = exportTo;
    this.shadowed = shadowed;
    this.meshDefault = meshDefault;
  }

  /**
   * @param services by hostname, in hostname order
   * @param meshDefault MeshConfig {@code defaultServiceExportTo}
   */
  public static ServiceIndex of(SortedMap<String, Service> services, List<String> meshDefault) {
    return of(services, Map.of(), meshDefault);
  }

  /**
   * @param services by hostname, in hostname order: for a hostname several services define, the one
   *     a viewer with no namespace sees (see {@link ServiceChoice})
   * @param shadowed per such hostname, every service that defines it (the chosen one too), in
   *     istiod's order; hostnames defined once are absent
   * @param meshDefault MeshConfig {@code defaultServiceExportTo}
   */
  public static ServiceIndex of(
      SortedMap<String, Service> services,
      Map<String, List<Service>> shadowed,
      List<String> meshDefault) {
    Map<String, ExportTo> exportTo = new HashMap<>();
    for (Service s : services.values()) {
      exportTo.put(s.hostname(), ExportTo.of(s.exportTo(), meshDefault));
    }
    return new ServiceIndex(
        Collections.unmodifiableMap(new java.util.TreeMap<>(services)),
        List.copyOf(services.values()),
        Map.copyOf(exportTo),
        Map.copyOf(shadowed),
        List.copyOf(meshDefault));
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

  /**
   * Whether more than one service defines {@code hostname} (ServiceEntries in several namespaces,
   * or one naming a Kubernetes Service's host): its endpoints then belong to the namespace of the
   * service a viewer sees.
   */
  public boolean isShared(String hostname) {
    return shadowed.containsKey(hostname);
  }

  /** Whether a proxy in {@code namespace} may see {@code service}. */
  public boolean visibleTo(Service service, String namespace) {
    return exportToOf(service).visibleTo(service.namespace(), namespace);
  }

  private ExportTo exportToOf(Service service) {
    ExportTo e =
        byHost.get(service.hostname()) == service ? exportTo.get(service.hostname()) : null;
    return e != null ? e : ExportTo.of(service.exportTo(), meshDefault);
  }

  /**
   * The service {@code hostname} if a gateway in {@code namespace} may see it (where several
   * services define it, the one a gateway's scope keeps).
   */
  public Optional<Service> visible(String namespace, String hostname) {
    if (shadowed.containsKey(hostname)) {
      return resolved(namespace, false).getOrDefault(hostname, Optional.empty());
    }
    Service s = byHost.get(hostname);
    return s != null && visibleTo(s, namespace) ? Optional.of(s) : Optional.empty();
  }

  /**
   * The services exported to {@code namespace} as sidecars and proxyless clients there see them
   * (before any Sidecar resource narrows them), in hostname order.
   */
  public List<Service> exportedTo(String namespace) {
    return bySidecarViewer.computeIfAbsent(namespace, ns -> viewOf(ns, true));
  }

  /** The services exported to {@code namespace} as a gateway there sees them, in hostname order. */
  public List<Service> exportedToGateway(String namespace) {
    return byGatewayViewer.computeIfAbsent(namespace, ns -> viewOf(ns, false));
  }

  private List<Service> viewOf(String namespace, boolean sidecar) {
    Map<String, Optional<Service>> resolved = resolved(namespace, sidecar);
    List<Service> out = new ArrayList<>();
    for (Service s : sorted) {
      if (shadowed.containsKey(s.hostname())) {
        resolved.getOrDefault(s.hostname(), Optional.empty()).ifPresent(out::add);
      } else if (visibleTo(s, namespace)) {
        out.add(s);
      }
    }
    return List.copyOf(out);
  }

  /** For each hostname several services define, the one a proxy in {@code namespace} sees. */
  private Map<String, Optional<Service>> resolved(String namespace, boolean sidecar) {
    if (shadowed.isEmpty()) {
      return Map.of();
    }
    return (sidecar ? resolvedForSidecars : resolvedForGateways)
        .computeIfAbsent(
            namespace,
            ns -> {
              Map<String, Optional<Service>> out = new HashMap<>();
              shadowed.forEach(
                  (host, candidates) ->
                      out.put(
                          host,
                          ServiceChoice.forViewer(candidates, ns, sidecar, this::exportToOf)));
              return Map.copyOf(out);
            });
  }
}
