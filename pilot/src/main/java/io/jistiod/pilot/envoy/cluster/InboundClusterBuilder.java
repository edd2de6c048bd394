package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.BindConfig;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.IstioIngressListener;
import io.jistiod.galley.api.networking.v1alpha3.Sidecar;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.TrafficPolicies;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushContext.ServiceTarget;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A sidecar's inbound clusters {@code inbound|PORT||}, one per port its workload serves. With
 * istiod's default inbound policy (PASSTHROUGH) they send to the original destination, bound to
 * 127.0.0.6 so iptables does not capture the sidecar's own traffic again; a Sidecar's ingress
 * {@code defaultEndpoint} makes them STATIC to that address instead. Only the connection pool of a
 * DestinationRule applies inbound, so the server can take what its clients were allowed to send.
 */
final class InboundClusterBuilder {
  /** Source address iptables exempts from interception. */
  static final String PASSTHROUGH_BIND = "127.0.0.6";

  /** istiod's "never": the largest duration Go can express, in whole seconds. */
  static final Duration NO_CLEANUP = Duration.newBuilder().setSeconds(9223372035L).build();

  private final PushContext push;
  private final Proxy proxy;
  private final MeshConfig mesh;

  InboundClusterBuilder(PushContext push, Proxy proxy) {
    this.push = push;
    this.proxy = proxy;
    this.mesh = push.meshConfig();
  }

  List<Cluster> build() {
    Sidecar sidecar = push.sidecarFor(proxy).map(c -> c.spec(Sidecar.class)).orElse(null);
    List<ServiceTarget> targets = push.serviceTargets(proxy);
    if (sidecar != null && sidecar.getIngressCount() > 0) {
      List<Cluster> out = new ArrayList<>();
      for (IstioIngressListener ingress : sidecar.getIngressList()) {
        Cluster c = fromIngress(ingress, targets);
        if (c != null) {
          out.add(c);
        }
      }
      return out;
    }
    if ("NONE".equals(metadata("INTERCEPTION_MODE"))) {
      return List.of(); // nothing is captured, so there is nothing to forward
    }
    Map<Integer, List<ServiceTarget>> byTargetPort = new TreeMap<>();
    for (ServiceTarget t : targets) {
      byTargetPort.computeIfAbsent(t.endpoint().port(), p -> new ArrayList<>()).add(t);
    }
    String bind =
        mesh.getInboundTrafficPolicy().getMode() == MeshConfig.InboundTrafficPolicy.Mode.LOCALHOST
            ? "127.0.0.1"
            : "";
    List<Cluster> out = new ArrayList<>();
    for (var e : byTargetPort.entrySet()) {
      List<ServiceTarget> group = e.getValue();
      ServiceTarget primary = group.get(0);
      Set<Service> services = new LinkedHashSet<>();
      for (ServiceTarget t : group) {
        if (t.port().port() == primary.port().port()) {
          services.add(t.service());
        }
      }
      out.add(
          cluster(
              e.getKey(),
              bind,
              e.getKey(),
              primary.port(),
              primary.service(),
              List.copyOf(services)));
    }
    return out;
  }

  private Cluster fromIngress(IstioIngressListener ingress, List<ServiceTarget> targets) {
    int listenPort = ingress.getPort().getNumber();
    String address = "";
    int port = 0;
    String endpoint = ingress.getDefaultEndpoint();
    if (endpoint.startsWith("unix://")) {
      address = endpoint;
    } else if (!endpoint.isEmpty()) {
      int colon = endpoint.lastIndexOf(':');
      if (colon < 0) {
        return null;
      }
      String host = endpoint.substring(0, colon);
      try {
        port = Integer.parseInt(endpoint.substring(colon + 1));
      } catch (NumberFormatException e) {
        return null;
      }
      switch (host) {
        case "0.0.0.0" ->
            address =
                proxy.ipAddresses().stream()
                    .filter(ip -> ip.indexOf(':') < 0)
                    .findFirst()
                    .orElse("127.0.0.1");
        case "[::]" ->
            address =
                proxy.ipAddresses().stream()
                    .filter(ip -> ip.indexOf(':') >= 0)
                    .findFirst()
                    .orElse("::1");
        case "127.0.0.1", "[::1]" -> address = "127.0.0.1";
        default -> address = "";
      }
    }
    ServicePort servicePort =
        new ServicePort(
            ingress.getPort().getName(),
            listenPort,
            Protocol.parse(ingress.getPort().getProtocol()));
    Service service = null;
    for (ServiceTarget t : targets) {
      if (t.endpoint().port() == listenPort) {
        service = t.service();
        break;
      }
    }
    // without a service behind the port there is no telemetry metadata, as in istiod
    List<Service> services = service == null ? List.of() : List.of(service);
    return cluster(listenPort, address, port, servicePort, service, services);
  }

  /**
   * @param bind where to send: "" = the original destination, else this address at {@code
   *     targetPort}
   */
  private Cluster cluster(
      int clusterPort,
      String bind,
      int targetPort,
      ServicePort port,
      Service service,
      List<Service> services) {
    String name = "inbound|" + clusterPort + "||";
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setCommonLbConfig(Cluster.CommonLbConfig.getDefaultInstance())
            .setAltStatName(name + ";");
    if (bind.isEmpty()) {
      c.setType(Cluster.DiscoveryType.ORIGINAL_DST).setCleanupInterval(NO_CLEANUP);
    } else {
      c.setType(Cluster.DiscoveryType.STATIC)
          .setLoadAssignment(
              ClusterLoadAssignment.newBuilder()
                  .setClusterName(name)
                  .addEndpoints(
                      LocalityLbEndpoints.newBuilder()
                          .addLbEndpoints(
                              LbEndpoint.newBuilder()
                                  .setEndpoint(
                                      io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                                          .setAddress(address(bind, targetPort))))));
    }
    ClusterDraft draft = new ClusterDraft(c);
    switch (port.protocol()) {
      case HTTP2, GRPC, GRPC_WEB -> draft.setHttp2();
      case UNSUPPORTED -> draft.setUseDownstreamProtocol();
      default -> {}
    }
    if (!services.isEmpty()) {
      ClusterMetadata.services(c, services);
    }
    ConnectionPoolSettings pool = null;
    if (service != null) {
      var rule = push.inboundDestinationRuleFor(proxy, service.hostname()).orElse(null);
      if (rule != null) {
        DestinationRule spec = rule.spec();
        if (spec.hasTrafficPolicy()) {
          TrafficPolicy policy =
              TrafficPolicies.portLevelOnly(spec.getTrafficPolicy(), port.port());
          pool = policy.hasConnectionPool() ? policy.getConnectionPool() : null;
          ClusterMetadata.destinationRule(c, rule.config());
        }
      }
    }
    // the Sidecar's inbound pool settles what the rules cannot (several services on one port)
    ConnectionPoolSettings sidecarPool = sidecarPool(clusterPort);
    if (sidecarPool != null) {
      pool = sidecarPool;
    }
    ClusterPolicies.applyConnectionPool(mesh, draft, pool, null);
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
    }
    if (!bind.equals("127.0.0.1") && !bind.equals("::1")) {
      c.setUpstreamBindConfig(
          BindConfig.newBuilder().setSourceAddress(socket(PASSTHROUGH_BIND, 0)));
    }
    return draft.build();
  }

  /** The Sidecar ingress listener's pool for the port, else the Sidecar's inbound pool. */
  private ConnectionPoolSettings sidecarPool(int port) {
    Sidecar sidecar = push.sidecarFor(proxy).map(c -> c.spec(Sidecar.class)).orElse(null);
    if (sidecar == null) {
      return null;
    }
    for (IstioIngressListener in : sidecar.getIngressList()) {
      if (in.getPort().getNumber() == port && in.hasConnectionPool()) {
        return in.getConnectionPool();
      }
    }
    return sidecar.hasInboundConnectionPool() ? sidecar.getInboundConnectionPool() : null;
  }

  private static Address address(String host, int port) {
    if (host.startsWith("unix://")) {
      return Address.newBuilder()
          .setPipe(
              io.envoyproxy.envoy.config.core.v3.Pipe.newBuilder()
                  .setPath(host.substring("unix://".length())))
          .build();
    }
    return Address.newBuilder().setSocketAddress(socket(host, port)).build();
  }

  static SocketAddress socket(String host, int port) {
    return SocketAddress.newBuilder().setAddress(host).setPortValue(port).build();
  }

  private String metadata(String key) {
    var v = proxy.metadata().raw().getFieldsMap().get(key);
    return v == null ? "" : v.getStringValue();
  }
}
