package io.jistiod.pilot.ambient;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.jistiod.galley.config.Config;
import java.util.List;
import java.util.Map;

/**
 * The Kubernetes objects the workload API is built from, as one snapshot: the pods and Services of
 * the discovery namespaces, and every node (for locality). The objects are the informers' own and
 * are only read.
 *
 * @param network this cluster's network: the {@code topology.istio.io/network} label of istiod's
 *     own namespace, empty without one
 * @param namespaceLabels every namespace's labels (use-waypoint, waypoint attachment)
 * @param gateways the Gateway API Gateways, some of them waypoints
 * @param gatewayClasses the GatewayClasses (a waypoint's traffic type and inbound binding)
 * @param serviceEntries the ServiceEntries (their services, endpoints and selected workloads)
 * @param workloadEntries the WorkloadEntries
 * @param endpointSlices the EndpointSlices of the discovery namespaces (their endpoints that are
 *     not pods are workloads of their Service)
 */
public record AmbientInputs(
    List<Pod> pods,
    List<Service> services,
    List<Node> nodes,
    String network,
    Map<String, Map<String, String>> namespaceLabels,
    List<Config> gateways,
    List<Config> gatewayClasses,
    List<Config> serviceEntries,
    List<Config> workloadEntries,
    List<EndpointSlice> endpointSlices) {
  public static final AmbientInputs EMPTY = new AmbientInputs(List.of(), List.of(), List.of());

  public AmbientInputs {
    pods = List.copyOf(pods);
    services = List.copyOf(services);
    nodes = List.copyOf(nodes);
    java.util.Objects.requireNonNull(network, "network");
    namespaceLabels = Map.copyOf(namespaceLabels);
    gateways = List.copyOf(gateways);
    gatewayClasses = List.copyOf(gatewayClasses);
    serviceEntries = List.copyOf(serviceEntries);
    workloadEntries = List.copyOf(workloadEntries);
    endpointSlices = List.copyOf(endpointSlices);
  }

  /** Without EndpointSlices. */
  public AmbientInputs(
      List<Pod> pods,
      List<Service> services,
      List<Node> nodes,
      String network,
      Map<String, Map<String, String>> namespaceLabels,
      List<Config> gateways,
      List<Config> gatewayClasses,
      List<Config> serviceEntries,
      List<Config> workloadEntries) {
    this(
        pods,
        services,
        nodes,
        network,
        namespaceLabels,
        gateways,
        gatewayClasses,
        serviceEntries,
        workloadEntries,
        List.of());
  }

  /** Without ServiceEntries or WorkloadEntries. */
  public AmbientInputs(
      List<Pod> pods,
      List<Service> services,
      List<Node> nodes,
      String network,
      Map<String, Map<String, String>> namespaceLabels,
      List<Config> gateways,
      List<Config> gatewayClasses) {
    this(
        pods,
        services,
        nodes,
        network,
        namespaceLabels,
        gateways,
        gatewayClasses,
        List.of(),
        List.of());
  }

  /** Kubernetes objects only: no namespace labels, no Gateways. */
  public AmbientInputs(List<Pod> pods, List<Service> services, List<Node> nodes, String network) {
    this(pods, services, nodes, network, Map.of(), List.of(), List.of());
  }

  /** On no network in particular. */
  public AmbientInputs(List<Pod> pods, List<Service> services, List<Node> nodes) {
    this(pods, services, nodes, "");
  }

  /** These inputs with the config store's Gateways, GatewayClasses and entries. */
  public AmbientInputs withConfig(
      List<Config> gateways,
      List<Config> gatewayClasses,
      List<Config> serviceEntries,
      List<Config> workloadEntries) {
    return new AmbientInputs(
        pods,
        services,
        nodes,
        network,
        namespaceLabels,
        gateways,
        gatewayClasses,
        serviceEntries,
        workloadEntries,
        endpointSlices);
  }

  /** These inputs with {@code slices} as the EndpointSlices. */
  public AmbientInputs withEndpointSlices(List<EndpointSlice> slices) {
    return new AmbientInputs(
        pods,
        services,
        nodes,
        network,
        namespaceLabels,
        gateways,
        gatewayClasses,
        serviceEntries,
        workloadEntries,
        slices);
  }

  /** Where a push context finds the current inputs (the Kubernetes registry). */
  @FunctionalInterface
  public interface Source {
    AmbientInputs snapshot();
  }
}
