package io.jistiod.pilot.envoy.cluster;

import com.google.protobuf.Duration;
import com.google.protobuf.UInt32Value;
import com.google.protobuf.UInt64Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.cluster.v3.OutlierDetection;
import io.envoyproxy.envoy.config.core.v3.TcpKeepalive;
import io.envoyproxy.envoy.type.v3.Percent;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings;
import io.jistiod.galley.api.networking.v1alpha3.LoadBalancerSettings;
import io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy;
import io.jistiod.pilot.model.Protocol;

/**
 * The parts of a DestinationRule traffic policy that become cluster settings, mapped as istiod maps
 * them: connection pool to circuit breakers, timeouts and HTTP options; outlier detection with
 * Istio's enforcing percentages; load balancer to lb_policy and its config.
 */
final class ClusterPolicies {
  private ClusterPolicies() {}

  private static final long MAX_UINT32 = 0xFFFFFFFFL;

  /**
   * istiod lifts Envoy's default limits (1024 connections, 3 retries, ...) to the maximum: the
   * defaults tripped during rolling updates, before new endpoints arrived.
   */
  static CircuitBreakers.Thresholds.Builder defaultThresholds() {
    UInt32Value max = UInt32Value.of((int) MAX_UINT32);
    return CircuitBreakers.Thresholds.newBuilder()
        .setMaxConnections(max)
        .setMaxPendingRequests(max)
        .setMaxRequests(max)
        .setMaxRetries(max)
        .setTrackRemaining(true);
  }

  /** Connection pool settings (null = none) over the mesh defaults; inbound and outbound. */
  static void applyConnectionPool(
      MeshConfig mesh,
      ClusterDraft draft,
      ConnectionPoolSettings settings,
      TrafficPolicy.RetryBudget retryBudget) {
    if (settings == null) {
      settings = ConnectionPoolSettings.getDefaultInstance();
    }
    CircuitBreakers.Thresholds.Builder threshold = defaultThresholds();
    if (retryBudget != null) {
      // Envoy's defaults made explicit, as istiod does: 20% of active requests, at least 3
      threshold.setRetryBudget(
          CircuitBreakers.Thresholds.RetryBudget.newBuilder()
              .setBudgetPercent(
                  Percent.newBuilder()
                      .setValue(
                          retryBudget.hasPercent() ? retryBudget.getPercent().getValue() : 20))
              .setMinRetryConcurrency(
                  UInt32Value.of(
                      retryBudget.getMinRetryConcurrency() > 0
                          ? retryBudget.getMinRetryConcurrency()
                          : 3)));
    }
    Duration idleTimeout = null;
    int maxRequestsPerConnection = 0;
    int maxConcurrentStreams = 0;
    Duration maxConnectionDuration = null;
    if (settings.hasHttp()) {
      var http = settings.getHttp();
      if (http.getHttp2MaxRequests() > 0) {
        threshold.setMaxRequests(UInt32Value.of(http.getHttp2MaxRequests()));
      }
      if (http.getHttp1MaxPendingRequests() > 0) {
        threshold.setMaxPendingRequests(UInt32Value.of(http.getHttp1MaxPendingRequests()));
      }
      if (http.getMaxRetries() > 0) {
        threshold.setMaxRetries(UInt32Value.of(http.getMaxRetries()));
      }
      idleTimeout = http.hasIdleTimeout() ? http.getIdleTimeout() : null;
      maxRequestsPerConnection = http.getMaxRequestsPerConnection();
      maxConcurrentStreams = http.getMaxConcurrentStreams();
    }
    draft.cluster.setConnectTimeout(mesh.getConnectTimeout());
    if (settings.hasTcp()) {
      var tcp = settings.getTcp();
      if (tcp.hasConnectTimeout()) {
        draft.cluster.setConnectTimeout(tcp.getConnectTimeout());
      }
      if (tcp.getMaxConnections() > 0) {
        threshold.setMaxConnections(UInt32Value.of(tcp.getMaxConnections()));
      }
      if (tcp.hasMaxConnectionDuration()) {
        maxConnectionDuration = tcp.getMaxConnectionDuration();
      }
      if (idleTimeout == null && tcp.hasIdleTimeout()) {
        idleTimeout = tcp.getIdleTimeout();
      }
    }
    if (mesh.hasTcpKeepalive()) {
      applyKeepalive(draft.cluster, mesh.getTcpKeepalive());
    }
    if (settings.hasTcp() && settings.getTcp().hasTcpKeepalive()) {
      applyKeepalive(draft.cluster, settings.getTcp().getTcpKeepalive());
    }
    draft.cluster.setCircuitBreakers(CircuitBreakers.newBuilder().addThresholds(threshold));
    if (maxConnectionDuration != null
        || idleTimeout != null
        || maxRequestsPerConnection > 0
        || maxConcurrentStreams > 0) {
      var common = draft.http().getCommonHttpProtocolOptionsBuilder();
      if (idleTimeout != null) {
        common.setIdleTimeout(idleTimeout);
      }
      if (maxRequestsPerConnection > 0) {
        common.setMaxRequestsPerConnection(UInt32Value.of(maxRequestsPerConnection));
      }
      if (maxConnectionDuration != null) {
        common.setMaxConnectionDuration(maxConnectionDuration);
      }
      if (draft.isHttp2() && maxConcurrentStreams > 0) {
        draft
            .http()
            .getExplicitHttpConfigBuilder()
            .getHttp2ProtocolOptionsBuilder()
            .setMaxConcurrentStreams(UInt32Value.of(maxConcurrentStreams));
      }
    }
    if (settings.hasHttp() && settings.getHttp().getUseClientProtocol()) {
      draft.setUseDownstreamProtocol();
    }
  }

  /**
   * Keepalive fields the policy sets override earlier ones; any keepalive turns SO_KEEPALIVE on.
   */
  private static void applyKeepalive(
      Cluster.Builder c,
      io.jistiod.galley.api.networking.v1alpha3.ConnectionPoolSettings.TCPSettings.TcpKeepalive
          keepalive) {
    TcpKeepalive.Builder k = c.getUpstreamConnectionOptionsBuilder().getTcpKeepaliveBuilder();
    if (keepalive.getProbes() > 0) {
      k.setKeepaliveProbes(UInt32Value.of(keepalive.getProbes()));
    }
    if (keepalive.hasTime()) {
      k.setKeepaliveTime(UInt32Value.of((int) keepalive.getTime().getSeconds()));
    }
    if (keepalive.hasInterval()) {
      k.setKeepaliveInterval(UInt32Value.of((int) keepalive.getInterval().getSeconds()));
    }
  }

  /** Whether the cluster should speak HTTP/2 upstream although its port does not say so. */
  static boolean shouldUpgradeToHttp2(
      Protocol protocol, MeshConfig mesh, ConnectionPoolSettings pool) {
    if (pool != null && pool.hasHttp()) {
      var http = pool.getHttp();
      if (http.getUseClientProtocol()) {
        return false;
      }
      if (http.getH2UpgradePolicy()
          == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.UPGRADE) {
        return true;
      }
      if (http.getH2UpgradePolicy()
          == ConnectionPoolSettings.HTTPSettings.H2UpgradePolicy.DO_NOT_UPGRADE) {
        return false;
      }
    }
    // sniffed ports are left alone: the upstream may only speak HTTP/1.1
    if (!protocol.isHttp()) {
      return false;
    }
    return mesh.getH2UpgradePolicy() == MeshConfig.H2UpgradePolicy.UPGRADE;
  }

  /**
   * The connection pool, the HTTP/2 upgrade and outlier detection of {@code policy} (null: none),
   * in istiod's order (outlier detection decides locality failover, applied next by the caller);
   * returns its load balancer settings, or null.
   */
  static LoadBalancerSettings applyConnectionPolicies(
      MeshConfig mesh,
      ClusterDraft draft,
      Cluster.Builder c,
      io.jistiod.pilot.model.ServicePort port,
      io.jistiod.galley.api.networking.v1alpha3.TrafficPolicy policy) {
    applyConnectionPool(
        mesh,
        draft,
        policy != null && policy.hasConnectionPool() ? policy.getConnectionPool() : null,
        policy != null && policy.hasRetryBudget() ? policy.getRetryBudget() : null);
    if (shouldUpgradeToHttp2(
        port.protocol(),
        mesh,
        policy != null && policy.hasConnectionPool() ? policy.getConnectionPool() : null)) {
      draft.setHttp2();
    }
    applyOutlierDetection(
        c, policy != null && policy.hasOutlierDetection() ? policy.getOutlierDetection() : null);
    return policy != null && policy.hasLoadBalancer() ? policy.getLoadBalancer() : null;
  }

  /**
   * Outlier detection; success-rate ejection is always off, consecutive-error ejection enforced at
   * 100% when a threshold is set. Also turns off the panic threshold (min health percent, 0 unless
   * set), which rarely helps with a handful of pods.
   */
  static void applyOutlierDetection(
      Cluster.Builder c, io.jistiod.galley.api.networking.v1alpha3.OutlierDetection outlier) {
    if (outlier == null) {
      return;
    }
    OutlierDetection.Builder out =
        OutlierDetection.newBuilder().setEnforcingSuccessRate(UInt32Value.of(0));
    if (outlier.hasConsecutive5XxErrors()) {
      int v = outlier.getConsecutive5XxErrors().getValue();
      out.setConsecutive5Xx(UInt32Value.of(v));
      out.setEnforcingConsecutive5Xx(UInt32Value.of(v > 0 ? 100 : 0));
    }
    if (outlier.hasConsecutiveGatewayErrors()) {
      int v = outlier.getConsecutiveGatewayErrors().getValue();
      out.setConsecutiveGatewayFailure(UInt32Value.of(v));
      out.setEnforcingConsecutiveGatewayFailure(UInt32Value.of(v > 0 ? 100 : 0));
    }
    if (outlier.hasInterval()) {
      out.setInterval(outlier.getInterval());
    }
    if (outlier.hasBaseEjectionTime()) {
      out.setBaseEjectionTime(outlier.getBaseEjectionTime());
    }
    if (outlier.getMaxEjectionPercent() > 0) {
      out.setMaxEjectionPercent(UInt32Value.of(outlier.getMaxEjectionPercent()));
    }
    if (outlier.getSplitExternalLocalOriginErrors()) {
      out.setSplitExternalLocalOriginErrors(true);
      if (outlier.getConsecutiveLocalOriginFailures().getValue() > 0) {
        out.setConsecutiveLocalOriginFailure(
            UInt32Value.of(outlier.getConsecutiveLocalOriginFailures().getValue()));
        out.setEnforcingConsecutiveLocalOriginFailure(UInt32Value.of(100));
      }
      out.setEnforcingLocalOriginSuccessRate(UInt32Value.of(0));
    }
    c.setOutlierDetection(out);
    if (outlier.getMinHealthPercent() >= 0) {
      c.getCommonLbConfigBuilder()
          .setHealthyPanicThreshold(Percent.newBuilder().setValue(outlier.getMinHealthPercent()));
    }
  }

  /**
   * lb_policy from the simple or consistent-hash setting; LEAST_REQUEST when unset (istiod's
   * default since 1.14). ORIGINAL_DST clusters pick their host themselves.
   */
  static void applyLbPolicy(Cluster.Builder c, LoadBalancerSettings lb) {
    if (c.getType() == Cluster.DiscoveryType.ORIGINAL_DST) {
      c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
      return;
    }
    if (lb == null) {
      lb = LoadBalancerSettings.getDefaultInstance();
    }
    if (lb.hasConsistentHash()) {
      applyConsistentHash(c, lb.getConsistentHash());
      return;
    }
    switch (lb.getSimple()) {
      case LEAST_CONN, LEAST_REQUEST -> leastRequest(c, lb);
      case RANDOM -> c.setLbPolicy(Cluster.LbPolicy.RANDOM);
      case ROUND_ROBIN -> roundRobin(c, lb);
      case PASSTHROUGH -> {
        c.setLbPolicy(Cluster.LbPolicy.CLUSTER_PROVIDED);
        c.setType(Cluster.DiscoveryType.ORIGINAL_DST);
        c.clearLoadAssignment();
      }
      default -> leastRequest(c, lb);
    }
  }

  private static void leastRequest(Cluster.Builder c, LoadBalancerSettings lb) {
    c.setLbPolicy(Cluster.LbPolicy.LEAST_REQUEST);
    if (lb.hasWarmupDurationSecs()) {
      c.setLeastRequestLbConfig(
          Cluster.LeastRequestLbConfig.newBuilder()
              .setSlowStartConfig(
                  Cluster.SlowStartConfig.newBuilder()
                      .setSlowStartWindow(lb.getWarmupDurationSecs())));
    }
  }

  private static void roundRobin(Cluster.Builder c, LoadBalancerSettings lb) {
    c.setLbPolicy(Cluster.LbPolicy.ROUND_ROBIN);
    if (lb.hasWarmupDurationSecs()) {
      c.setRoundRobinLbConfig(
          Cluster.RoundRobinLbConfig.newBuilder()
              .setSlowStartConfig(
                  Cluster.SlowStartConfig.newBuilder()
                      .setSlowStartWindow(lb.getWarmupDurationSecs())));
    }
  }

  /** Ring hash or Maglev; the hash key itself goes on the route. */
  private static void applyConsistentHash(
      Cluster.Builder c, LoadBalancerSettings.ConsistentHashLB hash) {
    if (hash.hasMaglev()) {
      c.setLbPolicy(Cluster.LbPolicy.MAGLEV);
      if (hash.getMaglev().getTableSize() != 0) {
        c.setMaglevLbConfig(
            Cluster.MaglevLbConfig.newBuilder()
                .setTableSize(UInt64Value.of(hash.getMaglev().getTableSize())));
      }
    } else if (hash.hasRingHash()) {
      c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
      if (hash.getRingHash().getMinimumRingSize() != 0) {
        c.setRingHashLbConfig(
            Cluster.RingHashLbConfig.newBuilder()
                .setMinimumRingSize(UInt64Value.of(hash.getRingHash().getMinimumRingSize())));
      }
    } else {
      // the deprecated field, else Envoy's own default made explicit
      long min = hash.getMinimumRingSize() != 0 ? hash.getMinimumRingSize() : 1024;
      c.setLbPolicy(Cluster.LbPolicy.RING_HASH);
      c.setRingHashLbConfig(
          Cluster.RingHashLbConfig.newBuilder().setMinimumRingSize(UInt64Value.of(min)));
    }
  }
}
