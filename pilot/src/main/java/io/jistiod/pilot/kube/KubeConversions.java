package io.jistiod.pilot.kube;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** Kubernetes objects to Istio's model, following istiod's conversion rules. */
final class KubeConversions {
  static final String EXPORT_TO = "networking.istio.io/exportTo";

  private KubeConversions() {}

  static String hostname(String name, String namespace, String domainSuffix) {
    return name + "." + namespace + ".svc." + domainSuffix;
  }

  static Service service(io.fabric8.kubernetes.api.model.Service k, String domainSuffix) {
    return service(k, domainSuffix, "cluster.local");
  }

  /**
   * @param trustDomain the mesh's trust domain: the identities of {@code
   *     alpha.istio.io/kubernetes-serviceaccounts} are SPIFFE IDs in it
   */
  static Service service(
      io.fabric8.kubernetes.api.model.Service k, String domainSuffix, String trustDomain) {
    var meta = k.getMetadata();
    ServiceSpec spec = k.getSpec();
    List<ServicePort> ports = new ArrayList<>();
    if (spec.getPorts() != null) {
      for (var p : spec.getPorts()) {
        String name = p.getName() == null ? "" : p.getName();
        ports.add(
            new ServicePort(
                name, p.getPort(), protocol(p.getAppProtocol(), name, p.getProtocol())));
      }
    }
    List<String> addresses = new ArrayList<>();
    boolean headless = "None".equals(spec.getClusterIP());
    if (!headless) {
      List<String> ips =
          spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()
              ? spec.getClusterIPs()
              : spec.getClusterIP() == null ? List.of() : List.of(spec.getClusterIP());
      for (String ip : ips) {
        if (ip != null && !ip.isEmpty() && !"None".equals(ip)) {
          addresses.add(ip);
        }
      }
    }
    // istiod 1.27 treats an ExternalName Service as an alias of the host it names (never a DNS
    // cluster of its own); clusterIP None still makes it headless.
    String externalName =
        "ExternalName".equals(spec.getType()) && spec.getExternalName() != null
            ? spec.getExternalName()
            : "";
    Resolution resolution =
        headless
            ? Resolution.PASSTHROUGH
            : externalName.isEmpty() ? Resolution.STATIC : Resolution.ALIAS;
    Map<String, String> labels = meta.getLabels() == null ? Map.of() : meta.getLabels();
    Map<String, String> selector = spec.getSelector() == null ? Map.of() : spec.getSelector();
    return new Service(
        hostname(meta.getName(), meta.getNamespace(), domainSuffix),
        meta.getNamespace(),
        ports,
        addresses,
        resolution,
        exportTo(meta.getAnnotations()),
        new ServiceAttributes(
            ServiceAttributes.KUBERNETES,
            meta.getName(),
            labels,
            selector,
            false,
            meta.getCreationTimestamp() == null ? "" : meta.getCreationTimestamp(),
            annotatedServiceAccounts(meta.getAnnotations(), meta.getNamespace(), trustDomain),
            spec.getType() == null ? "" : spec.getType(),
            externalAddresses(k),
            externalName,
            List.of(),
            "Local".equals(spec.getInternalTrafficPolicy()),
            io.jistiod.pilot.model.TrafficDistribution.of(
                spec.getTrafficDistribution(),
                meta.getAnnotations() == null ? Map.of() : meta.getAnnotations())));
  }

  static final String CANONICAL_SERVICE_ACCOUNTS = "alpha.istio.io/canonical-serviceaccounts";
  static final String KUBERNETES_SERVICE_ACCOUNTS = "alpha.istio.io/kubernetes-serviceaccounts";

  /**
   * The identities a Service's annotations add to those of its endpoints, as istiod reads them:
   * {@code alpha.istio.io/canonical-serviceaccounts} taken as written, then each name of {@code
   * alpha.istio.io/kubernetes-serviceaccounts} as the SPIFFE ID of that service account in the
   * Service's namespace. Both are comma-separated and not trimmed (istiod splits them as they are).
   * Clients of the service accept these identities too (a workload outside the Service's own pods,
   * such as a VM under another account, serving it).
   */
  static List<String> annotatedServiceAccounts(
      Map<String, String> annotations, String namespace, String trustDomain) {
    if (annotations == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    String canonical = annotations.getOrDefault(CANONICAL_SERVICE_ACCOUNTS, "");
    if (!canonical.isEmpty()) {
      out.addAll(List.of(canonical.split(",", -1)));
    }
    String kube = annotations.getOrDefault(KUBERNETES_SERVICE_ACCOUNTS, "");
    if (!kube.isEmpty()) {
      for (String sa : kube.split(",", -1)) {
        out.add("spiffe://" + trustDomain + "/ns/" + namespace + "/sa/" + sa);
      }
    }
    return out;
  }

  /**
   * A LoadBalancer Service's ingress addresses (the IP, else the host name, never resolved), then
   * its {@code spec.externalIPs}, as istiod records them.
   */
  static List<String> externalAddresses(io.fabric8.kubernetes.api.model.Service k) {
    List<String> out = new ArrayList<>();
    if ("LoadBalancer".equals(k.getSpec().getType())
        && k.getStatus() != null
        && k.getStatus().getLoadBalancer() != null
        && k.getStatus().getLoadBalancer().getIngress() != null) {
      for (var ingress : k.getStatus().getLoadBalancer().getIngress()) {
        if (ingress.getIp() != null && !ingress.getIp().isEmpty()) {
          out.add(ingress.getIp());
        } else if (ingress.getHostname() != null && !ingress.getHostname().isEmpty()) {
          out.add(ingress.getHostname());
        }
      }
    }
    if (k.getSpec().getExternalIPs() != null) {
      out.addAll(k.getSpec().getExternalIPs());
    }
    return out;
  }

  /**
   * Istio's rule: {@code appProtocol} wins, then the port name's prefix ({@code grpc-web}, {@code
   * http2-foo}), then the transport (UDP); otherwise unknown (to be sniffed).
   */
  static Protocol protocol(String appProtocol, String portName, String transport) {
    if (appProtocol != null && !appProtocol.isEmpty()) {
      String a = appProtocol.toLowerCase(Locale.ROOT);
      switch (a) {
        case "kubernetes.io/h2c":
          return Protocol.HTTP2;
        case "kubernetes.io/ws":
        case "kubernetes.io/wss":
          return Protocol.HTTP;
        default:
          Protocol p = Protocol.parse(a);
          if (p != Protocol.UNSUPPORTED) {
            return p;
          }
      }
    }
    Protocol byName = Protocol.fromPortName(portName);
    if (byName != Protocol.UNSUPPORTED) {
      return byName;
    }
    return "UDP".equals(transport) ? Protocol.UDP : Protocol.UNSUPPORTED;
  }

  static Set<String> exportTo(Map<String, String> annotations) {
    if (annotations == null || !annotations.containsKey(EXPORT_TO)) {
      return Set.of();
    }
    Set<String> out = new LinkedHashSet<>();
    for (String ns : annotations.get(EXPORT_TO).split(",")) {
      if (!ns.isBlank()) {
        out.add(ns.trim());
      }
    }
    return out;
  }

  /** The SPIFFE identity of a pod's service account. */
  static String serviceAccount(Pod pod, String trustDomain) {
    String sa = pod.getSpec() == null ? null : pod.getSpec().getServiceAccountName();
    if (sa == null || sa.isEmpty()) {
      sa = "default";
    }
    return "spiffe://" + trustDomain + "/ns/" + pod.getMetadata().getNamespace() + "/sa/" + sa;
  }
}
