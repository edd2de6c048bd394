package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.TransportSocket;
import io.envoyproxy.envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport;
import io.envoyproxy.envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer;
import io.envoyproxy.envoy.type.matcher.v3.StringMatcher;
import io.envoyproxy.envoy.type.metadata.v3.MetadataKind;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.envoy.waypoint.MeshRouteDestinations;
import io.jistiod.pilot.envoy.waypoint.WaypointNames;
import io.jistiod.pilot.envoy.waypoint.WaypointScope;
import io.jistiod.pilot.model.Protocol;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.TrafficPolicies;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.ServiceIdentities;
import java.util.ArrayList;
import java.util.List;

/**
 * A waypoint proxy's clusters, as istiod 1.27 builds them: {@code main_internal} (to the internal
 * listener that dispatches by VIP), {@code encap} (to the {@code connect_originate} listener), per
 * served service port {@code inbound-vip|PORT|tcp|HOST} and/or {@code inbound-vip|PORT|http|HOST}
 * (plus one per DestinationRule subset, {@code http/SUBSET}), whose EDS endpoints are the service's
 * pods reached through {@code connect_originate}, and {@code connect_originate} itself: HBONE
 * (HTTP/2 CONNECT over mTLS) to the original destination's port 15008.
 */
public final class WaypointClusters {
  private static final String ORIGINAL_DST_KEY = "envoy.filters.listener.original_dst";

  private WaypointClusters() {}

  /** The clusters of {@code proxy}, in istiod's order. */
  public static List<Cluster> build(Proxy proxy, PushContext push) {
    WaypointScope scope = WaypointScope.of(proxy, push);
    MeshConfig mesh = push.meshConfig();
    List<Cluster> out = new ArrayList<>();
    out.add(InternalClusters.mainInternal());
    out.add(InternalClusters.to(WaypointNames.ENCAP, WaypointNames.CONNECT_ORIGINATE));
    for (Service s : scope.services().values()) {
      out.addAll(inboundVip(proxy, push, s));
    }
    out.add(connectOriginate(proxy, mesh));
    return out;
  }

  /**
   * The services a waypoint needs outbound clusters for, in the order the proxy sees services: the
   * destinations of the mesh routes of the services it serves that it does not serve itself (or
   * that are mesh-external), as istiod's {@code filterWaypointOutboundServices}. A route to such a
   * destination names its {@code outbound} cluster.
   */
  public static List<Service> outboundServices(Proxy proxy, PushContext push) {
    WaypointScope scope = WaypointScope.of(proxy, push);
    MeshRouteDestinations routes = MeshRouteDestinations.of(push);
    java.util.Set<String> hosts = new java.util.HashSet<>();
    for (Service s : scope.services().values()) {
      for (String ref : routes.referencedBy(s.hostname())) {
        java.util.Optional<Service> served = scope.service(ref);
        if (served.isEmpty() || served.get().attributes().meshExternal()) {
          hosts.add(ref);
        }
      }
    }
    if (hosts.isEmpty()) {
      return List.of();
    }
    List<Service> out = new ArrayList<>();
    for (Service s : push.servicesVisibleTo(proxy)) {
      if (hosts.contains(s.hostname())) {
        out.add(s);
      }
    }
    return out;
  }

  /** The {@code inbound-vip} clusters of one served service: per port, protocol and subset. */
  static List<Cluster> inboundVip(Proxy proxy, PushContext push, Service s) {
    Config ruleConfig =
        push.inboundDestinationRuleFor(proxy, s.hostname()).map(r -> r.config()).orElse(null);
    DestinationRule rule = ruleConfig == null ? null : ruleConfig.spec(DestinationRule.class);
    TrafficPolicy rulePolicy =
        rule != null && rule.hasTrafficPolicy() ? rule.getTrafficPolicy() : null;
    List<Cluster> out = new ArrayList<>();
    for (ServicePort port : s.ports()) {
      if (port.protocol() == Protocol.UDP) {
        continue;
      }
      TrafficPolicy policy = TrafficPolicies.portLevelOnly(rulePolicy, port.port());
      boolean tcp = WaypointNames.carriesTcp(port.protocol());
      boolean http = WaypointNames.carriesHttp(port.protocol());
      if (tcp) {
        out.add(vipCluster(push, s, port, "tcp", policy, ruleConfig));
      }
      if (http) {
        out.add(vipCluster(push, s, port, "http", policy, ruleConfig));
      }
      if (rule == null) {
        continue;
      }
      for (Subset ss : rule.getSubsetsList()) {
        TrafficPolicy merged =
            TrafficPolicies.forCluster(
                rulePolicy, ss.hasTrafficPolicy() ? ss.getTrafficPolicy() : null, port.port());
        if (tcp) {
          out.add(vipCluster(push, s, port, "tcp/" + ss.getName(), merged, ruleConfig));
        }
        if (http) {
          out.add(vipCluster(push, s, port, "http/" + ss.getName(), merged, ruleConfig));
        }
      }
    }
    return out;
  }

  private static Cluster vipCluster(
      PushContext push,
      Service s,
      ServicePort port,
      String subset,
      TrafficPolicy policy,
      Config ruleConfig) {
    MeshConfig mesh = push.meshConfig();
    String name = WaypointNames.inboundVip(port.port(), subset, s.hostname());
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setCommonLbConfig(Cluster.CommonLbConfig.getDefaultInstance())
            .setAltStatName(name + ";");
    ClusterDraft draft = new ClusterDraft(c);
    switch (port.protocol()) {
      case HTTP2, GRPC, GRPC_WEB -> draft.setHttp2();
      default -> {}
    }
    ClusterMetadata.put(c, "subset", ClusterMetadata.string(subset));
    ClusterMetadata.services(c, List.of(s));
    if (policy != null && ruleConfig != null) {
      ClusterMetadata.destinationRule(c, ruleConfig);
    }
    LoadBalancerSettings lb = ClusterPolicies.applyConnectionPolicies(mesh, draft, c, port, policy);
    ClusterPolicies.applyLbPolicy(c, lb);
    c.setEdsClusterConfig(
        Cluster.EdsClusterConfig.newBuilder()
            .setServiceName(name)
            .setEdsConfig(
                ConfigSource.newBuilder()
                    .setAds(AggregatedConfigSource.getDefaultInstance())
                    .setInitialFetchTimeout(Duration.getDefaultInstance())
                    .setResourceApiVersion(ApiVersion.V3)));
    // the endpoints are internal addresses of connect_originate: the original destination (the
    // pod's IP and port, in the endpoint's metadata) travels with the connection
    // what the connection to the pod carries inside the tunnel: plaintext, or the rule's TLS
    // (SIMPLE or MUTUAL), possibly behind a PROXY protocol header
    TransportSocket inner = null;
    if (policy != null && policy.hasTls()) {
      inner =
          UpstreamTls.forWaypoint(
              draft,
              policy.getTls(),
              new UpstreamTls.Context(
                  ServiceIdentities.of(push, s),
                  "",
                  false,
                  s.attributes().meshExternal(),
                  false,
                  ServiceAttributes.EXTERNAL.equals(s.attributes().registry()),
                  false,
                  ruleConfig != null
                      && ruleConfig.spec(DestinationRule.class).hasWorkloadSelector(),
                  false));
    }
    if (inner == null) {
      inner = rawBuffer();
    }
    if (policy != null && policy.hasProxyProtocol()) {
      inner = UpstreamTls.proxyProtocol(policy.getProxyProtocol(), inner);
    }
    c.setTransportSocket(
        internalUpstream(
            InternalUpstreamTransport.newBuilder()
                .addPassthroughMetadata(
                    InternalUpstreamTransport.MetadataValueSource.newBuilder()
                        .setKind(
                            MetadataKind.newBuilder()
                                .setHost(MetadataKind.Host.getDefaultInstance()))
                        .setName(ORIGINAL_DST_KEY)),
            inner));
    return draft.build();
  }

  /**
   * HBONE to the original destination, as a sidecar's, but accepting among the mesh's identities
   * also (redundantly, as istiod) its own namespace's.
   */
  private static Cluster connectOriginate(Proxy proxy, MeshConfig mesh) {
    return ConnectOriginate.cluster(
        mesh,
        StringMatcher.newBuilder()
            .setPrefix(
                "spiffe://" + mesh.getTrustDomain() + "/ns/" + proxy.configNamespace() + "/sa/")
            .build());
  }

  private static TransportSocket rawBuffer() {
    return TransportSocket.newBuilder()
        .setName("raw_buffer")
        .setTypedConfig(Any.pack(RawBuffer.getDefaultInstance()))
        .build();
  }

  private static TransportSocket internalUpstream(
      InternalUpstreamTransport.Builder t, TransportSocket inner) {
    t.setTransportSocket(inner);
    return TransportSocket.newBuilder()
        .setName("internal_upstream")
        .setTypedConfig(Any.pack(t.build()))
        .build();
  }
}
