package io.jistiod.pilot.model;

import java.util.Map;
import java.util.Objects;

/**
 * One address that serves one port of a service.
 *
 * @param servicePort the service port number this endpoint serves
 * @param servicePortName that port's name
 * @param port the port to connect to (the target port)
 * @param weight load-balancing weight, at least 1
 * @param serviceAccount SPIFFE identity of the workload, or empty
 * @param tlsMode istiod's TLSMode: {@code istio} for a workload with a sidecar (or an identity),
 *     else {@code disabled} (or whatever its {@code security.istio.io/tlsMode} label says)
 * @param namespace namespace of the workload
 * @param workloadName pod or WorkloadEntry name, or empty
 * @param healthKnown whether the registry knows the endpoint's health (a Kubernetes pod's
 *     readiness, also when a ServiceEntry selects the pod): Envoy is told HEALTHY; otherwise
 *     (ServiceEntry endpoints, WorkloadEntries) UNKNOWN, as istiod does
 * @param terminating a Kubernetes endpoint that is not ready because its pod is shutting down:
 *     never sent, even where unready endpoints are
 */
public record Endpoint(
    String hostname,
    int servicePort,
    String servicePortName,
    String address,
    int port,
    Map<String, String> labels,
    Locality locality,
    int weight,
    boolean healthy,
    String serviceAccount,
    String tlsMode,
    String namespace,
    String workloadName,
    boolean healthKnown,
    boolean terminating) {

  public Endpoint {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(address, "address");
    labels = Map.copyOf(labels);
    Objects.requireNonNull(locality, "locality");
    if (weight < 1) {
      throw new IllegalArgumentException("weight: " + weight + " (expected: >= 1)");
    }
    Objects.requireNonNull(serviceAccount, "serviceAccount");
    Objects.requireNonNull(tlsMode, "tlsMode");
    Objects.requireNonNull(servicePortName, "servicePortName");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(workloadName, "workloadName");
  }

  /** An endpoint that is not shutting down. */
  public Endpoint(
      String hostname,
      int servicePort,
      String servicePortName,
      String address,
      int port,
      Map<String, String> labels,
      Locality locality,
      int weight,
      boolean healthy,
      String serviceAccount,
      String tlsMode,
      String namespace,
      String workloadName,
      boolean healthKnown) {
    this(
        hostname,
        servicePort,
        servicePortName,
        address,
        port,
        labels,
        locality,
        weight,
        healthy,
        serviceAccount,
        tlsMode,
        namespace,
        workloadName,
        healthKnown,
        false);
  }

  /** An endpoint whose health the registry does not know (ServiceEntries, WorkloadEntries). */
  public Endpoint(
      String hostname,
      int servicePort,
      String servicePortName,
      String address,
      int port,
      Map<String, String> labels,
      Locality locality,
      int weight,
      boolean healthy,
      String serviceAccount,
      String tlsMode,
      String namespace,
      String workloadName) {
    this(
        hostname,
        servicePort,
        servicePortName,
        address,
        port,
        labels,
        locality,
        weight,
        healthy,
        serviceAccount,
        tlsMode,
        namespace,
        workloadName,
        false);
  }

  /** This endpoint, shutting down. */
  public Endpoint asTerminating() {
    return new Endpoint(
        hostname,
        servicePort,
        servicePortName,
        address,
        port,
        labels,
        locality,
        weight,
        healthy,
        serviceAccount,
        tlsMode,
        namespace,
        workloadName,
        healthKnown,
        true);
  }

  /** Whether every label in {@code selector} is on this endpoint with the same value. */
  public boolean matches(Map<String, String> selector) {
    for (var e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }
}
