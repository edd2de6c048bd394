package io.jistiod.it.load;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.Channel;
import java.util.Map;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One simulated xDS client of the comparison: its identity as pilot-agent or a gRPC bootstrap
 * presents it, the time it first had its whole configuration, and the change it currently waits
 * for. A stream that fails (pilot-discovery refuses streams above its connection rate limit) is
 * opened again after a second, from scratch, as Envoy and gRPC do.
 */
abstract class LoadProxy {
  static final String ISTIO_VERSION = "1.27.0";

  final int index;
  final String ip;
  final String name;
  final String namespace;
  private final ByteCounts bytes;
  private final ScheduledExecutorService retries;
  private Channel channel;
  private volatile boolean closed;
  private volatile Expectation expectation;
  private volatile long metAtNanos;
  private volatile long configuredAtNanos;
  volatile int reconnects;
  volatile Throwable lastError;

  LoadProxy(int index, String namespace, ByteCounts bytes, ScheduledExecutorService retries) {
    this.index = index;
    this.ip = "127.1." + (index / 250) + "." + (index % 250 + 1);
    this.name = (this instanceof GrpcProxy ? "grpc-" : "sidecar-") + index;
    this.namespace = namespace;
    this.bytes = bytes;
    this.retries = retries;
  }

  /** Opens the stream and sends the first subscriptions. */
  final void connect(Channel channel) {
    this.channel = channel;
    open(channel);
  }

  /** A fresh stream with no state from the previous one. */
  abstract void open(Channel channel);

  /** Counts of the current resources per type (short names: cds, lds, rds, eds). */
  abstract Map<String, Integer> counts();

  /** Called by a stream's observer when it fails: start over after a second. */
  final void failed(Throwable t) {
    lastError = t;
    if (closed) {
      return;
    }
    reconnects++;
    retries.schedule(
        () -> {
          if (!closed) {
            open(channel);
          }
        },
        1,
        TimeUnit.SECONDS);
  }

  abstract void closeStream();

  final void close() {
    closed = true;
    closeStream();
  }

  final void received(String typeUrl, int serializedBytes) {
    bytes.add(this instanceof GrpcProxy ? "grpc" : "sidecar", typeUrl, serializedBytes);
  }

  /** Waits for {@code e} from now on (null: nothing). */
  final void expect(Expectation e) {
    metAtNanos = 0;
    expectation = e;
  }

  /** Whether {@code resource} shows what this proxy waits for (checked before the ACK). */
  final boolean shows(String type, String resourceName, Any resource) {
    Expectation e = expectation;
    return e != null && metAtNanos == 0 && e.metBy(type, resourceName, resource);
  }

  /** Records that the awaited change arrived and was ACKed. */
  final void met() {
    if (metAtNanos == 0) {
      metAtNanos = System.nanoTime();
    }
  }

  /** When the awaited change was ACKed (System.nanoTime), 0 if not yet. */
  final long metAtNanos() {
    return metAtNanos;
  }

  final void markConfigured() {
    if (configuredAtNanos == 0) {
      configuredAtNanos = System.nanoTime();
    }
  }

  final boolean configured() {
    return configuredAtNanos != 0;
  }

  final long configuredAtNanos() {
    return configuredAtNanos;
  }

  /** The node as pilot-agent (or a proxyless gRPC bootstrap) sends it. */
  final Node node(boolean proxyless) {
    String app = "app-" + (index % 20);
    Struct labels =
        Struct.newBuilder()
            .putFields("app", str(app))
            .putFields("version", str("v1"))
            .putFields("security.istio.io/tlsMode", str("istio"))
            .putFields("service.istio.io/canonical-name", str(app))
            .putFields("service.istio.io/canonical-revision", str("v1"))
            .build();
    Struct.Builder meta =
        Struct.newBuilder()
            .putFields("NAMESPACE", str(namespace))
            .putFields("NAME", str(name))
            .putFields("POD_NAME", str(name))
            .putFields("LABELS", Value.newBuilder().setStructValue(labels).build())
            .putFields("ISTIO_VERSION", str(ISTIO_VERSION))
            .putFields("CLUSTER_ID", str("Kubernetes"))
            .putFields("MESH_ID", str("cluster.local"))
            .putFields("SERVICE_ACCOUNT", str("default"))
            .putFields("WORKLOAD_NAME", str(app))
            .putFields(
                "OWNER",
                str("kubernetes://apis/apps/v1/namespaces/" + namespace + "/deployments/" + app))
            // a comma-separated string in pilot-agent's metadata, not a list
            .putFields("INSTANCE_IPS", str(ip));
    if (proxyless) {
      meta.putFields("GENERATOR", str("grpc"));
    } else {
      meta.putFields("INTERCEPTION_MODE", str("REDIRECT"))
          .putFields("ENVOY_STATUS_PORT", Value.newBuilder().setNumberValue(15021).build())
          .putFields("ENVOY_PROMETHEUS_PORT", Value.newBuilder().setNumberValue(15090).build());
    }
    return Node.newBuilder()
        .setId(
            "sidecar~" + ip + "~" + name + "." + namespace + "~" + namespace + ".svc.cluster.local")
        .setCluster(app + "." + namespace)
        .setUserAgentName(proxyless ? "gRPC Java" : "envoy")
        .setMetadata(meta)
        .build();
  }

  private static Value str(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }
}
