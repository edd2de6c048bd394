package io.jistiod.it.interop;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * What istiod serves a proxyless client, fetched the way the client does: one ADS stream with the
 * client's node identity, following LDS (the dialled listener) to RDS, the routes' clusters to CDS,
 * and EDS clusters to their endpoints. For checking the resources with Envoy's own constraints.
 */
final class ServedConfig {
  private static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private ServedConfig() {}

  /** The node {@link InteropClient#bootstrap} gives the interop clients. */
  static Node node(String ns, String region, String zone) {
    Node.Builder n =
        Node.newBuilder()
            .setId("sidecar~127.0.0.1~xds-client." + ns + "~" + ns + ".svc.cluster.local")
            .setMetadata(
                Struct.newBuilder()
                    .putFields("GENERATOR", Value.newBuilder().setStringValue("grpc").build())
                    .putFields("NAMESPACE", Value.newBuilder().setStringValue(ns).build()));
    if (zone != null) {
      n.setLocality(Locality.newBuilder().setRegion(region).setZone(zone));
    }
    return n.build();
  }

  /** Every resource reachable from {@code listener}, LDS first, then RDS, CDS and EDS. */
  static List<Any> fetch(int xdsPort, Node node, String listener) throws Exception {
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", xdsPort).usePlaintext().build();
    BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    inbox.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    inbox.add(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    try {
      List<Any> out = new ArrayList<>();
      List<Any> listeners = request(requests, inbox, node, LDS, List.of(listener));
      out.addAll(listeners);
      Set<String> routeNames = new TreeSet<>();
      for (Any a : listeners) {
        Listener l = a.unpack(Listener.class);
        HttpConnectionManager hcm =
            l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        if (hcm.hasRds()) {
          routeNames.add(hcm.getRds().getRouteConfigName());
        }
      }
      Set<String> clusterNames = new TreeSet<>();
      if (!routeNames.isEmpty()) {
        List<Any> routes = request(requests, inbox, null, RDS, routeNames);
        out.addAll(routes);
        for (Any a : routes) {
          clusterNames.addAll(clusters(a.unpack(RouteConfiguration.class)));
        }
      }
      if (!clusterNames.isEmpty()) {
        List<Any> clusters = request(requests, inbox, null, CDS, clusterNames);
        out.addAll(clusters);
        Set<String> edsNames = new TreeSet<>();
        for (Any a : clusters) {
          Cluster c = a.unpack(Cluster.class);
          if (c.getType() == Cluster.DiscoveryType.EDS) {
            String service = c.getEdsClusterConfig().getServiceName();
            edsNames.add(service.isEmpty() ? c.getName() : service);
          }
        }
        if (!edsNames.isEmpty()) {
          out.addAll(request(requests, inbox, null, EDS, edsNames));
        }
      }
      requests.onCompleted();
      return out;
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static List<Any> request(
      StreamObserver<DiscoveryRequest> requests,
      BlockingQueue<Object> inbox,
      Node node,
      String type,
      Collection<String> names)
      throws Exception {
    DiscoveryRequest.Builder r =
        DiscoveryRequest.newBuilder().setTypeUrl(type).addAllResourceNames(names);
    if (node != null) {
      r.setNode(node);
    }
    requests.onNext(r.build());
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Object next = inbox.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (next == null) {
        throw new AssertionError("istiod sent no " + type + " for " + names + " within 10 s");
      }
      if (next instanceof Throwable t) {
        throw new AssertionError("the ADS stream failed while fetching " + type, t);
      }
      DiscoveryResponse response = (DiscoveryResponse) next;
      if (response.getTypeUrl().equals(type)) {
        return response.getResourcesList();
      }
    }
  }

  private static Set<String> clusters(RouteConfiguration rc) throws InvalidProtocolBufferException {
    Set<String> out = new TreeSet<>();
    for (VirtualHost vh : rc.getVirtualHostsList()) {
      for (Route route : vh.getRoutesList()) {
        if (!route.hasRoute()) {
          continue;
        }
        RouteAction action = route.getRoute();
        if (!action.getCluster().isEmpty()) {
          out.add(action.getCluster());
        }
        for (WeightedCluster.ClusterWeight w : action.getWeightedClusters().getClustersList()) {
          out.add(w.getName());
        }
      }
    }
    return out;
  }
}
