package io.jistiod.pilot.model;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What istiod knows of a service besides its addresses and ports.
 *
 * @param registry {@code Kubernetes} or {@code External} (ServiceEntry), as Istio names them
 * @param name the Kubernetes Service or ServiceEntry name
 * @param selector pod labels the service selects; empty if it selects none
 * @param meshExternal true for ServiceEntries with location MESH_EXTERNAL
 * @param creationTime RFC 3339, or empty when unknown
 * @param subjectAltNames identities the service's workloads present besides their own service
 *     accounts (a ServiceEntry's {@code subjectAltNames}); TLS to the service accepts these too
 * @param serviceType the Kubernetes Service's {@code spec.type} ({@code ClusterIP}, {@code
 *     LoadBalancer}, ...); empty for ServiceEntries
 * @param externalAddresses addresses outside the cluster: a LoadBalancer Service's ingress IPs or
 *     host names, then its {@code spec.externalIPs}, as istiod's ClusterExternalAddresses
 * @param externalName an ExternalName Service's {@code spec.externalName} (the host it is an alias
 *     of); empty otherwise
 * @param aliases the hostnames of the ExternalName Services that name this service (directly or
 *     through other aliases), ordered by their namespace then hostname, as istiod resolves them for
 *     the whole push; empty for most services
 * @param nodeLocal a Kubernetes Service with {@code internalTrafficPolicy: Local}: a proxy reaches
 *     only the endpoints on its own node * @param trafficDistribution a Kubernetes Service's
 *     preference for nearby endpoints
 */
public record ServiceAttributes(
    String registry,
    String name,
    Map<String, String> labels,
    Map<String, String> selector,
    boolean meshExternal,
    String creationTime,
    List<String> subjectAltNames,
    String serviceType,
    List<String> externalAddresses,
    String externalName,
    List<String> aliases,
    boolean nodeLocal,
    TrafficDistribution trafficDistribution) {

  public static final String KUBERNETES = "Kubernetes";
  public static final String EXTERNAL = "External";

  public ServiceAttributes {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(name, "name");
    labels = Map.copyOf(labels);
    selector = Map.copyOf(selector);
    Objects.requireNonNull(creationTime, "creationTime");
    subjectAltNames = List.copyOf(subjectAltNames);
    Objects.requireNonNull(serviceType, "serviceType");
    externalAddresses = List.copyOf(externalAddresses);
    Objects.requireNonNull(externalName, "externalName");
    aliases = List.copyOf(aliases);
    Objects.requireNonNull(trafficDistribution, "trafficDistribution");
  }

  /** Attributes with no preference for nearby endpoints. */
  public ServiceAttributes(
      String registry,
      String name,
      Map<String, String> labels,
      Map<String, String> selector,
      boolean meshExternal,
      String creationTime,
      List<String> subjectAltNames,
      String serviceType,
      List<String> externalAddresses,
      String externalName,
      List<String> aliases,
      boolean nodeLocal) {
    this(
        registry,
        name,
        labels,
        selector,
        meshExternal,
        creationTime,
        subjectAltNames,
        serviceType,
        externalAddresses,
        externalName,
        aliases,
        nodeLocal,
        TrafficDistribution.ANY);
  }

  /** These attributes with {@code aliases} as the service's aliases. */
  public ServiceAttributes withAliases(List<String> aliases) {
    return new ServiceAttributes(
        registry,
        name,
        labels,
        selector,
        meshExternal,
        creationTime,
        subjectAltNames,
        serviceType,
        externalAddresses,
        externalName,
        aliases,
        nodeLocal,
        trafficDistribution);
  }

  /** Attributes of a service with no Kubernetes type or external addresses (a ServiceEntry). */
  public ServiceAttributes(
      String registry,
      String name,
      Map<String, String> labels,
      Map<String, String> selector,
      boolean meshExternal,
      String creationTime,
      List<String> subjectAltNames) {
    this(
        registry,
        name,
        labels,
        selector,
        meshExternal,
        creationTime,
        subjectAltNames,
        "",
        List.of(),
        "",
        List.of(),
        false);
  }

  /** Attributes without extra subject alternative names. */
  public ServiceAttributes(
      String registry,
      String name,
      Map<String, String> labels,
      Map<String, String> selector,
      boolean meshExternal,
      String creationTime) {
    this(registry, name, labels, selector, meshExternal, creationTime, List.of());
  }
}
