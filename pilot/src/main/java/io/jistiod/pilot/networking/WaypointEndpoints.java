package io.jistiod.pilot.networking;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.pilot.api.workload.Address.TypeCase;
import io.jistiod.pilot.api.workload.TunnelProtocol;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.PushContext;
import java.util.List;
import java.util.Map;

/**
 * The endpoints of a waypoint's {@code inbound-vip|PORT|SUBSET|HOST} clusters, as istiod 1.27 sends
 * them: the service's healthy pods for that port, each reached over HBONE through the internal
 * listener {@code connect_originate} (endpoint id {@code IP:PORT}, the pod's address in the {@code
 * envoy.filters.listener.original_dst} metadata as {@code local}), or directly when the pod speaks
 * no HBONE (not in ambient, no waypoint label, no tunnel label).
 */
public final class WaypointEndpoints {
  /** The prefix of the clusters this class serves. */
  public static final String PREFIX = "inbound-vip|";

  private static final String ORIGINAL_DST_KEY = "envoy.filters.listener.original_dst";
  private static final String CONNECT_ORIGINATE = "connect_originate";
  private static final String MANAGED_LABEL = "gateway.istio.io/managed";
  private static final String TUNNEL_LABEL = "networking.istio.io/tunnel";

  private WaypointEndpoints() {}

  /** The assignment of {@code name}; empty for a name or service that does not exist. */
  public static ClusterLoadAssignment assignment(String name, Proxy proxy, PushContext push) {
    ClusterLoadAssignment.Builder cla = ClusterLoadAssignment.newBuilder().setClusterName(name);
    String[] parts = name.split("\\|", -1);
    if (parts.length != 4) {
      return cla.build();
    }
    int port;
    try {
      port = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      return cla.build();
    }
    Service service = push.service(parts[3]).orElse(null);
    if (service == null || service.port(port).isEmpty()) {
      return cla.build();
    }
    // "http/v1" -> the DestinationRule subset "v1"
    String subsetName = parts[2];
    int slash = subsetName.indexOf('/');
    subsetName = slash < 0 ? "" : subsetName.substring(slash + 1);
    DestinationRule rule =
        push.destinationRuleFor(proxy, service.hostname()).map(r -> r.spec()).orElse(null);
    Map<String, String> subsetLabels = Map.of();
    if (!subsetName.isEmpty()) {
      Subset subset = null;
      if (rule != null) {
        for (Subset s : rule.getSubsetsList()) {
          if (s.getName().equals(subsetName)) {
            subset = s;
            break;
          }
        }
      }
      if (subset == null) {
        return cla.build();
      }
      subsetLabels = subset.getLabelsMap();
    }
    List<LocalityLoadBalancing.Group> groups =
        EnvoyEndpoints.groups(push, service, port, subsetName, subsetLabels, rule, true, false);
    String network = proxy.metadata().network() == null ? "" : proxy.metadata().network();
    for (LocalityLoadBalancing.Group g : groups) {
      LocalityLbEndpoints.Builder b = g.envoy();
      for (int i = 0; i < g.endpoints().size(); i++) {
        Endpoint e = g.endpoints().get(i);
        if (supportsTunnel(push, network, e)) {
          b.setLbEndpoints(i, tunnelled(b.getLbEndpoints(i), e));
        }
      }
      cla.addEndpoints(b);
    }
    return cla.build();
  }

  /** Whether the endpoint takes HBONE: a waypoint, a tunnel-capable pod, or one in ambient. */
  static boolean supportsTunnel(PushContext push, String network, Endpoint e) {
    if ("istio.io-mesh-controller".equals(e.labels().get(MANAGED_LABEL))) {
      return true;
    }
    String tunnel = e.labels().get(TUNNEL_LABEL);
    if (tunnel != null && List.of(tunnel.split(",")).contains("http")) {
      return true;
    }
    for (var r : push.addresses().lookup(network + "/" + e.address())) {
      var a = push.addresses().address(r.name());
      if (a != null
          && a.getTypeCase() == TypeCase.WORKLOAD
          && a.getWorkload().getTunnelProtocol() == TunnelProtocol.HBONE) {
        return true;
      }
    }
    return false;
  }

  private static LbEndpoint tunnelled(LbEndpoint plain, Endpoint e) {
    String target = hostPort(e.address(), e.port());
    LbEndpoint.Builder b = plain.toBuilder();
    b.getEndpointBuilder()
        .setAddress(
            Address.newBuilder()
                .setEnvoyInternalAddress(
                    EnvoyInternalAddress.newBuilder()
                        .setServerListenerName(CONNECT_ORIGINATE)
                        .setEndpointId(target)));
    b.getMetadataBuilder()
        .putFilterMetadata(
            ORIGINAL_DST_KEY,
            Struct.newBuilder()
                .putFields("local", Value.newBuilder().setStringValue(target).build())
                .build());
    return b.build();
  }

  private static String hostPort(String ip, int port) {
    return ip.indexOf(':') >= 0 ? "[" + ip + "]:" + port : ip + ":" + port;
  }
}
