package io.jistiod.galley.validation;

import io.jistiod.galley.api.networking.v1alpha3.CaptureMode;
import io.jistiod.galley.api.networking.v1alpha3.IstioEgressListener;
import io.jistiod.galley.api.networking.v1alpha3.IstioIngressListener;
import io.jistiod.galley.api.networking.v1alpha3.OutboundTrafficPolicy;
import io.jistiod.galley.api.networking.v1alpha3.ServerTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.SidecarPort;
import io.jistiod.galley.config.Config;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Istio's rules for Sidecar. */
final class SidecarValidator implements ConfigValidator {
  @Override
  public List<ValidationMessage> validate(Config config) {
    Sidecar sc = config.spec(Sidecar.class);
    Findings f = new Findings();
    if (sc.hasWorkloadSelector()) {
      Labels.selector(
          true, sc.getWorkloadSelector().getLabelsMap(), "spec.workloadSelector", "labels", f);
    }
    if (sc.getEgressCount() == 0
        && sc.getIngressCount() == 0
        && !sc.hasOutboundTrafficPolicy()
        && !sc.hasInboundConnectionPool()) {
      f.error(
          "spec",
          "empty Sidecar: set ingress, egress, outboundTrafficPolicy or inboundConnectionPool");
      return f.messages();
    }
    Set<Integer> ingressPorts = new HashSet<>();
    for (int i = 0; i < sc.getIngressCount(); i++) {
      Deadline.check();
      ingress(sc.getIngress(i), "spec.ingress[" + i + "]", ingressPorts, f);
    }
    if (sc.hasInboundConnectionPool()) {
      TrafficPolicies.connectionPool(
          sc.getInboundConnectionPool(), "spec.inboundConnectionPool", f);
    }
    Set<Integer> egressPorts = new HashSet<>();
    Set<String> sockets = new HashSet<>();
    boolean catchAll = false;
    for (int i = 0; i < sc.getEgressCount(); i++) {
      Deadline.check();
      IstioEgressListener e = sc.getEgress(i);
      String path = "spec.egress[" + i + "]";
      if (!e.hasPort()) {
        if (catchAll) {
          f.error(path, "only one egress listener may omit the port (the catch-all)");
          continue;
        }
        if (i == sc.getEgressCount() - 1) {
          catchAll = true;
        } else {
          f.error(path, "the egress listener without a port (the catch-all) must be the last one");
        }
      } else {
        SidecarPort port = e.getPort();
        if (port.getTargetPort() != 0) {
          f.error(path + ".port.targetPort", "targetPort has no effect on sidecars");
        }
        egressPort(e, path, f);
        if (port.getNumber() == 0) {
          if (!sockets.add(e.getBind())) {
            f.error(path + ".bind", "unix domain socket binds of listeners must be unique");
          }
        } else if (!egressPorts.add(port.getNumber())) {
          f.error(path + ".port.number", "ports of IP-bound listeners must be unique");
        }
      }
      egressHosts(config.namespace(), e, path, f);
    }
    if (sc.hasOutboundTrafficPolicy()) {
      outbound(sc.getOutboundTrafficPolicy(), "spec.outboundTrafficPolicy", f);
    }
    return f.messages();
  }

  private static void ingress(
      IstioIngressListener in, String path, Set<Integer> ports, Findings f) {
    if (!in.hasPort()) {
      f.error(path + ".port", "an ingress listener needs a port");
      return;
    }
    SidecarPort port = in.getPort();
    if (port.getTargetPort() != 0) {
      f.error(path + ".port.targetPort", "targetPort has no effect on sidecars");
    }
    if (!port.getName().isEmpty()) {
      Ports.name(port.getName(), path + ".port.name", f);
    }
    Ports.protocol(port.getProtocol(), path + ".port.protocol", f);
    Ports.number(Integer.toUnsignedLong(port.getNumber()), path + ".port.number", f);
    if (!in.getBind().isEmpty() && !Ips.isAddress(in.getBind())) {
      f.error(path + ".bind", "\"" + in.getBind() + "\" is not a valid IP address");
    }
    if (!ports.add(port.getNumber())) {
      f.error(path + ".port.number", "ports of IP-bound listeners must be unique");
    }
    if (!in.getDefaultEndpoint().isEmpty()) {
      defaultEndpoint(in.getDefaultEndpoint(), path + ".defaultEndpoint", f);
    }
    if (in.hasTls()) {
      ServerTLSSettings tls = in.getTls();
      String tp = path + ".tls";
      if (tls.getSubjectAltNamesCount() > 0) {
        f.error(tp + ".subjectAltNames", "subjectAltNames is not supported in sidecar ingress TLS");
      }
      if (tls.getHttpsRedirect()) {
        f.error(tp + ".httpsRedirect", "httpsRedirect is not supported in sidecar ingress TLS");
      }
      if (!tls.getCredentialName().isEmpty()) {
        f.error(tp + ".credentialName", "credentialName is not supported in sidecar ingress TLS");
      }
      if (tls.getCredentialNamesCount() > 0) {
        f.error(tp + ".credentialNames", "credentialNames is not supported in sidecar ingress TLS");
      }
      if (tls.getTlsCertificatesCount() > 0) {
        f.error(tp + ".tlsCertificates", "tlsCertificates is not supported in sidecar ingress TLS");
      }
      if (tls.getMode() == ServerTLSSettings.TLSmode.ISTIO_MUTUAL
          || tls.getMode() == ServerTLSSettings.TLSmode.AUTO_PASSTHROUGH) {
        f.error(tp + ".mode", "mode " + tls.getMode() + " is not allowed in sidecar ingress TLS");
      }
      if (!Protocols.parse(port.getProtocol()).isTls()) {
        f.error(tp, "only HTTPS and TLS ports can have TLS settings");
      }
      ServerTls.check(tls, tp, f);
    }
    if (in.hasConnectionPool()) {
      TrafficPolicies.connectionPool(in.getConnectionPool(), path + ".connectionPool", f);
      if (in.getConnectionPool().hasHttp() && !Protocols.parse(port.getProtocol()).isHttp()) {
        f.warning(
            path + ".connectionPool.http",
            "HTTP connection pool settings on port "
                + Integer.toUnsignedLong(port.getNumber())
                + " (protocol \""
                + port.getProtocol()
                + "\") have no effect: only the TCP settings apply");
      }
    }
  }

  /**
   * {@code 127.0.0.1:PORT}, {@code 0.0.0.0:PORT}, {@code [::1]:PORT}, {@code [::]:PORT}, {@code
   * :PORT} or unix://.
   */
  private static void defaultEndpoint(String ep, String path, Findings f) {
    if (ep.startsWith(Common.UNIX_PREFIX)) {
      f.errorIf(path, Common.unixAddressProblem(ep.substring(Common.UNIX_PREFIX.length())));
      return;
    }
    String[] hostPort = splitHostPort(ep);
    String host = "";
    String port = "";
    if (hostPort == null) {
      f.error(path, "\"" + ep + "\" is not of the form host:port");
    } else {
      host = hostPort[0];
      port = hostPort[1];
    }
    if (!host.isEmpty()
        && !host.equals("127.0.0.1")
        && !host.equals("0.0.0.0")
        && !host.equals("::1")
        && !host.equals("::")) {
      f.error(
          path,
          "defaultEndpoint must be 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>,"
              + " unix://<path> or unset");
    }
    int n = VirtualServiceValidator.goAtoi(port);
    if (n == 0 && !port.equals("0") && !port.matches("[+-]?0+")) {
      f.error(path, "defaultEndpoint port \"" + port + "\" is not a number");
    } else {
      Ports.number(n, path, f);
    }
  }

  /** Go's net.SplitHostPort: host:port or [host]:port; null if malformed. */
  static String[] splitHostPort(String s) {
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      return null;
    }
    String host;
    if (s.startsWith("[")) {
      int end = s.indexOf(']');
      if (end < 0 || end + 1 != colon) {
        return null;
      }
      host = s.substring(1, end);
      if (s.indexOf('[', 1) >= 0 || s.indexOf(']', end + 1) >= 0) {
        return null;
      }
    } else {
      host = s.substring(0, colon);
      if (host.indexOf(':') >= 0 || host.indexOf('[') >= 0 || host.indexOf(']') >= 0) {
        return null;
      }
      if (s.indexOf(']') >= 0) {
        return null;
      }
    }
    return new String[] {host, s.substring(colon + 1)};
  }

  private static void egressPort(IstioEgressListener e, String path, Findings f) {
    SidecarPort port = e.getPort();
    String bind = e.getBind();
    if (!port.getName().isEmpty()) {
      Ports.name(port.getName(), path + ".port.name", f);
    }
    Ports.protocol(port.getProtocol(), path + ".port.protocol", f);
    if (port.getNumber() == 0) {
      if (!bind.startsWith(Common.UNIX_PREFIX)) {
        f.error(path + ".bind", "a listener with port 0 needs a unix domain socket bind (unix://)");
      } else {
        f.errorIf(
            path + ".bind", Common.unixAddressProblem(bind.substring(Common.UNIX_PREFIX.length())));
      }
      if (e.getCaptureMode() != CaptureMode.DEFAULT && e.getCaptureMode() != CaptureMode.NONE) {
        f.error(
            path + ".captureMode", "unix domain socket listeners need captureMode DEFAULT or NONE");
      }
    } else {
      Ports.number(Integer.toUnsignedLong(port.getNumber()), path + ".port.number", f);
      if (!bind.isEmpty() && !Ips.isAddress(bind)) {
        f.error(path + ".bind", "\"" + bind + "\" is not a valid IP address");
      }
    }
  }

  private static void egressHosts(
      String namespace, IstioEgressListener e, String path, Findings f) {
    if (e.getHostsCount() == 0) {
      f.error(path + ".hosts", "an egress listener needs at least one host");
      return;
    }
    Map<String, Set<String>> byNamespace = new HashMap<>();
    for (int i = 0; i < e.getHostsCount(); i++) {
      Deadline.check();
      String h = e.getHosts(i);
      String where = Findings.at(path + ".hosts", i);
      int slash = h.indexOf('/');
      if (slash >= 0 && !h.startsWith("~")) {
        String ns = h.substring(0, slash);
        String svc = h.substring(slash + 1);
        if (ns.equals(".")) {
          ns = namespace;
        }
        Set<String> svcs = byNamespace.computeIfAbsent(ns, k -> new HashSet<>());
        if (!svc.equals("*")) {
          if (svcs.contains(svc) || svcs.contains("*")) {
            f.warning(where, "duplicate egress host \"" + h + "\"");
          }
        } else if (!svcs.isEmpty()) {
          f.warning(where, "duplicate egress host \"" + h + "\"");
        }
        svcs.add(svc);
      }
      f.errorIf(where, Hosts.namespacedHostProblem(h, false));
    }
    if (byNamespace.getOrDefault("*", Set.of()).contains("*") && byNamespace.size() != 1) {
      f.warning(path + ".hosts", "\"*/*\" already selects every host; the other hosts add nothing");
    }
  }

  private static void outbound(OutboundTrafficPolicy p, String path, Findings f) {
    if (!p.hasEgressProxy()) {
      return;
    }
    if (p.getMode() != OutboundTrafficPolicy.Mode.ALLOW_ANY) {
      f.error(path + ".egressProxy", "egressProxy needs mode ALLOW_ANY");
      return;
    }
    var proxy = p.getEgressProxy();
    f.errorIf(path + ".egressProxy.host", Hosts.fqdnProblem(proxy.getHost()));
    if (!proxy.hasPort()) {
      f.error(path + ".egressProxy.port", "egressProxy needs a port");
      return;
    }
    Common.destination(proxy, path + ".egressProxy", f);
  }
}
