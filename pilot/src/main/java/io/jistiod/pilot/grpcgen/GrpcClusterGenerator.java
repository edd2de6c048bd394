package io.jistiod.pilot.grpcgen;

import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.AggregatedConfigSource;
import io.envoyproxy.envoy.config.core.v3.ConfigSource;
import io.jistiod.galley.api.networking.v1alpha3.ClientTLSSettings;
import io.jistiod.galley.api.networking.v1alpha3.DestinationRule;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.Subset;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.model.ClusterName;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.model.Service;
import io.jistiod.pilot.model.ServicePort;
import io.jistiod.pilot.networking.TrafficPolicies;
import io.jistiod.pilot.push.GenerationCache;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.security.ServiceIdentities;
import io.jistiod.pilot.xds.XdsGenerator;
import io.jistiod.pilot.xds.XdsResource;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * CDS for proxyless gRPC: EDS clusters {@code outbound|PORT|SUBSET|FQDN} with the DestinationRule's
 * load balancing and circuit breaking applied, subset policy merged over the rule's.
 *
 * <p>TLS only where the rule asks for {@code ISTIO_MUTUAL}, as istiod: no auto mTLS for proxyless
 * clients, since istiod cannot tell whether the client uses xDS credentials (without them it
 * ignores the TLS settings) nor whether the server is an xDS server that will speak mTLS, and a
 * PERMISSIVE gRPC server listens in plaintext. SIMPLE and MUTUAL are not given to gRPC either.
 */
public final class GrpcClusterGenerator implements XdsGenerator {

  private static final ConfigSource ADS =
      ConfigSource.newBuilder().setAds(AggregatedConfigSource.getDefaultInstance()).build();

  @Override
  public List<XdsResource> generate(Proxy proxy, PushContext push, Set<String> names) {
    Set<String> wanted = new TreeSet<>(names);
    if (wanted.isEmpty()) {
      for (Service s : push.servicesVisibleTo(proxy)) {
        for (ServicePort p : s.ports()) {
          wanted.add(ClusterName.outbound(s.hostname(), p.port(), "").toString());
          push.destinationRuleFor(proxy, s.hostname())
              .ifPresent(
                  dr -> {
                    for (Subset subset : dr.spec().getSubsetsList()) {
                      wanted.add(
                          ClusterName.outbound(s.hostname(), p.port(), subset.getName())
                              .toString());
                    }
                  });
        }
      }
    }
    List<XdsResource> out = new ArrayList<>();
    GenerationCache.Scope scope = push.cache().scope(proxy);
    for (String name : wanted) {
      XdsResource r =
          push.cache()
              .getSharedInScope(
                  "grpc-cds",
                  name,
                  scope,
                  () -> new GenerationCache.Variant(variant(name, proxy, push), true),
                  () -> build(name, proxy, push));
      if (r != null) {
        out.add(r);
      }
    }
    return out;
  }

  /**
   * What {@link #build} reads of the proxy: which service of that host it sees (a Sidecar or
   * exportTo may hide it) and which DestinationRule applies, both fixed by the proxy's scope (its
   * namespace and the Sidecar its labels select). Keyed by it rather than by the proxy's whole
   * scope, so clients of different apps and namespaces share one cluster.
   */
  private static String variant(String name, Proxy proxy, PushContext push) {
    ClusterName key = ClusterName.parse(name);
    if (key == null || !ClusterName.OUTBOUND.equals(key.direction())) {
      return "";
    }
    Service service = push.serviceFor(proxy, key.hostname()).orElse(null);
    if (service == null) {
      return "-";
    }
    return service.namespace()
        + "|"
        + push.destinationRuleFor(proxy, service.hostname())
            .map(PushContext.ResolvedDestinationRule::key)
            .orElse("");
  }

  private static XdsResource build(String name, Proxy proxy, PushContext push) {
    ClusterName key = ClusterName.parse(name);
    if (key == null || !ClusterName.OUTBOUND.equals(key.direction())) {
      return null;
    }
    Service service = push.serviceFor(proxy, key.hostname()).orElse(null);
    if (service == null || service.port(key.port()).isEmpty()) {
      return null;
    }
    DestinationRule dr =
        push.destinationRuleFor(proxy, service.hostname())
            .map(r -> r.spec())
            .orElse(DestinationRule.getDefaultInstance());
    TrafficPolicy policy = TrafficPolicies.resolve(dr, key.subset(), key.port());
    if (policy == null) {
      return null; // a route to an undefined subset: no cluster, as in Istio
    }
    Cluster.Builder c = cluster(name, policy).toBuilder();
    if (policy.getTls().getMode() == ClientTLSSettings.TLSmode.ISTIO_MUTUAL) {
      c.setTransportSocket(GrpcTls.client(ServiceIdentities.of(push, service)));
    }
    return XdsResource.of(name, c.build());
  }

  static Cluster cluster(String name, TrafficPolicy policy) {
    Cluster.Builder c =
        Cluster.newBuilder()
            .setName(name)
            .setType(Cluster.DiscoveryType.EDS)
            .setEdsClusterConfig(
                Cluster.EdsClusterConfig.newBuilder().setServiceName(name).setEdsConfig(ADS));
    LoadBalancerSettings lb = policy.getLoadBalancer();
    if (lb.hasConsistentHash()) {
      // gRPC supports ring hash (not Maglev); the hash key comes from the route's hash policy.
      var hash = lb.getConsistentHash();
      long minRing =
          hash.hasRingHash() && hash.getRingHash().getMinimumRingSize() > 0
              ? hash.getRingHash().getMinimumRingSize()
              : hash.getMinimumRingSize();
      c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
      if (minRing > 0) {
        c.setRingHashLbConfig(
            Cluster.RingHashLbConfig.newBuilder()
                .setMinimumRingSize(com.google.protobuf.UInt64Value.of(minRing)));
      }
    } else if (lb.getSimple() == LoadBalancerSettings.SimpleLB.LEAST_REQUEST
        || lb.getSimple() == LoadBalancerSettings.SimpleLB.LEAST_CONN) {
      c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    }
    if (policy.getConnectionPool().getHttp().getHttp2MaxRequests() > 0) {
      c.setCircuitBreakers(
          CircuitBreakers.newBuilder()
              .addThresholds(
                  CircuitBreakers.Thresholds.newBuilder()
                      .setMaxRequests(
                          UInt32Value.of(
                              policy.getConnectionPool().getHttp().getHttp2MaxRequests()))));
    }
    return c.build();
  }
}
