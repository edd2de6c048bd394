package io.jistiod.it.support;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A delta ADS client that subscribes the way Envoy does: clusters and listeners by wildcard, then
 * the endpoints of its EDS clusters and the route configurations its listeners name, ACKing every
 * response. It keeps the current resources per type; NACKs nothing (it has no opinion on content).
 */
public final class DeltaAdsClient implements AutoCloseable {
  public static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  public static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  public static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  public static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  private final StreamObserver<DeltaDiscoveryRequest> requests;
  private final Map<String, Map<String, Any>> resources = new HashMap<>();
  private final Map<String, Set<String>> subscribed = new HashMap<>();
  private volatile Throwable error;
  private volatile boolean completed;
  private int responses;

  public DeltaAdsClient(Channel channel, Node node) {
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .deltaAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DeltaDiscoveryResponse r) {
                    try {
                      handle(r);
                    } catch (RuntimeException | InvalidProtocolBufferException e) {
                      error = e;
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    error = t;
                  }

                  @Override
                  public void onCompleted() {
                    completed = true;
                  }
                });
    synchronized (this) {
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node).setTypeUrl(CDS).build());
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(LDS).build());
    }
  }

  private synchronized void handle(DeltaDiscoveryResponse r) throws InvalidProtocolBufferException {
    responses++;
    Map<String, Any> current = resources.computeIfAbsent(r.getTypeUrl(), t -> new TreeMap<>());
    for (Resource res : r.getResourcesList()) {
      current.put(res.getName(), res.getResource());
    }
    r.getRemovedResourcesList().forEach(current::remove);
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(r.getTypeUrl())
            .setResponseNonce(r.getNonce())
            .build());
    if (r.getTypeUrl().equals(CDS)) {
      Set<String> eds = new TreeSet<>();
      for (Any a : current.values()) {
        Cluster c = a.unpack(Cluster.class);
        if (c.getType() == Cluster.DiscoveryType.EDS) {
          String service = c.getEdsClusterConfig().getServiceName();
          eds.add(service.isEmpty() ? c.getName() : service);
        }
      }
      follow(EDS, eds);
    } else if (r.getTypeUrl().equals(LDS)) {
      Set<String> rds = new TreeSet<>();
      for (Any a : current.values()) {
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
                rds.add(hcm.getRds().getRouteConfigName());
              }
            }
          }
        }
      }
      follow(RDS, rds);
    }
  }

  /** Subscribes to what is newly wanted and unsubscribes from what no longer is. */
  private void follow(String type, Set<String> wanted) {
    Set<String> before = subscribed.computeIfAbsent(type, t -> new TreeSet<>());
    Set<String> add = new TreeSet<>(wanted);
    add.removeAll(before);
    Set<String> drop = new TreeSet<>(before);
    drop.removeAll(wanted);
    if (add.isEmpty() && drop.isEmpty()) {
      return;
    }
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(type)
            .addAllResourceNamesSubscribe(add)
            .addAllResourceNamesUnsubscribe(drop)
            .build());
    before.clear();
    before.addAll(wanted);
    Map<String, Any> current = resources.get(type);
    if (current != null) {
      current.keySet().retainAll(wanted);
    }
  }

  /** The current resources of {@code type}, by name. */
  public synchronized Map<String, Any> resources(String type) {
    return Map.copyOf(resources.getOrDefault(type, Map.of()));
  }

  /** Every current resource of every type. */
  public synchronized List<Any> all() {
    List<Any> out = new ArrayList<>();
    resources.values().forEach(m -> out.addAll(m.values()));
    return out;
  }

  public synchronized int responses() {
    return responses;
  }

  /** The stream's failure, if it failed. */
  public Throwable error() {
    return error;
  }

  public boolean completed() {
    return completed;
  }

  @Override
  public synchronized void close() {
    requests.onCompleted();
  }
}
