package io.jistiod.pilot.gatewayapi;

import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A push's services and endpoints as the conversion reads them, each service translated when the
 * conversion first asks for it: a mesh of thousands of services with a handful of Gateway API
 * objects pays for the few it looks up. Pilot's services do not carry a Kubernetes Service's type
 * or LoadBalancer ingress yet, so every service reads as a ClusterIP one: a Gateway's status lists
 * the cluster addresses of the Services it runs behind.
 */
public final class RegistrySnapshot implements ServiceRegistryView {
  private final Map<String, Service> byHost;
  private final Map<String, Map<Integer, List<Endpoint>>> endpoints;
  private final Map<String, RegistryService> translated = new ConcurrentHashMap<>();

  /**
   * @param byHost the push's services by host name (one per host, as the push resolved them)
   * @param endpoints the push's endpoints by host and service port
   */
  public RegistrySnapshot(
      Map<String, Service> byHost, Map<String, Map<Integer, List<Endpoint>>> endpoints) {
    this.byHost = byHost;
    this.endpoints = endpoints;
  }

  @Override
  public Optional<RegistryService> service(String hostname, String namespace) {
    Service s = byHost.get(hostname);
    if (s == null || !s.namespace().equals(namespace)) {
      return Optional.empty();
    }
    return Optional.of(translated.computeIfAbsent(hostname, h -> translate(s)));
  }

  @Override
  public Set<String> namespacesOf(String hostname) {
    Service s = byHost.get(hostname);
    return s == null ? Set.of() : Set.of(s.namespace());
  }

  private RegistryService translate(Service s) {
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
    return new RegistryService(
        s.hostname(),
        s.namespace(),
        s.attributes().labels(),
        ports,
        endpointPorts,
        s.addresses(),
        s.attributes().externalAddresses(),
        "LoadBalancer".equals(s.attributes().serviceType()));
  }
}
