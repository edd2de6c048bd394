package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Any;
import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ApiVersion;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.envoyproxy.envoy.config.core.v3.TypedExtensionConfig;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig;
import io.envoyproxy.envoy.type.v3.Percent;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.LocalityLoadBalancerSetting;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.galley.config.Config;
import io.jistiod.pilot.ambient.AmbientInterop;
import io.jistiod.pilot.model.Endpoint;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Resolution;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServiceAttributes;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.EnvoyEndpoints;
import io.jistiod.pilot.networking.LocalityLoadBalancing;
import io.jistiod.pilot.networking.TrafficPolicies;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.MtlsMode;
import io.jistiod.pilot.security.PeerAuthentications;
import io.jistiod.pilot.security.ServiceIdentities;
import java.util.List;
import java.util.Map;

/**
 * Outbound clusters of one service port for one proxy, as istiod builds them: {@code
 * outbound|PORT|SUBSET|HOST} (or, for a gateway's AUTO_PASSTHROUGH, the SNI form {@code
 * outbound_.PORT_.SUBSET_.HOST} without TLS). The discovery type follows the service's resolution;
 * the DestinationRule's policy (port-level, then subset) shapes the rest.
 */
final class OutboundClusterBuilder {

  /** Regular clusters, or the SNI-named passthrough clusters of an AUTO_PASSTHROUGH gateway. */
  enum Mode {
    DEFAULT,
    SNI_DNAT
  }

  private final PushContext push;
  private final Proxy proxy;
  private final MeshConfig mesh;
  private final boolean sidecar;

  /** A waypoint: sniffs and uses original destinations as a sidecar, and always sends HBONE. */
  private final boolean waypoint;

  private final AmbientInterop ambient;

  OutboundClusterBuilder(PushContext push, Proxy proxy) {
    this.push = push;
    this.ambient = AmbientInterop.of(push);
    this.proxy = proxy;
    this.mesh = push.meshConfig();
    this.sidecar = proxy.type() == Proxy.NodeType.SIDECAR;
    this.waypoint = proxy.type() == Proxy.NodeType.WAYPOINT;
  }

  static String name(Mode mode, Service service, int port, String subset) {
    return mode == Mode.DEFAULT
        ? "outbound|" + port + "|" + subset + "|" + service.hostname()
        : "outbound_." + port + "_." + subset + "_." + service.hostname();
  }

  /**
   * The cluster for {@code subset} ("" = the service's default cluster), or null if it does not
   * exist: an unknown subset, or a DNS service without endpoints.
   */
  Cluster build(Service service, ServicePort port, String subset, Mode mode) {
    Config ruleConfig =
        push.destinationRuleFor(proxy, service.hostname()).map(r -> r.config()).orElse(null);
    DestinationRule rule = ruleConfig == null ? null : ruleConfig.spec(DestinationRule.class);
    TrafficPolicy rulePolicy =
        rule != null && rule.hasTrafficPolicy() ? rule.getTrafficPolicy() : null;
    Subset subsetSpec = null;
    if (!subset.isEmpty()) {
      subsetSpec =
          rule == null
              ? null
              : rule.getSubsetsList().stream()
                  .filter(s -> s.getName().equals(subset))
                  .findFirst()
                  .orElse(null);
      if (subsetSpec == null) {
        return null;
      }
    }
    TrafficPolicy subsetPolicy =
        subsetSpec != null && subsetSpec.hasTrafficPolicy() ? subsetSpec.getTrafficPolicy() : null;
    TrafficPolicy policy =
        subsetSpec == null
            ? TrafficPolicies.portLevelOnly(rulePolicy, port.port())
            : TrafficPolicies.forCluster(rulePolicy, subsetPolicy, port.port());
    Cluster.DiscoveryType type = discoveryType(service);
    boolean subsetPassthrough =
        subsetPolicy != null
            && subsetPolicy.getLoadBalancer().getSimple()
                == LoadBalancerSettings.SimpleLB.PASSTHROUGH;
    if (subsetPassthrough) {
      type = Cluster.DiscoveryType.ORIGINAL_DST;
    }
    String name = name(mode, service, port.port(), subset);
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setType(type)
            .setCommonLbConfig(Cluster.CommonLbConfig.getDefaultInstance())
            .setAltStatName(name + ";");
    List<LocalityLoadBalancing.Group> groups = null;
    if (type == Cluster.DiscoveryType.STRICT_DNS || type == Cluster.DiscoveryType.LOGICAL_DNS) {
      dnsSettings(c);
      Map<String, String> labels = subsetSpec == null ? Map.of() : subsetSpec.getLabelsMap();
      groups =
          EnvoyEndpoints.groups(
              push,
              service,
              port.port(),
              subset,
              labels,
              rule,
              false,
              AmbientInterop.clientTunnels(proxy));
      if (groups.isEmpty()) {
        return null; // istiod drops DNS clusters it has no hosts for
      }
    }
    ClusterDraft draft = new ClusterDraft(c);
    setUpstreamProtocol(draft, port);
    ClusterMetadata.services(c, List.of(service));

    // traffic policy, in istiod's order: outlier detection decides locality failover
    LoadBalancerSettings lb = ClusterPolicies.applyConnectionPolicies(mesh, draft, c, port, policy);
    applyLocality(c, lb, groups, service);
    ClusterPolicies.applyLbPolicy(c, lb);
    if (mode == Mode.DEFAULT) {
      TrafficPolicy mtlsPolicy = subsetSpec == null ? rulePolicy : subsetPolicy;
      UpstreamTls.apply(
          draft,
          policy != null && policy.hasTls() ? policy.getTls() : null,
          new UpstreamTls.Context(
              ServiceIdentities.of(push, service),
              name(Mode.SNI_DNAT, service, port.port(), subset),
              mesh.hasEnableAutoMtls() ? mesh.getEnableAutoMtls().getValue() : true,
              service.attributes().meshExternal(),
              mtlsDisabled(service, port, mtlsPolicy),
              ServiceAttributes.EXTERNAL.equals(service.attributes().registry()),
              sidecar,
              rule != null && rule.hasWorkloadSelector(),
              ambient.sendHbone() || waypoint));
      if (policy != null && policy.hasProxyProtocol()) {
        UpstreamTls.wrapInProxyProtocol(c, policy.getProxyProtocol());
      }
    }
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
    }
    // peer metadata over mTLS for Istio's telemetry (the upstream peer's side of the exchange)
    c.addFilters(io.jistiod.pilot.envoy.telemetry.PeerMetadataFilters.TCP_CLUSTER_MX);
    if (c.getType() == Cluster.DiscoveryType.EDS) {
      c.setEdsClusterConfig(
          Cluster.EdsClusterConfig.newBuilder()
              .setServiceName(name)
              .setEdsConfig(
                  ConfigSource.newBuilder()
                      .setAds(AggregatedConfigSource.getDefaultInstance())
                      .setInitialFetchTimeout(Duration.getDefaultInstance())
                      .setResourceApiVersion(ApiVersion.V3)));
    }
    if (subsetSpec == null && mode == Mode.DEFAULT && allEndpointsTakeHbone(service, port)) {
      // every connection is tunneled: istio's metadata exchange filter must stay out of it
      ClusterMetadata.put(c, "disable_mx", ClusterMetadata.bool(true));
    } else if (subsetSpec == null && service.attributes().meshExternal()) {
      ClusterMetadata.put(c, "external", ClusterMetadata.bool(true));
    }
    if (ruleConfig != null) {
      ClusterMetadata.destinationRule(c, ruleConfig);
      if (subsetSpec != null) {
        ClusterMetadata.put(c, "subset", ClusterMetadata.string(subset));
      }
      ClientTLSSettings.TLSmode tlsMode =
          policy != null && policy.hasTls() ? policy.getTls().getMode() : null;
      if (tlsMode == ClientTLSSettings.TLSmode.SIMPLE
          || tlsMode == ClientTLSSettings.TLSmode.MUTUAL) {
        ClusterMetadata.put(c, "alpn_override", ClusterMetadata.string("false"));
      }
    }
    return draft.build();
  }

  /**
   * Whether the service port has endpoints and every one of them can be reached over HBONE (whether
   * or not this proxy would send it), as istiod decides service-wide settings.
   */
  private boolean allEndpointsTakeHbone(Service service, ServicePort port) {
    if (ambient == AmbientInterop.OFF) {
      return false;
    }
    List<Endpoint> endpoints = push.endpoints(service.hostname(), port.port());
    return !endpoints.isEmpty() && endpoints.stream().allMatch(ambient::takesHbone);
  }

  /** EDS for known addresses, DNS for names, the original destination for passthrough. */
  Cluster.DiscoveryType discoveryType(Service service) {
    if (service.resolution() == Resolution.DNS) {
      return Cluster.DiscoveryType.STRICT_DNS;
    }
    if (service.resolution() == Resolution.DNS_ROUND_ROBIN) {
      return Cluster.DiscoveryType.LOGICAL_DNS;
    }
    if (service.resolution() == Resolution.PASSTHROUGH && (sidecar || waypoint)) {
      // a gateway has no original destination to use, so it load balances over EDS
      return Cluster.DiscoveryType.ORIGINAL_DST;
    }
    return Cluster.DiscoveryType.EDS;
  }

  private void dnsSettings(Cluster.Builder c) {
    boolean allV6 = proxy.ipAddresses().stream().allMatch(ip -> ip.indexOf(':') >= 0);
    c.setDnsLookupFamily(
        allV6 && !proxy.ipAddresses().isEmpty()
            ? Cluster.DnsLookupFamily.V6_ONLY
            : Cluster.DnsLookupFamily.V4_ONLY);
    c.setTypedDnsResolverConfig(
        TypedExtensionConfig.newBuilder()
            .setName("envoy.network.dns_resolver.cares")
            .setTypedConfig(
                Any.pack(
                    CaresDnsResolverConfig.newBuilder()
                        .setUdpMaxQueries(UInt32Value.of(100))
                        .build())));
    c.setDnsJitter(Duration.newBuilder().setNanos(100_000_000));
    c.setDnsRefreshRate(mesh.getDnsRefreshRate());
    c.setRespectDnsTtl(true);
  }

  /**
   * HTTP/2 for h2 and gRPC ports; for sniffed ports a sidecar speaks whatever the downstream spoke
   * (a gateway does not sniff).
   */
  private void setUpstreamProtocol(ClusterDraft draft, ServicePort port) {
    switch (port.protocol()) {
      case HTTP2, GRPC, GRPC_WEB -> draft.setHttp2();
      case UNSUPPORTED -> {
        if (sidecar || waypoint) {
          draft.setUseDownstreamProtocol();
        }
      }
      default -> {}
    }
  }

  /**
   * Locality weighted load balancing when the rule distributes by locality or fails over (which
   * needs outlier detection); DNS clusters carry their endpoints, so weights and priorities go on
   * them here.
   */
  private void applyLocality(
      Cluster.Builder c,
      LoadBalancerSettings lb,
      List<LocalityLoadBalancing.Group> groups,
      Service service) {
    if (EnvoyEndpoints.sendsUnhealthy(service)) {
      // its unready endpoints are sent: panic mode would route to them, so it is off
      c.getCommonLbConfigBuilder().setHealthyPanicThreshold(Percent.getDefaultInstance());
    }
    LocalityLoadBalancing.Effective locality = LocalityLoadBalancing.effective(mesh, lb, service);
    LocalityLoadBalancerSetting setting = locality.setting();
    boolean failover = c.hasOutlierDetection() || locality.forceFailover();
    if (setting != null
        && ((failover && (setting.getFailoverCount() > 0 || setting.getFailoverPriorityCount() > 0))
            || setting.getDistributeCount() > 0)) {
      c.getCommonLbConfigBuilder()
          .setLocalityWeightedLbConfig(
              Cluster.CommonLbConfig.LocalityWeightedLbConfig.getDefaultInstance());
    }
    if (groups != null) {
      // failoverPriority is not applied to DNS clusters by istiod either
      LocalityLoadBalancing.apply(groups, proxy.locality(), Map.of(), setting, failover);
      ClusterLoadAssignment.Builder cla =
          ClusterLoadAssignment.newBuilder().setClusterName(c.getName());
      groups.forEach(g -> cla.addEndpoints(g.envoy()));
      c.setLoadAssignment(cla);
    }
  }

  /**
   * Whether auto mTLS must stay off: always for mesh-external services; for passthrough, unless
   * every endpoint has a sidecar; when the service's namespace (or the mesh) disables mTLS.
   */
  private boolean mtlsDisabled(Service service, ServicePort port, TrafficPolicy policy) {
    if (service.attributes().meshExternal()) {
      return true;
    }
    boolean passthrough =
        service.resolution() == Resolution.PASSTHROUGH
            || (policy != null
                && policy.getLoadBalancer().getSimple()
                    == LoadBalancerSettings.SimpleLB.PASSTHROUGH);
    if (passthrough) {
      List<Endpoint> endpoints = push.endpoints(service, port.port());
      if (endpoints.isEmpty()) {
        return true;
      }
      for (Endpoint e : endpoints) {
        if (!"istio".equals(e.tlsMode())) {
          return true;
        }
      }
    }
    // istiod infers a service's mode from its namespace's (or the mesh's) PeerAuthentication only;
    // workload and port-level DISABLE act per endpoint, through EDS metadata
    return PeerAuthentications.namespaceMode(push, service.namespace()) == MtlsMode.DISABLE;
  }
}
