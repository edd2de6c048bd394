package io.jistiod.it.vm;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A VM's pilot-agent 1.27 as istiod sees it on plaintext ADS: the node it sends for a workload of a
 * WorkloadGroup (AUTO_REGISTER_GROUP and the rest of ISTIO_META_*), a first CDS request, and the
 * health reports its readiness probe produces (type istio.v1.HealthInformation).
 */
final class VmAgentClient implements AutoCloseable {
  private static final String CDS = "type.googleapis.com/envoy.config.cluster.v3.Cluster";
  private static final String HEALTH = "type.googleapis.com/istio.v1.HealthInformation";

  private final ManagedChannel channel;
  private final StreamObserver<DiscoveryRequest> requests;
  private final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
  private volatile Status error;

  VmAgentClient(int port, Node node) {
    this(port, node, CDS, List.of());
  }

  /** A client whose first request asks for {@code names} of {@code typeUrl}. */
  VmAgentClient(int port, Node node, String typeUrl, List<String> names) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .streamAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DiscoveryResponse r) {
                    responses.add(r);
                  }

                  @Override
                  public void onError(Throwable t) {
                    error = Status.fromThrowable(t);
                  }

                  @Override
                  public void onCompleted() {}
                });
    send(
        DiscoveryRequest.newBuilder().setNode(node).setTypeUrl(typeUrl).addAllResourceNames(names));
  }

  /** The node pilot-agent sends for a VM at {@code ip} of {@code group} in {@code namespace}. */
  static Node node(String namespace, String group, String ip) {
    Struct labels =
        Struct.newBuilder()
            .putFields("app", str("ratings"))
            .putFields("version", str("v1"))
            .putFields("istio-locality", str("eu-west.eu-west-1a"))
            .build();
    Struct probe =
        Struct.newBuilder()
            .putFields("periodSeconds", Value.newBuilder().setNumberValue(5).build())
            .putFields(
                "httpGet",
                Value.newBuilder()
                    .setStructValue(
                        Struct.newBuilder()
                            .putFields("path", str("/ready"))
                            .putFields("port", Value.newBuilder().setNumberValue(8080).build()))
                    .build())
            .build();
    Struct proxyConfig =
        Struct.newBuilder()
            .putFields("discoveryAddress", str("istiod.istio-system.svc:15012"))
            .putFields("readinessProbe", Value.newBuilder().setStructValue(probe).build())
            .build();
    Struct meta =
        Struct.newBuilder()
            .putFields("AUTO_REGISTER_GROUP", str(group))
            .putFields("NAMESPACE", str(namespace))
            .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
            .putFields("INSTANCE_IPS", str(ip))
            .putFields("SERVICE_ACCOUNT", str("ratings-vm"))
            .putFields("NETWORK", str("vm-network"))
            .putFields("CLUSTER_ID", str("Kubernetes"))
            .putFields("ISTIO_VERSION", str("1.27.0"))
            .putFields("DNS_CAPTURE", str("true"))
            .putFields("DNS_AUTO_ALLOCATE", str("true"))
            .putFields("PROXY_CONFIG", Value.newBuilder().setStructValue(proxyConfig).build())
            .build();
    return Node.newBuilder()
        .setId("sidecar~" + ip + "~vm-1." + namespace + "~" + namespace + ".svc.cluster.local")
        .setCluster("ratings." + namespace)
        .setLocality(Locality.newBuilder().setRegion("eu-west").setZone("eu-west-1a"))
        .setMetadata(meta)
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  private synchronized void send(DiscoveryRequest.Builder r) {
    requests.onNext(r.build());
  }

  /** What the agent sends when its probe's result changes. */
  void health(boolean healthy, String message) {
    DiscoveryRequest.Builder r = DiscoveryRequest.newBuilder().setTypeUrl(HEALTH);
    if (!healthy) {
      r.setErrorDetail(com.google.rpc.Status.newBuilder().setCode(500).setMessage(message));
    }
    send(r);
  }

  /** Waits for the first response: the stream was accepted (and the VM registered). */
  DiscoveryResponse awaitServed(Duration wait) throws InterruptedException {
    DiscoveryResponse r = responses.poll(wait.toMillis(), TimeUnit.MILLISECONDS);
    if (r == null) {
      throw new AssertionError("not served within " + wait + (error == null ? "" : ": " + error));
    }
    return r;
  }

  /** Waits for the stream to be refused, and returns how. */
  Status awaitRefusal(Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (error == null && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    if (error == null) {
      throw new AssertionError("not refused within " + wait);
    }
    return error;
  }

  /**
   * The endpoint addresses (with Envoy's health status) a sidecar in {@code namespace} is sent for
   * {@code cluster}, from a fresh stream's first EDS response.
   */
  static List<String> endpoints(int port, String namespace, String cluster) throws Exception {
    Node sidecar =
        Node.newBuilder()
            .setId("sidecar~10.77.1.1~client." + namespace + "~" + namespace + ".svc.cluster.local")
            .setMetadata(
                Struct.newBuilder()
                    .putFields("NAMESPACE", str(namespace))
                    .putFields("ISTIO_VERSION", str("1.27.0"))
                    .putFields("CLUSTER_ID", str("Kubernetes")))
            .build();
    try (VmAgentClient c =
        new VmAgentClient(
            port,
            sidecar,
            "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
            List.of(cluster))) {
      DiscoveryResponse r = c.awaitServed(Duration.ofSeconds(30));
      List<String> out = new java.util.ArrayList<>();
      for (var any : r.getResourcesList()) {
        var cla = any.unpack(io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment.class);
        for (var locality : cla.getEndpointsList()) {
          for (var e : locality.getLbEndpointsList()) {
            out.add(
                e.getEndpoint().getAddress().getSocketAddress().getAddress()
                    + " "
                    + e.getHealthStatus());
          }
        }
      }
      java.util.Collections.sort(out);
      return out;
    }
  }

  @Override
  public void close() {
    try {
      requests.onCompleted();
    } catch (RuntimeException e) {
      // already ended
    }
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
