package io.jistiod.pilot.ingress;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.jistiod.galley.api.ingress.v1.IngressLoadBalancerIngress;
import io.jistiod.galley.api.ingress.v1.IngressLoadBalancerStatus;
import io.jistiod.galley.api.ingress.v1.IngressStatus;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.config.Config;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The status istiod writes on the Ingresses it serves: the ingress gateway's addresses as load
 * balancer ingress points. They come from the mesh config's {@code ingressService} in {@code
 * K8S_INGRESS_NS} (its external name, or its load balancer addresses and external IPs); without
 * one, from the external IPs of the node of the first running ingress gateway pod there.
 */
public final class IngressStatuses {
  private static final Pattern IPV4 =
      Pattern.compile(
          "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");

  /** An Ingress and the whole status it should have. */
  public record Update(Config ingress, IngressStatus status) {
    public Update {
      Objects.requireNonNull(ingress, "ingress");
      Objects.requireNonNull(status, "status");
    }
  }

  private IngressStatuses() {}

  /**
   * The ingress gateway's addresses, as istiod finds them.
   *
   * @param services the Services of the watched namespaces
   * @param pods the pods of the watched namespaces
   * @param nodes every node
   */
  public static List<String> addresses(
      MeshConfig mesh,
      IngressOptions options,
      List<Service> services,
      List<Pod> pods,
      List<Node> nodes) {
    String ns = options.ingressNamespace();
    String name = mesh.getIngressService();
    if (!name.isEmpty()) {
      Service svc =
          services.stream()
              .filter(
                  s ->
                      ns.equals(s.getMetadata().getNamespace())
                          && name.equals(s.getMetadata().getName()))
              .findFirst()
              .orElse(null);
      if (svc == null) {
        return List.of();
      }
      if ("ExternalName".equals(svc.getSpec().getType())) {
        return List.of(Objects.requireNonNullElse(svc.getSpec().getExternalName(), ""));
      }
      List<String> out = new ArrayList<>();
      if (svc.getStatus() != null
          && svc.getStatus().getLoadBalancer() != null
          && svc.getStatus().getLoadBalancer().getIngress() != null) {
        for (var lb : svc.getStatus().getLoadBalancer().getIngress()) {
          boolean noIp = lb.getIp() == null || lb.getIp().isEmpty();
          out.add(noIp ? Objects.requireNonNullElse(lb.getHostname(), "") : lb.getIp());
        }
      }
      if (svc.getSpec().getExternalIPs() != null) {
        out.addAll(svc.getSpec().getExternalIPs());
      }
      return out;
    }
    Map<String, String> selector = IngressGateways.selector(mesh);
    List<Pod> gatewayPods =
        pods.stream()
            .filter(p -> ns.equals(p.getMetadata().getNamespace()))
            .filter(p -> labelsMatch(p.getMetadata().getLabels(), selector))
            .sorted(Comparator.comparing(p -> p.getMetadata().getName()))
            .toList();
    for (Pod pod : gatewayPods) {
      if (pod.getStatus() == null || !"Running".equals(pod.getStatus().getPhase())) {
        continue;
      }
      String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
      Node node =
          nodes.stream()
              .filter(n -> n.getMetadata().getName().equals(nodeName))
              .findFirst()
              .orElse(null);
      if (node == null) {
        continue;
      }
      // the first running pod on a known node decides, even if its node has no external IP
      List<String> out = new ArrayList<>();
      if (node.getStatus() != null && node.getStatus().getAddresses() != null) {
        for (NodeAddress a : node.getStatus().getAddresses()) {
          if ("ExternalIP".equals(a.getType())
              && a.getAddress() != null
              && !a.getAddress().isEmpty()
              && !out.contains(a.getAddress())) {
            out.add(a.getAddress());
          }
        }
      }
      return out;
    }
    return List.of();
  }

  private static boolean labelsMatch(Map<String, String> labels, Map<String, String> selector) {
    return labels != null && labels.entrySet().containsAll(selector.entrySet());
  }

  /** The status for {@code addresses}: IPs as {@code ip}, others as {@code hostname}, sorted. */
  public static IngressStatus status(List<String> addresses) {
    List<IngressLoadBalancerIngress> points = new ArrayList<>();
    for (String a : addresses) {
      points.add(
          isIp(a)
              ? IngressLoadBalancerIngress.newBuilder().setIp(a).build()
              : IngressLoadBalancerIngress.newBuilder().setHostname(a).build());
    }
    points.sort(
        Comparator.comparing(IngressLoadBalancerIngress::getHostname)
            .thenComparing(IngressLoadBalancerIngress::getIp));
    return IngressStatus.newBuilder()
        .setLoadBalancer(IngressLoadBalancerStatus.newBuilder().addAllIngress(points))
        .build();
  }

  /** The served Ingresses whose status differs from {@code status}. */
  public static List<Update> updates(List<Config> served, IngressStatus status) {
    List<Update> out = new ArrayList<>();
    for (Config ingress : served) {
      IngressStatus current =
          ingress.status() instanceof IngressStatus s ? s : IngressStatus.getDefaultInstance();
      if (!current.equals(status)) {
        out.add(new Update(ingress, status));
      }
    }
    return out;
  }

  /** A literal IPv4 or IPv6 address. */
  static boolean isIp(String s) {
    if (IPV4.matcher(s).matches()) {
      return true;
    }
    return s.indexOf(':') >= 0
        && s.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.');
  }
}
