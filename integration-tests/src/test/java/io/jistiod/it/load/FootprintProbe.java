package io.jistiod.it.load;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.listener.v3.Filter;
import io.envoyproxy.envoy.config.listener.v3.FilterChain;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The clients of integration-tests/load/footprint.sh: one Envoy-like sidecar (CDS and LDS wildcard,
 * then the EDS clusters and RDS routes they name, every response ACKed) and one proxyless gRPC
 * client on the sample mesh, so the control plane's idle footprint includes a connected proxy of
 * each kind, as Istio's own would. Prints "CONNECTED" once both have their config and keeps the
 * streams open until killed. Works against any ADS server (ours or the reference pilot-discovery).
 *
 * <p>Usage: {@code FootprintProbe XDS_PORT}
 */
public final class FootprintProbe {
  private static final String LDS = "type.googleapis.com/envoy.config.listener.v3.Listener";
  private static final String RDS = "type.googleapis.com/envoy.config.route.v3.RouteConfiguration";
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String EDS =
      "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment";

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    Sidecar sidecar = new Sidecar(channel);
    SimulatedProxy proxyless = new SimulatedProxy(0, true, channel, new AtomicLong());
    long t0 = System.nanoTime();
    sidecar.start();
    proxyless.start(List.of("greeter.default.svc.cluster.local"), 50051);
    long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
    while (!(sidecar.configured() && proxyless.hasAll())) {
      if (sidecar.error != null || proxyless.error != null) {
        throw new IllegalStateException(
            "xDS stream failed", sidecar.error != null ? sidecar.error : proxyless.error);
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("no complete config within 60 s: " + sidecar.describe());
      }
      Thread.sleep(20);
    }
    System.out.printf(
        "CONNECTED in %d ms; sidecar %s%n",
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), sidecar.describe());
    System.out.flush();
    Thread.currentThread().join(); // until the script kills us
  }

  /** A sidecar as Envoy asks: CDS and LDS wildcard first, then what they reference. */
  private static final class Sidecar {
    private final StreamObserver<DiscoveryRequest> requests;
    private final Map<String, Set<String>> names = new HashMap<>();
    private final Map<String, Integer> counts = new HashMap<>();
    private boolean first = true;
    volatile Throwable error;

    Sidecar(ManagedChannel channel) {
      requests =
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

    synchronized void start() {
      subscribe(CDS, Set.of());
      subscribe(LDS, Set.of());
    }

    /** Clusters and listeners received, and the endpoints and routes they name. */
    synchronized boolean configured() {
      return counts.containsKey(CDS)
          && counts.containsKey(LDS)
          && (names.getOrDefault(EDS, Set.of()).isEmpty() || counts.containsKey(EDS))
          && (names.getOrDefault(RDS, Set.of()).isEmpty() || counts.containsKey(RDS));
    }

    synchronized String describe() {
      return "clusters=%s listeners=%s endpoints=%s routes=%s"
          .formatted(counts.get(CDS), counts.get(LDS), counts.get(EDS), counts.get(RDS));
    }

    private synchronized void handle(DiscoveryResponse r) {
      String type = r.getTypeUrl();
      counts.put(type, r.getResourcesCount());
      Set<String> next = new TreeSet<>();
      try {
        for (Any a : r.getResourcesList()) {
          if (type.equals(CDS)) {
            Cluster c = a.unpack(Cluster.class);
            if (c.hasEdsClusterConfig()) {
              String n = c.getEdsClusterConfig().getServiceName();
              next.add(n.isEmpty() ? c.getName() : n);
            }
          } else if (type.equals(LDS)) {
            next.addAll(routeNames(a.unpack(Listener.class)));
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
      String child = type.equals(CDS) ? EDS : type.equals(LDS) ? RDS : null;
      if (child != null && !next.isEmpty() && !next.equals(names.get(child))) {
        subscribe(child, next);
      }
    }

    private static List<String> routeNames(Listener l) throws InvalidProtocolBufferException {
      List<String> out = new ArrayList<>();
      List<FilterChain> chains = new ArrayList<>(l.getFilterChainsList());
      if (l.hasDefaultFilterChain()) {
        chains.add(l.getDefaultFilterChain());
      }
      for (FilterChain fc : chains) {
        for (Filter f : fc.getFiltersList()) {
          if (f.getTypedConfig().is(HttpConnectionManager.class)) {
            HttpConnectionManager hcm = f.getTypedConfig().unpack(HttpConnectionManager.class);
            if (hcm.hasRds()) {
              out.add(hcm.getRds().getRouteConfigName());
            }
          }
        }
      }
      return out;
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

    private static Node node() {
      Struct meta =
          Struct.newBuilder()
              .putFields("NAMESPACE", str("default"))
              .putFields("ISTIO_VERSION", str("1.27.0"))
              .putFields(
                  "LABELS",
                  Value.newBuilder()
                      .setStructValue(Struct.newBuilder().putFields("app", str("probe")))
                      .build())
              .build();
      return Node.newBuilder()
          .setId("sidecar~127.0.0.2~probe-0.default~default.svc.cluster.local")
          .setMetadata(meta)
          .build();
    }

    private static Value str(String s) {
      return Value.newBuilder().setStringValue(s).build();
    }
  }

  private FootprintProbe() {}
}
