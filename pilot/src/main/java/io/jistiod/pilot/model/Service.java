package io.jistiod.pilot.model;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A service in the mesh, from a Kubernetes Service or a ServiceEntry host.
 *
 * @param hostname fully qualified, e.g. {@code reviews.default.svc.cluster.local}
 * @param namespace the namespace of the object that defined it
 * @param addresses virtual IPs, may be empty
 * @param exportTo namespaces that may see it ({@code *} = all, {@code .} = own), empty = the mesh
 *     default; interpreted by {@link ExportTo}
 * @param attributes where it came from and how it selects workloads
 */
public record Service(
    String hostname,
    String namespace,
    List<ServicePort> ports,
    List<String> addresses,
    Resolution resolution,
    Set<String> exportTo,
    ServiceAttributes attributes) {

  public Service {
    Objects.requireNonNull(hostname, "hostname");
    Objects.requireNonNull(namespace, "namespace");
    ports = List.copyOf(ports);
    addresses = List.copyOf(addresses);
    Objects.requireNonNull(resolution, "resolution");
    exportTo = Set.copyOf(exportTo);
    Objects.requireNonNull(attributes, "attributes");
  }

  public Optional<ServicePort> port(int number) {
    return ports.stream().filter(p -> p.port() == number).findFirst();
  }

  public Optional<ServicePort> portByName(String name) {
    return ports.stream().filter(p -> p.name().equals(name)).findFirst();
  }
}
