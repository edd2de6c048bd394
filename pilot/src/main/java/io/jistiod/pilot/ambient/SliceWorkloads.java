package io.jistiod.pilot.ambient;

import com.google.protobuf.ByteString;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.jistiod.pilot.api.workload.NetworkMode;
import io.jistiod.pilot.api.workload.Port;
import io.jistiod.pilot.api.workload.PortList;
import io.jistiod.pilot.api.workload.Workload;
import io.jistiod.pilot.api.workload.WorkloadStatus;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Workloads of EndpointSlice endpoints that are not pods, as istiod 1.27 makes them: the endpoints
 * of a Service without selector (or any hand-written slice of a Service). Each is an opaque address
 * of the Service: named after its slice, on the host network (it may share its IP with others),
 * with no identity, waypoint or locality. Pods' endpoints are skipped: pods are workloads of their
 * own.
 */
final class SliceWorkloads {
  private static final Logger log = LoggerFactory.getLogger(SliceWorkloads.class);

  private SliceWorkloads() {}

  static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /**
   * The workloads of {@code slice}, which belongs to {@code service} (the Kubernetes Service its
   * {@code kubernetes.io/service-name} label names, whose workload API name is {@code serviceKey}).
   * None for an FQDN slice.
   */
  static List<Workload> of(
      EndpointSlice slice,
      io.fabric8.kubernetes.api.model.Service service,
      String serviceKey,
      AmbientSettings settings,
      String network,
      String trustDomain) {
    if ("FQDN".equals(slice.getAddressType())) {
      return List.of(); // istiod leaves these out; Kubernetes may drop the type altogether
    }
    PortList ports = ports(slice, service);
    String ns = slice.getMetadata().getNamespace();
    String name = slice.getMetadata().getName();
    List<Workload> out = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Endpoint ep : nullSafe(slice.getEndpoints())) {
      if (ep.getTargetRef() != null && "Pod".equals(ep.getTargetRef().getKind())) {
        continue; // the pod's own workload serves it
      }
      List<String> ips = nullSafe(ep.getAddresses());
      if (ips.isEmpty()) {
        continue;
      }
      String key = ips.get(0);
      if (!seen.add(key)) {
        log.warn("EndpointSlice {}/{}: address {} listed twice", ns, name, key);
        continue;
      }
      List<ByteString> addresses = new ArrayList<>();
      for (String ip : ips) {
        ByteString b = IpBytes.parse(ip);
        if (b == null) {
          addresses = null;
          break;
        }
        addresses.add(b);
      }
      if (addresses == null) {
        log.warn("EndpointSlice {}/{}: invalid address in {}; endpoint skipped", ns, name, ips);
        continue;
      }
      boolean ready =
          ep.getConditions() == null
              || ep.getConditions().getReady() == null
              || ep.getConditions().getReady();
      out.add(
          Workload.newBuilder()
              .setUid(
                  settings.clusterId()
                      + "/discovery.k8s.io/EndpointSlice/"
                      + ns
                      + "/"
                      + name
                      + "/"
                      + key)
              .setName(name)
              .setNamespace(ns)
              .addAllAddresses(addresses)
              .setNetwork(network)
              .setTrustDomain(trustDomain.equals("cluster.local") ? "" : trustDomain)
              .putServices(serviceKey, ports)
              .setStatus(ready ? WorkloadStatus.HEALTHY : WorkloadStatus.UNHEALTHY)
              .setClusterId(settings.clusterId())
              .setNetworkMode(NetworkMode.HOST_NETWORK)
              .build());
    }
    return out;
  }

  /**
   * The slice's TCP ports that the Service names (a slice port carries the service port's name and
   * the target port), as service port to target port.
   */
  private static PortList ports(
      EndpointSlice slice, io.fabric8.kubernetes.api.model.Service service) {
    PortList.Builder out = PortList.newBuilder();
    List<ServicePort> servicePorts =
        service.getSpec() == null ? List.of() : nullSafe(service.getSpec().getPorts());
    for (EndpointPort p : nullSafe(slice.getPorts())) {
      if (p.getName() == null || p.getPort() == null || !"TCP".equals(p.getProtocol())) {
        continue;
      }
      for (ServicePort sp : servicePorts) {
        String spName = sp.getName() == null ? "" : sp.getName();
        if (spName.equals(p.getName()) && sp.getPort() != null) {
          out.addPorts(Port.newBuilder().setServicePort(sp.getPort()).setTargetPort(p.getPort()));
          break;
        }
      }
    }
    return out.build();
  }

  private static <T> List<T> nullSafe(List<T> l) {
    return l == null ? List.of() : l;
  }
}
