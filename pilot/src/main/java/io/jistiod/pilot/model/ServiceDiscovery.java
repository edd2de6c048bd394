package io.jistiod.pilot.model;

import java.util.List;
import java.util.Optional;

/**
 * A source of services and their endpoints: ServiceEntries, Kubernetes, and later remote clusters.
 * Each call returns an immutable snapshot.
 */
public interface ServiceDiscovery {

  List<Service> services();

  /** Every endpoint of every service this source knows. */
  List<Endpoint> endpoints();

  /**
   * The endpoints of the services {@code hostnames} only, in the order {@link #endpoints()} gives
   * them: what an endpoints-only push recomputes. A source that can find them without listing
   * everything overrides this.
   */
  default List<Endpoint> endpoints(java.util.Set<String> hostnames) {
    List<Endpoint> out = new java.util.ArrayList<>();
    for (Endpoint e : endpoints()) {
      if (hostnames.contains(e.hostname())) {
        out.add(e);
      }
    }
    return out;
  }

  /**
   * The locality of the proxy's workload as this source knows it (Kubernetes: the pod's locality
   * label, else its node's topology labels), or empty if it knows none. It takes precedence over
   * the locality the proxy reports, as in istiod.
   */
  default Optional<Locality> workloadLocality(Proxy proxy) {
    return Optional.empty();
  }
}
