package io.jistiod.pilot.networking;

import com.google.protobuf.Struct;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.EnvoyInternalAddress;
import io.envoyproxy.envoy.config.core.v3.HealthStatus;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.TrafficDistribution;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.MtlsMode;
import io.jistiod.pilot.security.PeerAuthentications;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Envoy endpoints of one service port as istiod writes them, for EDS and for the load assignment of
 * DNS clusters: grouped by locality (sorted), each endpoint with its weight, health and the
 * metadata Envoy and Istio's telemetry read: {@code envoy.transport_socket_match: {tlsMode: istio}}
 * when the endpoint has a sidecar and mTLS is not turned off for it (by the DestinationRule or the
 * workload's PeerAuthentication), and {@code istio.workload} ({@code name;namespace;canonical
 * service;canonical revision;cluster}).
 */
public final class EnvoyEndpoints {
  private EnvoyEndpoints() {}

  /** The pod label pilot-agent's injection sets on workloads that have a sidecar. */
  public static final String TLS_MODE_LABEL = "security.istio.io/tlsMode";

  /** The cluster id istiod reports for its own registry (pilot-discovery's default). */
  public static final String CLUSTER_ID = "Kubernetes";

  /** Metadata key Envoy matches transport_socket_matches against. */
  public static final String TRANSPORT_SOCKET_MATCH = "envoy.transport_socket_match";

  /**
   * The locality groups of {@code service}'s endpoints on {@code port} that carry all of {@code
   * subsetLabels}, healthy ones only.
   *
   * @param rule the DestinationRule for the service, or null; its TLS mode for this cluster decides
   *     whether endpoints are marked for mTLS
   * @param ipOnly drop endpoints whose address is not an IP (EDS cannot resolve names)
   * @param hboneClient whether the client may tunnel over HBONE ({@link
   *     AmbientInterop#clientTunnels}): then endpoints that take HBONE and not Istio mTLS are
   *     reached through its {@code connect_originate} listener
   */
  public static List<LocalityLoadBalancing.Group> groups(
      PushContext push,
      Service service,
      int port,
      String subset,
      Map<String, String> subsetLabels,
      DestinationRule rule,
      boolean ipOnly,
      boolean hboneClient) {
    ClientTLSSettings.TLSmode drMode = tlsModeOf(rule, subset, port);
    AmbientInterop ambient = hboneClient ? AmbientInterop.of(push) : AmbientInterop.OFF;
    boolean external = ServiceAttributes.EXTERNAL.equals(service.attributes().registry());
    boolean sendUnhealthy = sendsUnhealthy(service);
    Map<String, List<Endpoint>> byLocality = new TreeMap<>();
    for (Endpoint e : push.endpoints(service, port)) {
      if ((!e.healthy() && (!sendUnhealthy || e.terminating()))
          || !e.matches(subsetLabels)
          || (ipOnly && !isIp(e.address()))) {
        continue;
      }
      byLocality.computeIfAbsent(label(e.locality()), l -> new ArrayList<>()).add(e);
    }
    List<LocalityLoadBalancing.Group> out = new ArrayList<>();
    for (List<Endpoint> endpoints : byLocality.values()) {
      endpoints.sort(Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port));
      LocalityLbEndpoints.Builder group =
          LocalityLbEndpoints.newBuilder().setLocality(locality(endpoints.get(0)));
      long total = 0;
      for (Endpoint e : endpoints) {
        total += e.weight();
        LbEndpoint lb = lbEndpoint(e, external, mtlsEnabled(push, e, drMode));
        group.addLbEndpoints(ambient.tunnels(e) ? tunneled(lb, e.address(), e.port(), null) : lb);
      }
      group.setLoadBalancingWeight(UInt32Value.of((int) Math.min(total, 0xFFFFFFFFL)));
      out.add(new LocalityLoadBalancing.Group(group, endpoints));
    }
    return out;
  }

  /**
   * Whether proxies get the service's unready endpoints too, marked unhealthy, as istiod sends them
   * for a Service with a traffic distribution: failing over by locality needs to know how many
   * endpoints of each locality are healthy, without an outlier detection rule to find out.
   */
  public static boolean sendsUnhealthy(Service service) {
    return service.attributes().trafficDistribution() != TrafficDistribution.ANY;
  }

  /**
   * Whether the client is to send Istio mTLS to {@code e}, as istiod's EDS decides: the
   * DestinationRule's TLS mode when it sets one (ISTIO_MUTUAL or not), else only to a workload with
   * a sidecar whose PeerAuthentication for that port is not DISABLE.
   */
  static boolean mtlsEnabled(PushContext push, Endpoint e, ClientTLSSettings.TLSmode drMode) {
    if (drMode != null) {
      return drMode == ClientTLSSettings.TLSmode.ISTIO_MUTUAL;
    }
    if (!"istio".equals(e.tlsMode())) {
      return false;
    }
    return PeerAuthentications.workloadMode(push, e.namespace(), e.labels(), e.port())
        != MtlsMode.DISABLE;
  }

  static LbEndpoint lbEndpoint(Endpoint e, boolean external, boolean mtlsEnabled) {
    LbEndpoint.Builder b =
        LbEndpoint.newBuilder()
            .setEndpoint(
                io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                    .setAddress(
                        Address.newBuilder()
                            .setSocketAddress(
                                SocketAddress.newBuilder()
                                    .setAddress(e.address())
                                    .setPortValue(e.port()))))
            .setLoadBalancingWeight(UInt32Value.of(e.weight()));
    if (!e.healthy()) {
      b.setHealthStatus(HealthStatus.UNHEALTHY); // only where the service sends unready ones
    } else if (e.healthKnown()) {
      // pods carry their readiness; ServiceEntry endpoints and WorkloadEntries have none (UNKNOWN)
      b.setHealthStatus(HealthStatus.HEALTHY);
    }
    Metadata.Builder md = Metadata.newBuilder();
    // the workload's own label value is what the cluster's socket matches compare against; a
    // workload without a sidecar ("disabled" or no label) is never marked
    String tlsMode = e.tlsMode();
    if (mtlsEnabled && !tlsMode.isEmpty() && !tlsMode.equals("disabled")) {
      md.putFilterMetadata(
          TRANSPORT_SOCKET_MATCH,
          Struct.newBuilder().putFields("tlsMode", string(tlsMode)).build());
    }
    md.putFilterMetadata(
        "istio", Struct.newBuilder().putFields("workload", string(workload(e, external))).build());
    return b.setMetadata(md).build();
  }

  /** The internal listener that originates HBONE on sidecars and gateways. */
  public static final String CONNECT_ORIGINATE = "connect_originate";

  /** Filter metadata the original destination listener filter of an internal listener reads. */
  public static final String ORIGINAL_DST = "envoy.filters.listener.original_dst";

  /**
   * {@code lb} sent through the {@code connect_originate} internal listener instead: the endpoint
   * is the internal address named by where the tunnel goes (the waypoint, else the destination),
   * the original destination metadata carries the destination behind the tunnel ({@code local},
   * what policy and telemetry see) and the waypoint, and the transport socket match picks the
   * cluster's {@code hbone} socket.
   *
   * @param waypoint {@code IP:port} of the waypoint that takes the tunnel, or null
   */
  public static LbEndpoint tunneled(LbEndpoint lb, String address, int port, String waypoint) {
    String local = hostPort(address, port);
    Struct.Builder dst = Struct.newBuilder().putFields("local", string(local));
    if (waypoint != null) {
      dst.putFields("waypoint", string(waypoint));
    }
    Metadata.Builder md =
        lb.getMetadata().toBuilder()
            .putFilterMetadata(ORIGINAL_DST, dst.build())
            .putFilterMetadata(
                TRANSPORT_SOCKET_MATCH,
                Struct.newBuilder().putFields("tunnel", string("http")).build());
    return lb.toBuilder()
        .setEndpoint(
            io.envoyproxy.envoy.config.endpoint.v3.Endpoint.newBuilder()
                .setAddress(
                    Address.newBuilder()
                        .setEnvoyInternalAddress(
                            EnvoyInternalAddress.newBuilder()
                                .setServerListenerName(CONNECT_ORIGINATE)
                                .setEndpointId(waypoint != null ? waypoint : local))))
        .setMetadata(md)
        .build();
  }

  /** {@code host:port}, an IPv6 host in brackets (Go's net.JoinHostPort). */
  public static String hostPort(String host, int port) {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }

  /** {@code name;namespace;canonical-name;canonical-revision;cluster}, as istiod compresses it. */
  static String workload(Endpoint e, boolean external) {
    Map<String, String> labels = e.labels();
    String name = e.workloadName();
    // inline ServiceEntry endpoints belong to no workload, not even a namespace
    String namespace = external && name.isEmpty() ? "" : e.namespace();
    String canonicalName =
        first(labels, name, "service.istio.io/canonical-name", "app.kubernetes.io/name", "app");
    String canonicalRevision =
        first(
            labels,
            "latest",
            "service.istio.io/canonical-revision",
            "app.kubernetes.io/version",
            "version");
    if (canonicalRevision.equals("latest")) {
      canonicalRevision = "";
    }
    return name
        + ";"
        + namespace
        + ";"
        + canonicalName
        + ";"
        + canonicalRevision
        + ";"
        + CLUSTER_ID;
  }

  private static String first(Map<String, String> labels, String fallback, String... keys) {
    for (String k : keys) {
      String v = labels.get(k);
      if (v != null && !v.isEmpty()) {
        return v;
      }
    }
    return fallback;
  }

  /**
   * The TLS mode a DestinationRule sets for one cluster, as istiod's EDS reads it: the rule's
   * (port-level first) for the default cluster, the subset's own (port-level first) for a subset.
   * Null if it sets none.
   */
  static ClientTLSSettings.TLSmode tlsModeOf(DestinationRule rule, String subset, int port) {
    if (rule == null) {
      return null;
    }
    TrafficPolicy policy = null;
    if (subset.isEmpty()) {
      policy = rule.hasTrafficPolicy() ? rule.getTrafficPolicy() : null;
    } else {
      for (var s : rule.getSubsetsList()) {
        if (s.getName().equals(subset)) {
          policy = s.hasTrafficPolicy() ? s.getTrafficPolicy() : null;
          break;
        }
      }
    }
    if (policy == null) {
      return null;
    }
    ClientTLSSettings.TLSmode mode = policy.hasTls() ? policy.getTls().getMode() : null;
    for (var pls : policy.getPortLevelSettingsList()) {
      if (pls.getPort().getNumber() == port && pls.hasTls()) {
        mode = pls.getTls().getMode();
        break;
      }
    }
    return mode;
  }

  /** Whether the endpoint at {@code index} of a group is marked for Istio mTLS. */
  public static boolean isMtls(LbEndpoint e) {
    Struct s = e.getMetadata().getFilterMetadataMap().get(TRANSPORT_SOCKET_MATCH);
    return s != null
        && "istio".equals(s.getFieldsOrDefault("tlsMode", string("")).getStringValue());
  }

  /** The endpoint's locality, in Envoy's form. */
  static io.envoyproxy.envoy.config.core.v3.Locality locality(Endpoint e) {
    Locality l = e.locality();
    return io.envoyproxy.envoy.config.core.v3.Locality.newBuilder()
        .setRegion(l.region())
        .setZone(l.zone())
        .setSubZone(l.subzone())
        .build();
  }

  static String label(Locality l) {
    if (l.region().isEmpty() && l.zone().isEmpty() && l.subzone().isEmpty()) {
      return "";
    }
    return l.toString();
  }

  private static Value string(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** A literal IPv4 or IPv6 address (never a DNS lookup). */
  static boolean isIp(String s) {
    if (s.isEmpty()) {
      return false;
    }
    if (s.indexOf(':') >= 0) {
      return s.chars().allMatch(ch -> Character.digit(ch, 16) >= 0 || ch == ':' || ch == '.');
    }
    String[] octets = s.split("\\.", -1);
    if (octets.length != 4) {
      return false;
    }
    for (String o : octets) {
      if (o.isEmpty() || o.length() > 3 || !o.chars().allMatch(Character::isDigit)) {
        return false;
      }
      if (Integer.parseInt(o) > 255) {
        return false;
      }
    }
    return true;
  }
}
