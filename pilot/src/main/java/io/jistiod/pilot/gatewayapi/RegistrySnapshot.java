package io.jistiod.pilot.gatewayapi;

import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A push's services and endpoints as the conversion reads them. Pilot's services do not carry a
 * Kubernetes Service's type or LoadBalancer ingress yet, so every service reads as a ClusterIP one:
 * a Gateway's status lists the cluster addresses of the Services it runs behind.
 */
public final class RegistrySnapshot implements ServiceRegistryView {
  private final Map<String, Map<String, RegistryService>> byHostAndNamespace = new HashMap<>();

  public RegistrySnapshot(
      Iterable<Service> services, Map<String, Map<Integer, List<Endpoint>>> endpoints) {
    for (Service s : services) {
      Map<Integer, List<Integer>> endpointPorts = new TreeMap<>();
      List<Integer> ports = new ArrayList<>();
      Map<Integer, List<Endpoint>> byPort = endpoints.getOrDefault(s.hostname(), Map.of());
      for (ServicePort p : s.ports()) {
        ports.add(p.port());
        List<Integer> targets = new ArrayList<>();
        for (Endpoint e : byPort.getOrDefault(p.port(), List.of())) {
          targets.add(e.port());
        }
        endpointPorts.put(p.port(), targets);
      }
      byHostAndNamespace
          .computeIfAbsent(s.hostname(), h -> new TreeMap<>())
          .put(
              s.namespace(),
              new RegistryService(
                  s.hostname(),
                  s.namespace(),
                  s.attributes().labels(),
                  ports,
                  endpointPorts,
                  s.addresses(),
                  List.of(),
                  false));
    }
  }

  @Override
  public Optional<RegistryService> service(String hostname, String namespace) {
    return Optional.ofNullable(byHostAndNamespace.getOrDefault(hostname, Map.of()).get(namespace));
  }

  @Override
  public Set<String> namespacesOf(String hostname) {
    return new TreeSet<>(byHostAndNamespace.getOrDefault(hostname, Map.of()).keySet());
  }
}
