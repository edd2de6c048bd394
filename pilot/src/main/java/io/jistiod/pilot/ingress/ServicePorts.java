package io.jistiod.pilot.ingress;

import io.jistiod.pilot.model.ServicePort;
import java.util.List;
import java.util.Optional;

/** The ports of Kubernetes Services, in declaration order: for backends that name their port. */
@FunctionalInterface
public interface ServicePorts {
  /** No Services at all. */
  ServicePorts NONE = (namespace, name) -> Optional.empty();

  /** The ports of Service {@code namespace/name}, or empty if there is no such Service. */
  Optional<List<ServicePort>> of(String namespace, String name);
}
