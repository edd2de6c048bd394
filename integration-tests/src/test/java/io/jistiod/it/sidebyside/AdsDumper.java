package io.jistiod.it.sidebyside;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Fetches what an xDS server sends one Envoy proxy, as Envoy asks for it over state-of-the-world
 * ADS: CDS and LDS wildcard, then EDS for the EDS clusters' service names and RDS for the route
 * configurations the listeners' HTTP connection managers name.
 */
public final class AdsDumper {
  public static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  public static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  public static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  public static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  /** File suffix per type: lds, rds, cds, eds. */
  public static final Map<String, String> SUFFIX =
      Map.of(LDS, "lds", RDS, "rds", CDS, "cds", EDS, "eds");

  private static final Duration WAIT =
      Duration.ofSeconds(Long.getLong("jistiod.ads.wait.seconds", 15));

  private AdsDumper() {}

  /** What one proxy was sent, per type URL, resources by name. */
  public record Snapshot(Map<String, SortedMap<String, Any>> byType, Map<String, String> failures) {
    public SortedMap<String, Any> of(String typeUrl) {
      return byType.getOrDefault(typeUrl, new TreeMap<>());
    }
  }

  public static Snapshot fetch(int port, Node node) throws IOException, InterruptedException {
    return fetch(port, node, false);
  }

  public static Snapshot fetch(int port, Node node, boolean lenient)
      throws IOException, InterruptedException {
    return fetch(port, node, lenient, null);
  }

  public static Snapshot fetch(int port, Node node, boolean lenient, Snapshot alsoAsk)
      throws IOException, InterruptedException {
    ManagedChannel channel = plaintextChannel(port);
    try {
      return fetch(channel, node, lenient, alsoAsk);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** A plaintext channel to the ADS port on loopback, with room for large responses. */
  private static ManagedChannel plaintextChannel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port)
        .usePlaintext()
        .maxInboundMessageSize(64 << 20)
        .build();
  }

  public static Snapshot fetch(ManagedChannel channel, Node node)
      throws IOException, InterruptedException {
    return fetch(channel, node, false);
  }

  /**
   * With {@code lenient}, a type that gets no answer (or a stream error) is reported in {@link
   * Snapshot#failures} and taken as empty, instead of failing the fetch. Each type is fetched on a
   * stream of its own, so one refused type does not hide the others.
   */
  public static Snapshot fetch(ManagedChannel channel, Node node, boolean lenient)
      throws IOException, InterruptedException {
    return fetch(channel, node, lenient, null);
  }

  /**
   * With {@code alsoAsk} (another server's snapshot for the same proxy), EDS and RDS are also asked
   * for the names that server's clusters and listeners use, so endpoints and routes can be compared
   * even where this server's clusters or listeners differ.
   */
  public static Snapshot fetch(ManagedChannel channel, Node node, boolean lenient, Snapshot alsoAsk)
      throws IOException, InterruptedException {
    Map<String, SortedMap<String, Any>> byType = new TreeMap<>();
    Map<String, String> failures = new TreeMap<>();
    byType.put(CDS, one(channel, node, CDS, List.of(), lenient, failures));
    Set<String> edsNames = new TreeSet<>(edsServiceNames(byType.get(CDS)));
    if (alsoAsk != null) {
      edsNames.addAll(edsServiceNames(alsoAsk.of(CDS)));
    }
    if (!edsNames.isEmpty()) {
      byType.put(EDS, one(channel, node, EDS, List.copyOf(edsNames), lenient, failures));
    }
    byType.put(LDS, one(channel, node, LDS, List.of(), lenient, failures));
    Set<String> rdsNames = new TreeSet<>(routeNames(byType.get(LDS)));
    if (alsoAsk != null) {
      rdsNames.addAll(routeNames(alsoAsk.of(LDS)));
    }
    if (!rdsNames.isEmpty()) {
      byType.put(RDS, one(channel, node, RDS, List.copyOf(rdsNames), lenient, failures));
    }
    return new Snapshot(byType, failures);
  }

  /**
   * As a proxyless gRPC client asks (gRPC never subscribes to every listener or cluster): the
   * listeners it dials or serves by name, the route configurations they name, the clusters those
   * routes send to, and the endpoints of those clusters. With {@code alsoAsk}, the names the other
   * server's answers use are asked too.
   */
  public static Snapshot fetchByName(
      int port, Node node, List<String> listeners, boolean lenient, Snapshot alsoAsk)
      throws IOException, InterruptedException {
    ManagedChannel channel = plaintextChannel(port);
    try {
      Map<String, SortedMap<String, Any>> byType = new TreeMap<>();
      Map<String, String> failures = new TreeMap<>();
      byType.put(LDS, one(channel, node, LDS, List.copyOf(listeners), lenient, failures));
      Set<String> rdsNames = new TreeSet<>(routeNames(byType.get(LDS)));
      if (alsoAsk != null) {
        rdsNames.addAll(routeNames(alsoAsk.of(LDS)));
      }
      if (!rdsNames.isEmpty()) {
        byType.put(RDS, one(channel, node, RDS, List.copyOf(rdsNames), lenient, failures));
      }
      Set<String> cdsNames =
          new TreeSet<>(routeClusters(byType.getOrDefault(RDS, new TreeMap<>())));
      if (alsoAsk != null) {
        cdsNames.addAll(routeClusters(alsoAsk.of(RDS)));
      }
      if (!cdsNames.isEmpty()) {
        byType.put(CDS, one(channel, node, CDS, List.copyOf(cdsNames), lenient, failures));
      }
      Set<String> edsNames =
          new TreeSet<>(edsServiceNames(byType.getOrDefault(CDS, new TreeMap<>())));
      if (alsoAsk != null) {
        edsNames.addAll(edsServiceNames(alsoAsk.of(CDS)));
      }
      if (!edsNames.isEmpty()) {
        byType.put(EDS, one(channel, node, EDS, List.copyOf(edsNames), lenient, failures));
      }
      return new Snapshot(byType, failures);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The clusters the routes send to: a route's cluster or each of its weighted clusters. */
  static List<String> routeClusters(SortedMap<String, Any> routeConfigs)
      throws InvalidProtocolBufferException {
    Set<String> names = new TreeSet<>();
    for (Any a : routeConfigs.values()) {
      for (var vh : a.unpack(RouteConfiguration.class).getVirtualHostsList()) {
        for (var r : vh.getRoutesList()) {
          if (!r.hasRoute()) {
            continue;
          }
          if (!r.getRoute().getCluster().isEmpty()) {
            names.add(r.getRoute().getCluster());
          }
          for (var wc : r.getRoute().getWeightedClusters().getClustersList()) {
            names.add(wc.getName());
          }
        }
      }
    }
    return new ArrayList<>(names);
  }

  private static SortedMap<String, Any> one(
      ManagedChannel channel,
      Node node,
      String typeUrl,
      List<String> names,
      boolean lenient,
      Map<String, String> failures)
      throws IOException, InterruptedException {
    BlockingQueue<Object> inbox = new LinkedBlockingQueue<>();
    StreamObserver<DiscoveryRequest> out =
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
                  public void onCompleted() {
                    inbox.add(new IOException("stream closed by the server"));
                  }
                });
    try {
      return index(request(out, inbox, node, typeUrl, names), typeUrl);
    } catch (IOException e) {
      if (!lenient) {
        throw e;
      }
      failures.put(typeUrl, e.getMessage());
      return new TreeMap<>();
    } finally {
      out.onCompleted();
    }
  }

  /** Sends a request for {@code typeUrl}, waits for its response and ACKs it. */
  private static DiscoveryResponse request(
      StreamObserver<DiscoveryRequest> out,
      BlockingQueue<Object> inbox,
      Node node,
      String typeUrl,
      List<String> names)
      throws IOException, InterruptedException {
    out.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl(typeUrl)
            .addAllResourceNames(names)
            .build());
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (true) {
      long left = deadline - System.nanoTime();
      Object o = inbox.poll(Math.max(left, 0), TimeUnit.NANOSECONDS);
      if (o == null) {
        throw new IOException("no " + typeUrl + " response within " + WAIT);
      }
      if (o instanceof Throwable t) {
        throw new IOException("ADS stream failed: " + t, t);
      }
      DiscoveryResponse r = (DiscoveryResponse) o;
      out.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(r.getTypeUrl())
              .setVersionInfo(r.getVersionInfo())
              .setResponseNonce(r.getNonce())
              .addAllResourceNames(r.getTypeUrl().equals(typeUrl) ? names : List.of())
              .build());
      if (r.getTypeUrl().equals(typeUrl)) {
        return r;
      }
    }
  }

  private static SortedMap<String, Any> index(DiscoveryResponse r, String typeUrl)
      throws InvalidProtocolBufferException {
    SortedMap<String, Any> out = new TreeMap<>();
    for (Any a : r.getResourcesList()) {
      out.put(nameOf(a, typeUrl), a);
    }
    return out;
  }

  static String nameOf(Any a, String typeUrl) throws InvalidProtocolBufferException {
    return switch (typeUrl) {
      case LDS -> a.unpack(Listener.class).getName();
      case RDS -> a.unpack(RouteConfiguration.class).getName();
      case CDS -> a.unpack(Cluster.class).getName();
      case EDS -> a.unpack(ClusterLoadAssignment.class).getClusterName();
      default -> throw new IllegalArgumentException(typeUrl);
    };
  }

  /** The EDS names Envoy would ask for: service_name (or the name) of each EDS cluster. */
  static List<String> edsServiceNames(SortedMap<String, Any> clusters)
      throws InvalidProtocolBufferException {
    Set<String> names = new TreeSet<>();
    for (Any a : clusters.values()) {
      Cluster c = a.unpack(Cluster.class);
      if (c.hasType() && c.getType() == Cluster.DiscoveryType.EDS) {
        String sn = c.getEdsClusterConfig().getServiceName();
        names.add(sn.isEmpty() ? c.getName() : sn);
      }
    }
    return new ArrayList<>(names);
  }

  /** The RDS names the listeners' HTTP connection managers refer to. */
  static List<String> routeNames(SortedMap<String, Any> listeners)
      throws InvalidProtocolBufferException {
    Set<String> names = new TreeSet<>();
    for (Any a : listeners.values()) {
      Listener l = a.unpack(Listener.class);
      // a proxyless client's listener is an API listener carrying its HCM directly
      if (l.hasApiListener()
          && l.getApiListener().getApiListener().is(HttpConnectionManager.class)) {
        HttpConnectionManager hcm =
            l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
        if (hcm.hasRds()) {
          names.add(hcm.getRds().getRouteConfigName());
        }
      }
      List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (FilterChain fc : chains) {
        for (Filter f : fc.getFiltersList()) {
          if (f.hasTypedConfig() && f.getTypedConfig().is(HttpConnectionManager.class)) {
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
            if (hcm.hasRds()) {
              names.add(hcm.getRds().getRouteConfigName());
            }
          }
        }
      }
    }
    return new ArrayList<>(names);
  }
}
