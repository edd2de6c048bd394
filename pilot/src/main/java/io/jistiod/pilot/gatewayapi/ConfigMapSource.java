package io.jistiod.pilot.gatewayapi;

import java.util.Map;
import java.util.Optional;

/**
 * The ConfigMaps the Gateway API conversion reads: the CA certificates BackendTLSPolicies name
 * ({@code validation.caCertificateRefs}), as istiod reads them from its ConfigMap informer. Reads
 * are snapshot reads of a cache (no I/O).
 */
@FunctionalInterface
public interface ConfigMapSource {

  /** No ConfigMaps at all: istiod without Kubernetes. */
  ConfigMapSource NONE = (namespace, name) -> Optional.empty();

  /** The {@code data} of the ConfigMap {@code namespace/name}, if it exists. */
  Optional<Map<String, String>> data(String namespace, String name);
}
