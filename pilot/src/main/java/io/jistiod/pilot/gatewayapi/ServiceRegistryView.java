package io.jistiod.pilot.gatewayapi;

import java.util.Optional;
import java.util.Set;

/**
 * The service registry as the conversion reads it: services by host name and the namespace that
 * defines them, as istiod's {@code ServiceIndex.HostnameAndNamespace}. Implementations are
 * snapshots; the conversion never sees them change.
 */
public interface ServiceRegistryView {

  /** No services at all. */
  ServiceRegistryView EMPTY =
      new ServiceRegistryView() {
        @Override
        public Optional<RegistryService> service(String hostname, String namespace) {
          return Optional.empty();
        }

        @Override
        public Set<String> namespacesOf(String hostname) {
          return Set.of();
        }
      };

  /** The service named {@code hostname} defined in {@code namespace}. */
  Optional<RegistryService> service(String hostname, String namespace);

  /** Every namespace that defines a service named {@code hostname}. */
  Set<String> namespacesOf(String hostname);
}
