package io.jistiod.it.load;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated xDS client on a raw ADS stream. A proxyless one subscribes to listeners and follows
 * the chain as gRPC does (listener -> route config -> clusters -> endpoints); a "sidecar" one
 * watches endpoints only (the Envoy generators are not there yet). Every response is ACKed at once;
 * the time of the latest response per type is kept for convergence figures.
 */
final class SimulatedProxy {
  private static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  final int index;
  private final boolean proxyless;
  private final StreamObserver<DiscoveryRequest> requests;
  private final Map<String, Set<String>> names = new HashMap<>();
  private final Map<String, Long> lastResponseNanos = new HashMap<>();
  private final AtomicLong bytes;
  volatile Throwable error;
  private boolean first = true;

  SimulatedProxy(int index, boolean proxyless, ManagedChannel channel, AtomicLong bytes) {
    this.index = index;
    this.proxyless = proxyless;
    this.bytes = bytes;
    this.requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    handle(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    error = t;
                  }

                  @Override
                  public void onCompleted() {}
                });
  }

  /** Starts watching: listeners for proxyless, endpoint clusters for sidecars. */
  synchronized void start(List<String> hosts, int port) {
    if (proxyless) {
      Set<String> listeners = new TreeSet<>();
      hosts.forEach(h -> listeners.add(h + ":" + port));
      subscribe(LDS, listeners);
    } else {
      Set<String> clusters = new TreeSet<>();
      hosts.forEach(h -> clusters.add("outbound|" + port + "||" + h));
      subscribe(EDS, clusters);
    }
  }

  synchronized Long lastResponse(String typeShort) {
    return lastResponseNanos.get(typeShort);
  }

  synchronized boolean hasAll() {
    return proxyless
        ? lastResponseNanos.keySet().containsAll(List.of("lds", "rds", "cds", "eds"))
        : lastResponseNanos.containsKey("eds");
  }

  void close() {
    requests.onCompleted();
  }

  private synchronized void handle(DiscoveryResponse r) {
    long now = System.nanoTime();
    bytes.addAndGet(r.getSerializedSize());
    String type = r.getTypeUrl();
    lastResponseNanos.put(shortName(type), now);
    Set<String> next = new TreeSet<>();
    try {
      for (Any a : r.getResourcesList()) {
        switch (type) {
          case LDS:
            next.add(
                a.unpack(Listener.class)
                    .getApiListener()
                    .getApiListener()
                    .unpack(HttpConnectionManager.class)
                    .getRds()
                    .getRouteConfigName());
            break;
          case RDS:
            for (var vh : a.unpack(RouteConfiguration.class).getVirtualHostsList()) {
              for (var route : vh.getRoutesList()) {
                if (!route.getRoute().getCluster().isEmpty()) {
                  next.add(route.getRoute().getCluster());
                }
                route
                    .getRoute()
                    .getWeightedClusters()
                    .getClustersList()
                    .forEach(c -> next.add(c.getName()));
              }
            }
            break;
          case CDS:
            next.add(a.unpack(Cluster.class).getEdsClusterConfig().getServiceName());
            break;
          default:
            break;
        }
      }
    } catch (InvalidProtocolBufferException e) {
      error = e;
    }
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .setVersionInfo(r.getVersionInfo())
            .setResponseNonce(r.getNonce())
            .addAllResourceNames(names.getOrDefault(type, Set.of()))
            .build());
    String child = type.equals(LDS) ? RDS : type.equals(RDS) ? CDS : type.equals(CDS) ? EDS : null;
    if (child != null && !next.isEmpty()) {
      Set<String> merged = new TreeSet<>(names.getOrDefault(child, Set.of()));
      if (merged.addAll(next)) {
        subscribe(child, merged);
      }
    }
  }

  private void subscribe(String type, Set<String> resourceNames) {
    names.put(type, resourceNames);
    DiscoveryRequest.Builder b =
        DiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNames(resourceNames);
    if (first) {
      b.setNode(node());
      first = false;
    }
    requests.onNext(b.build());
  }

  private Node node() {
    Struct.Builder meta =
        Struct.newBuilder()
            .putFields("NAMESPACE", Value.newBuilder().setStringValue("load").build());
    if (proxyless) {
      meta.putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build());
    }
    return Node.newBuilder()
        .setId("sidecar~127.0.0.1~proxy-" + index + ".load~load.svc.cluster.local")
        .setMetadata(meta)
        .build();
  }

  private static String shortName(String type) {
    switch (type) {
      case LDS:
        return "lds";
      case RDS:
        return "rds";
      case CDS:
        return "cds";
      default:
        return "eds";
    }
  }
}
