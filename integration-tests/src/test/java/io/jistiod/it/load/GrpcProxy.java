package io.jistiod.it.load;

import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A proxyless gRPC client (GENERATOR=grpc) on state-of-the-world ADS, subscribing as gRPC's xDS
 * resolver does: the listeners of the targets it dials by name, then the route configurations those
 * name, the clusters the routes name, the endpoints of those clusters. Every response is ACKed with
 * the names it asked for.
 */
final class GrpcProxy extends LoadProxy {
  private static final String LDS = SidecarProxy.LDS;
  private static final String RDS = SidecarProxy.RDS;
  private static final String CDS = SidecarProxy.CDS;
  private static final String EDS = SidecarProxy.EDS;
  private static final List<String> CHAIN = List.of(LDS, RDS, CDS, EDS);

  private final Set<String> targets;
  private StreamObserver<DiscoveryRequest> requests;
  private final Map<String, Set<String>> wanted = new HashMap<>();
  private final Map<String, Set<String>> have = new HashMap<>();
  private final Map<String, String[]> lastVersionNonce = new HashMap<>();

  /** {@code targets}: the listener names (host:port) this client dials. */
  GrpcProxy(
      int index,
      String namespace,
      Set<String> targets,
      ByteCounts bytes,
      ScheduledExecutorService retries) {
    super(index, namespace, bytes, retries);
    this.targets = Set.copyOf(targets);
  }

  @Override
  synchronized void open(Channel channel) {
    wanted.clear();
    have.clear();
    lastVersionNonce.clear();
    StreamObserver<DiscoveryRequest>[] self = new StreamObserver[1];
    self[0] =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
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
    wanted.put(LDS, new TreeSet<>(targets));
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node(true))
            .setTypeUrl(LDS)
            .addAllResourceNames(targets)
            .build());
  }

  private synchronized void handle(StreamObserver<DiscoveryRequest> stream, DiscoveryResponse r) {
    if (stream != requests) {
      return;
    }
    received(r.getTypeUrl(), r.getSerializedSize());
    String type = r.getTypeUrl();
    Set<String> names = new TreeSet<>();
    Set<String> children = new TreeSet<>();
    boolean shown = false;
    for (Any a : r.getResourcesList()) {
      String n = nameAndChildren(type, a, children);
      if (n != null) {
        names.add(n);
        shown |= shows(type, n, a);
      }
    }
    if (type.equals(CHAIN.get(CHAIN.size() - 1))) {
      // EDS: a state-of-the-world response may carry some of the load assignments only (xDS lets
      // RDS and EDS responses be partial); the client keeps the others it still wants
      Set<String> kept = new TreeSet<>(have.getOrDefault(type, Set.of()));
      kept.retainAll(wanted.getOrDefault(type, Set.of()));
      names.addAll(kept);
    }
    have.put(type, names);
    lastVersionNonce.put(type, new String[] {r.getVersionInfo(), r.getNonce()});
    requests.onNext(request(type));
    if (shown) {
      met();
    }
    int at = CHAIN.indexOf(type);
    if (at >= 0 && at < CHAIN.size() - 1) {
      String child = CHAIN.get(at + 1);
      if (!children.isEmpty() && !children.equals(wanted.get(child))) {
        wanted.put(child, children);
        requests.onNext(request(child));
      }
    }
    boolean all = true;
    for (String t : CHAIN) {
      Set<String> w = wanted.get(t);
      Set<String> h = have.get(t);
      if (w == null || h == null || !h.containsAll(w)) {
        all = false;
        break;
      }
    }
    if (all) {
      markConfigured();
    }
  }

  private DiscoveryRequest request(String type) {
    DiscoveryRequest.Builder b =
        DiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .addAllResourceNames(wanted.getOrDefault(type, Set.of()));
    String[] vn = lastVersionNonce.get(type);
    if (vn != null) {
      b.setVersionInfo(vn[0]).setResponseNonce(vn[1]);
    }
    return b.build();
  }

  /** The resource's name; adds the names it leads to (next in the chain) to {@code children}. */
  private static String nameAndChildren(String type, Any a, Set<String> children) {
    try {
      switch (type) {
        case LDS -> {
          Listener l = a.unpack(Listener.class);
          if (l.getApiListener().getApiListener().is(HttpConnectionManager.class)) {
            HttpConnectionManager hcm =
                l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
            if (hcm.hasRds()) {
              children.add(hcm.getRds().getRouteConfigName());
            }
          }
          return l.getName();
        }
        case RDS -> {
          if (!a.is(RouteConfiguration.class)) {
            return null;
          }
          // the clusters its routes name, read in place (RouteWalk)
          return RouteWalk.clusters(
              a.getValue(),
              (cluster, weight) -> {
                if (!cluster.isEmpty()) {
                  children.add(cluster);
                }
              });
        }
        case CDS -> {
          Cluster c = a.unpack(Cluster.class);
          if (c.getType() == Cluster.DiscoveryType.EDS) {
            String s = c.getEdsClusterConfig().getServiceName();
            children.add(s.isEmpty() ? c.getName() : s);
          }
          return c.getName();
        }
        case EDS -> {
          return a.unpack(ClusterLoadAssignment.class).getClusterName();
        }
        default -> {
          return null;
        }
      }
    } catch (java.io.IOException e) {
      return null;
    }
  }

  @Override
  synchronized Map<String, Integer> counts() {
    return Map.of(
        "lds", have.getOrDefault(LDS, Set.of()).size(),
        "rds", have.getOrDefault(RDS, Set.of()).size(),
        "cds", have.getOrDefault(CDS, Set.of()).size(),
        "eds", have.getOrDefault(EDS, Set.of()).size());
  }

  @Override
  synchronized void closeStream() {
    if (requests != null) {
      requests.onCompleted();
    }
  }
}
