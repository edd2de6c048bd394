package io.jistiod.it.load;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;

/**
 * An Envoy-like sidecar on delta ADS: clusters and listeners by wildcard, then the endpoints of the
 * EDS clusters received and the route configurations the listeners name, every response ACKed. It
 * keeps names only (not the resources: thousands of proxies share the harness's heap).
 */
final class SidecarProxy extends LoadProxy {
  static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  static final String EDS = "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private StreamObserver<DeltaDiscoveryRequest> requests;
  // cluster name -> EDS service name ("" for clusters that are not EDS)
  private final Map<String, String> clusters = new HashMap<>();
  // listener name -> route configuration names of its HTTP connection managers
  private final Map<String, Set<String>> listenerRoutes = new HashMap<>();
  private final Set<String> routes = new HashSet<>();
  private final Set<String> endpoints = new HashSet<>();
  private final Map<String, Set<String>> subscribed = new HashMap<>();
  private boolean gotClusters;
  private boolean gotListeners;

  SidecarProxy(int index, String namespace, ByteCounts bytes, ScheduledExecutorService retries) {
    super(index, namespace, bytes, retries);
  }

  @Override
  synchronized void open(Channel channel) {
    clusters.clear();
    listenerRoutes.clear();
    routes.clear();
    endpoints.clear();
    subscribed.clear();
    gotClusters = false;
    gotListeners = false;
    StreamObserver<DeltaDiscoveryRequest>[] self = new StreamObserver[1];
    self[0] =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .deltaAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DeltaDiscoveryResponse r) {
                    handle(self[0], r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    failed(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    requests = self[0];
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder().setNode(node(false)).setTypeUrl(CDS).build());
    requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(LDS).build());
  }

  private synchronized void handle(
      StreamObserver<DeltaDiscoveryRequest> stream, DeltaDiscoveryResponse r) {
    if (stream != requests) {
      return; // a late response on a stream given up
    }
    received(r.getTypeUrl(), r.getSerializedSize());
    String type = r.getTypeUrl();
    boolean shown = false;
    for (Resource res : r.getResourcesList()) {
      String n = res.getName().intern();
      shown |= shows(type, n, res.getResource());
      switch (type) {
        case CDS -> clusters.put(n, edsName(res.getResource(), n));
        case LDS -> listenerRoutes.put(n, routeNames(res.getResource()));
        case RDS -> routes.add(n);
        case EDS -> endpoints.add(n);
        default -> {}
      }
    }
    for (String n : r.getRemovedResourcesList()) {
      switch (type) {
        case CDS -> clusters.remove(n);
        case LDS -> listenerRoutes.remove(n);
        case RDS -> routes.remove(n);
        case EDS -> endpoints.remove(n);
        default -> {}
      }
    }
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder().setTypeUrl(type).setResponseNonce(r.getNonce()).build());
    if (shown) {
      met();
    }
    if (type.equals(CDS)) {
      gotClusters = true;
      Set<String> eds = new HashSet<>();
      clusters
          .values()
          .forEach(
              v -> {
                if (!v.isEmpty()) {
                  eds.add(v);
                }
              });
      follow(EDS, eds, endpoints);
    } else if (type.equals(LDS)) {
      gotListeners = true;
      Set<String> rds = new HashSet<>();
      listenerRoutes.values().forEach(rds::addAll);
      follow(RDS, rds, routes);
    }
    if (gotClusters
        && gotListeners
        && endpoints.containsAll(subscribed.getOrDefault(EDS, Set.of()))
        && routes.containsAll(subscribed.getOrDefault(RDS, Set.of()))) {
      markConfigured();
    }
  }

  /** Subscribes to what is newly wanted and unsubscribes from what no longer is. */
  private void follow(String type, Set<String> wanted, Set<String> have) {
    Set<String> before = subscribed.computeIfAbsent(type, t -> new HashSet<>());
    List<String> add = new ArrayList<>();
    for (String w : wanted) {
      if (!before.contains(w)) {
        add.add(w);
      }
    }
    List<String> drop = new ArrayList<>();
    for (String b : before) {
      if (!wanted.contains(b)) {
        drop.add(b);
      }
    }
    if (add.isEmpty() && drop.isEmpty()) {
      return;
    }
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .addAllResourceNamesSubscribe(add)
            .addAllResourceNamesUnsubscribe(drop)
            .build());
    before.addAll(add);
    drop.forEach(before::remove);
    drop.forEach(have::remove);
  }

  private static String edsName(Any a, String name) {
    try {
      Cluster c = a.unpack(Cluster.class);
      if (c.getType() != Cluster.DiscoveryType.EDS) {
        return "";
      }
      String s = c.getEdsClusterConfig().getServiceName();
      return s.isEmpty() ? name : s.intern();
    } catch (InvalidProtocolBufferException e) {
      return "";
    }
  }

  private static Set<String> routeNames(Any a) {
    Set<String> out = new HashSet<>();
    try {
      Listener l = a.unpack(Listener.class);
      List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (FilterChain fc : chains) {
        for (Filter f : fc.getFiltersList()) {
          if (f.getTypedConfig().is(HttpConnectionManager.class)) {
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
            if (hcm.hasRds()) {
              out.add(hcm.getRds().getRouteConfigName().intern());
            }
          }
        }
      }
    } catch (InvalidProtocolBufferException e) {
      // counted as a listener without routes
    }
    return out;
  }

  @Override
  synchronized Map<String, Integer> counts() {
    return Map.of(
        "cds", clusters.size(),
        "lds", listenerRoutes.size(),
        "rds", routes.size(),
        "eds", endpoints.size());
  }

  @Override
  synchronized void closeStream() {
    if (requests != null) {
      requests.onCompleted();
    }
  }
}
