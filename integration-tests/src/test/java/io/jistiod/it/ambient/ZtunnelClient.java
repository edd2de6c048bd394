package io.jistiod.it.ambient;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.Resource;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.pilot.api.workload.Address;
import io.jistiod.pilot.api.workload.security.Authorization;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A delta ADS client that asks for what ztunnel asks for at startup: every {@code
 * istio.workload.Address} and every {@code istio.security.Authorization} (wildcard), with ztunnel's
 * node id and metadata, ACKing each response. Keeps the current resources of each type by name, as
 * JSON, and every name a response removed.
 */
final class ZtunnelClient implements AutoCloseable {
  static final String ADDRESS = "type.googleapis.com/istio.workload.Address";
  static final String AUTHORIZATION = "type.googleapis.com/istio.security.Authorization";

  private final ManagedChannel channel;
  private final StreamObserver<DeltaDiscoveryRequest> requests;
  private final Map<String, Map<String, String>> resources = new TreeMap<>();
  private final Map<String, List<String>> removed = new TreeMap<>();
  private volatile Throwable error;

  ZtunnelClient(int port, String nodeName) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .deltaAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DeltaDiscoveryResponse r) {
                    try {
                      handle(r);
                    } catch (InvalidProtocolBufferException | RuntimeException e) {
                      error = e;
                    }
                  }

                  @Override
                  public void onError(Throwable t) {
                    error = t;
                  }

                  @Override
                  public void onCompleted() {}
                });
    synchronized (this) {
      requests.onNext(
          DeltaDiscoveryRequest.newBuilder().setNode(node(nodeName)).setTypeUrl(ADDRESS).build());
      requests.onNext(DeltaDiscoveryRequest.newBuilder().setTypeUrl(AUTHORIZATION).build());
    }
  }

  /** As ztunnel names itself: type ztunnel, its pod's IP, name and namespace; a few metadata. */
  static Node node(String nodeName) {
    return Node.newBuilder()
        .setId("ztunnel~10.244.99.1~ztunnel-e2e.istio-system~istio-system.svc.cluster.local")
        .setMetadata(
            Struct.newBuilder()
                .putFields("NAMESPACE", str("istio-system"))
                .putFields("NAME", str("ztunnel-e2e"))
                .putFields("NODE_NAME", str(nodeName))
                .putFields("CLUSTER_ID", str("Kubernetes"))
                .putFields("ISTIO_VERSION", str("1.27.0")))
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private synchronized void handle(DeltaDiscoveryResponse r) throws InvalidProtocolBufferException {
    Map<String, String> current = resources.computeIfAbsent(r.getTypeUrl(), t -> new TreeMap<>());
    for (Resource res : r.getResourcesList()) {
      current.put(res.getName(), json(res.getResource()));
    }
    for (String name : r.getRemovedResourcesList()) {
      current.remove(name);
      removed.computeIfAbsent(r.getTypeUrl(), t -> new ArrayList<>()).add(name);
    }
    requests.onNext(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(r.getTypeUrl())
            .setResponseNonce(r.getNonce())
            .build());
  }

  /** The resource as protobuf's JSON (fields in number order, IPs base64, defaults left out). */
  static String json(Any any) throws InvalidProtocolBufferException {
    if (any.getTypeUrl().equals(AUTHORIZATION)) {
      return JsonFormat.printer().print(any.unpack(Authorization.class));
    }
    return JsonFormat.printer().print(any.unpack(Address.class));
  }

  /** The current resources of {@code type}, by name, as JSON. */
  synchronized Map<String, String> resources(String type) {
    return Map.copyOf(resources.getOrDefault(type, Map.of()));
  }

  /** Every name a response of {@code type} removed, in order. */
  synchronized List<String> removed(String type) {
    return List.copyOf(removed.getOrDefault(type, List.of()));
  }

  Throwable error() {
    return error;
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
