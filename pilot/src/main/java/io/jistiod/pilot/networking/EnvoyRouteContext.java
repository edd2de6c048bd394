package io.jistiod.pilot.networking;

import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.jistiod.galley.api.networking.v1alpha3.Destination;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.HTTPMatchRequest;
import io.jistiod.galley.api.networking.v1alpha3.HTTPRetry;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings.ConsistentHashLB;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Hosts;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.push.VirtualServiceIndex;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * What Envoy route translation needs to know about the proxy and the mesh: who is asking (labels,
 * namespace, the gateways it implements), the mesh's default retry policy, and how to look up the
 * services and DestinationRules that destinations name.
 *
 * @param gatewayNames {@code mesh} for a sidecar; {@code namespace/name} of each Gateway for a
 *     gateway proxy
 * @param tls whether the routes are served behind TLS termination (a gateway HTTPS server), which
 *     makes {@code https} the scheme of redirects that do not name one
 * @param meshDefaultRetry meshConfig.defaultHttpRetryPolicy, null when unset
 * @param services the service a destination host (FQDN) names, as the proxy sees it
 * @param destinationRules the DestinationRule that applies to a host (FQDN) for this proxy
 * @param clusterNamer names destination clusters; null for the outbound ones
 */
public record EnvoyRouteContext(
    Map<String, String> proxyLabels,
    String proxyNamespace,
    Set<String> gatewayNames,
    boolean tls,
    HTTPRetry meshDefaultRetry,
    String domainSuffix,
    Function<String, Optional<Service>> services,
    Function<String, Optional<DestinationRule>> destinationRules,
    ClusterNamer clusterNamer) {

  /**
   * Names the cluster of a destination, given its resolved host, the service that host names (if
   * any) and the port chosen for it. The default is the outbound cluster; a waypoint names its own
   * services' {@code inbound-vip} clusters instead.
   */
  @FunctionalInterface
  public interface ClusterNamer {
    String name(Destination d, String host, Optional<Service> service, int port);
  }

  /** With the outbound cluster names of sidecars and gateways. */
  public EnvoyRouteContext(
      Map<String, String> proxyLabels,
      String proxyNamespace,
      Set<String> gatewayNames,
      boolean tls,
      HTTPRetry meshDefaultRetry,
      String domainSuffix,
      Function<String, Optional<Service>> services,
      Function<String, Optional<DestinationRule>> destinationRules) {
    this(
        proxyLabels,
        proxyNamespace,
        gatewayNames,
        tls,
        meshDefaultRetry,
        domainSuffix,
        services,
        destinationRules,
        null);
  }

  /** This context for routes served behind TLS termination (or not). */
  public EnvoyRouteContext withTls(boolean serverTls) {
    return new EnvoyRouteContext(
        proxyLabels,
        proxyNamespace,
        gatewayNames,
        serverTls,
        meshDefaultRetry,
        domainSuffix,
        services,
        destinationRules,
        clusterNamer);
  }

  /** This context naming destination clusters with {@code namer}. */
  public EnvoyRouteContext withClusterNamer(ClusterNamer namer) {
    return new EnvoyRouteContext(
        proxyLabels,
        proxyNamespace,
        gatewayNames,
        tls,
        meshDefaultRetry,
        domainSuffix,
        services,
        destinationRules,
        namer);
  }

  /**
   * Whether a match block applies to this proxy: its gateways name one this proxy implements, or
   * (without gateways) its sourceLabels and sourceNamespace fit the proxy.
   */
  boolean sourceMatches(HTTPMatchRequest match, String vsNamespace) {
    if (match == null) {
      return true;
    }
    if (match.getGatewaysCount() > 0) {
      for (String g : match.getGatewaysList()) {
        if (gatewayNames.contains(VirtualServiceIndex.gatewayName(g, vsNamespace))) {
          return true;
        }
      }
      return false;
    }
    if (!proxyLabels.entrySet().containsAll(match.getSourceLabelsMap().entrySet())) {
      return false;
    }
    return match.getSourceNamespace().isEmpty()
        || match.getSourceNamespace().equals(proxyNamespace);
  }

  /** The cluster istiod names for a destination without host, which no proxy has. */
  public static final String UNKNOWN_SERVICE = "UnknownService";

  /**
   * The cluster of a destination: its port if it names one, else the only port of its service, else
   * the port the routes are served on.
   */
  String clusterFor(Destination d, String vsNamespace, int listenPort) {
    if (d.getHost().isEmpty()) {
      // Only a Gateway API backendRef that was refused (no ReferenceGrant, unsupported kind) has no
      // host; istiod names a cluster no proxy has, so Envoy answers that route's requests with an
      // error (cluster not found) while the other rules keep working.
      return UNKNOWN_SERVICE;
    }
    String host = Hosts.resolveShortName(d.getHost(), vsNamespace, domainSuffix);
    Optional<Service> s = services.apply(host);
    int port = listenPort;
    if (d.hasPort()) {
      port = d.getPort().getNumber();
    } else if (s.isPresent() && s.get().ports().size() == 1) {
      port = s.get().ports().get(0).port();
    }
    if (clusterNamer != null) {
      return clusterNamer.name(d, host, s, port);
    }
    return ClusterName.outbound(clusterHost(host, s.orElse(null)), port, d.getSubset()).toString();
  }

  /**
   * The host whose cluster a destination on {@code host} uses: the host an ExternalName Service
   * names (it has no cluster of its own; istiod does not follow a chain of them here), else {@code
   * host}.
   */
  public static String clusterHost(String host, Service service) {
    return service != null && !service.attributes().externalName().isEmpty()
        ? service.attributes().externalName()
        : host;
  }

  /**
   * The consistent-hash key for a destination, from its DestinationRule: the subset's port-level
   * setting, else the subset's, else the rule's port-level one (only for a destination that names
   * its port), else the rule's.
   */
  Optional<RouteAction.HashPolicy> hashForDestination(Destination d, String vsNamespace) {
    String host = Hosts.resolveShortName(d.getHost(), vsNamespace, domainSuffix);
    DestinationRule dr = destinationRules.apply(host).orElse(null);
    if (dr == null) {
      return Optional.empty();
    }
    ConsistentHashLB hash = consistentHash(dr.getTrafficPolicy());
    ConsistentHashLB pls =
        d.hasPort() ? portLevel(dr.getTrafficPolicy(), d.getPort().getNumber()) : null;
    ConsistentHashLB subsetHash = null;
    ConsistentHashLB subsetPls = null;
    for (var subset : dr.getSubsetsList()) {
      if (subset.getName().equals(d.getSubset())) {
        subsetHash = consistentHash(subset.getTrafficPolicy());
        subsetPls =
            d.hasPort() ? portLevel(subset.getTrafficPolicy(), d.getPort().getNumber()) : null;
        break;
      }
    }
    if (subsetPls != null) {
      hash = subsetPls;
    } else if (subsetHash != null) {
      hash = subsetHash;
    } else if (pls != null) {
      hash = pls;
    }
    return Optional.ofNullable(toHashPolicy(hash));
  }

  /** The consistent-hash key of a service port without a VirtualService. */
  Optional<RouteAction.HashPolicy> hashForService(String host, int port) {
    DestinationRule dr = destinationRules.apply(host).orElse(null);
    if (dr == null) {
      return Optional.empty();
    }
    ConsistentHashLB hash = consistentHash(dr.getTrafficPolicy());
    for (var setting : dr.getTrafficPolicy().getPortLevelSettingsList()) {
      if (setting.getPort().getNumber() == port) {
        if (setting.getLoadBalancer().hasConsistentHash()) {
          hash = setting.getLoadBalancer().getConsistentHash();
        }
        break;
      }
    }
    return Optional.ofNullable(toHashPolicy(hash));
  }

  private static ConsistentHashLB consistentHash(TrafficPolicy p) {
    return p.getLoadBalancer().hasConsistentHash() ? p.getLoadBalancer().getConsistentHash() : null;
  }

  private static ConsistentHashLB portLevel(TrafficPolicy p, int port) {
    List<TrafficPolicy.PortTrafficPolicy> settings = p.getPortLevelSettingsList();
    for (var s : settings) {
      if (s.getPort().getNumber() == port) {
        return s.getLoadBalancer().hasConsistentHash()
            ? s.getLoadBalancer().getConsistentHash()
            : null;
      }
    }
    return null;
  }

  /** Istio's hash key as an Envoy route hash policy; null for none (or a ring without a key). */
  static RouteAction.HashPolicy toHashPolicy(ConsistentHashLB hash) {
    if (hash == null) {
      return null;
    }
    RouteAction.HashPolicy.Builder h = RouteAction.HashPolicy.newBuilder();
    switch (hash.getHashKeyCase()) {
      case HTTP_HEADER_NAME ->
          h.setHeader(
              RouteAction.HashPolicy.Header.newBuilder().setHeaderName(hash.getHttpHeaderName()));
      case HTTP_COOKIE -> {
        var cookie = hash.getHttpCookie();
        var c =
            RouteAction.HashPolicy.Cookie.newBuilder()
                .setName(cookie.getName())
                .setPath(cookie.getPath());
        if (cookie.hasTtl()) {
          c.setTtl(cookie.getTtl());
        }
        h.setCookie(c);
      }
      case USE_SOURCE_IP ->
          h.setConnectionProperties(
              RouteAction.HashPolicy.ConnectionProperties.newBuilder()
                  .setSourceIp(hash.getUseSourceIp()));
      case HTTP_QUERY_PARAMETER_NAME ->
          h.setQueryParameter(
              RouteAction.HashPolicy.QueryParameter.newBuilder()
                  .setName(hash.getHttpQueryParameterName()));
      default -> {
        return null;
      }
    }
    return h.build();
  }
}
