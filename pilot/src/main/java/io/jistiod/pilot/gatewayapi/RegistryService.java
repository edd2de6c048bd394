package io.jistiod.pilot.gatewayapi;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A service as the Gateway API conversion sees it in the service registry (istiod's PushContext
 * ServiceIndex): enough to resolve the Services a Gateway runs behind (its {@code Programmed}
 * condition and addresses) and {@code Hostname} and InferencePool backends.
 *
 * @param labels the Service's labels ({@code gateway.istio.io/managed}, InferencePool extension
 *     labels)
 * @param ports the service ports
 * @param endpointPorts per service port, the target port of each of its endpoints (an empty list:
 *     the port has no endpoints)
 * @param clusterIps the service's virtual IPs
 * @param externalAddresses LoadBalancer ingress addresses, in every cluster
 * @param loadBalancer whether the Service is of type LoadBalancer
 */
public record RegistryService(
    String hostname,
    String namespace,
    Map<String, String> labels,
    List<Integer> ports,
    Map<Integer, List<Integer>> endpointPorts,
    List<String> clusterIps,
    List<String> externalAddresses,
    boolean loadBalancer) {

  public RegistryService {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(namespace, "namespace");
    labels = Map.copyOf(labels);
    ports = List.copyOf(ports);
    endpointPorts = Map.copyOf(endpointPorts);
    clusterIps = List.copyOf(clusterIps);
    externalAddresses = List.copyOf(externalAddresses);
  }

  /** Whether the service port has at least one endpoint. */
  boolean hasEndpoints(int port) {
    return !endpointPorts.getOrDefault(port, List.of()).isEmpty();
  }

  boolean hasAnyEndpoint() {
    return endpointPorts.values().stream().anyMatch(l -> !l.isEmpty());
  }
}
