package io.jistiod.pilot.model;

import java.util.List;

/**
 * A source of services and their endpoints: ServiceEntries, Kubernetes, and later remote clusters.
 * Each call returns an immutable snapshot.
 */
public interface ServiceDiscovery {

  List<Service> services();

  /** Every endpoint of every service this source knows. */
  List<Endpoint> endpoints();
}
