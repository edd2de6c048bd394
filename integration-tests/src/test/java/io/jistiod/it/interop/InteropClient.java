package io.jistiod.it.interop;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.TypeRegistry;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.http.fault.v3.HTTPFault;
import io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC;
import io.envoyproxy.envoy.extensions.filters.http.router.v3.Router;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;
import io.envoyproxy.envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;
import io.envoyproxy.envoy.service.status.v3.ClientStatusDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.status.v3.ClientStatusRequest;
import io.envoyproxy.envoy.service.status.v3.ClientStatusResponse;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.testing.integration.LoadBalancerStatsServiceGrpc;
import io.grpc.testing.integration.Messages.ClientConfigureRequest;
import io.grpc.testing.integration.Messages.LoadBalancerAccumulatedStatsRequest;
import io.grpc.testing.integration.Messages.LoadBalancerAccumulatedStatsResponse;
import io.grpc.testing.integration.Messages.LoadBalancerStatsRequest;
import io.grpc.testing.integration.Messages.LoadBalancerStatsResponse;
import io.grpc.testing.integration.XdsUpdateClientConfigureServiceGrpc;
import io.jistiod.it.support.FreePorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An xDS interop test client as its own process (grpc-java's {@code XdsTestClient}, or grpc-go's
 * interop client), bootstrapped to our istiod, and the test driver's side of it: its {@code
 * LoadBalancerStatsService} and {@code XdsUpdateClientConfigureService} on its stats port, and its
 * CSDS (the xDS resources as the client holds them, with NACK details) for failure messages.
 */
final class InteropClient implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final Process process;
  private final Path log;
  private final int statsPort;
  private final ManagedChannel channel;

  private InteropClient(String name, Process process, Path log, int statsPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.statsPort = statsPort;
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", statsPort).usePlaintext().build();
  }

  /**
   * A gRPC bootstrap for a proxyless client in namespace {@code ns}, as pilot-agent writes it: node
   * id {@code sidecar~127.0.0.1~xds-client.NS~NS.svc.cluster.local}, metadata GENERATOR=grpc and
   * NAMESPACE, and the node's locality if {@code zone} is given.
   */
  static Path bootstrap(Path dir, int xdsPort, String ns, String region, String zone)
      throws IOException {
    Map<String, Object> node = new LinkedHashMap<>();
    node.put("id", "sidecar~127.0.0.1~xds-client." + ns + "~" + ns + ".svc.cluster.local");
    node.put("metadata", Map.of("GENERATOR", "grpc", "NAMESPACE", ns));
    if (zone != null) {
      node.put("locality", Map.of("region", region, "zone", zone));
    }
    Map<String, Object> bootstrap =
        Map.of(
            "xds_servers",
            List.of(
                Map.of(
                    "server_uri", "127.0.0.1:" + xdsPort,
                    "channel_creds", List.of(Map.of("type", "insecure")),
                    "server_features", List.of("xds_v3"))),
            "node",
            node);
    Path file = dir.resolve("bootstrap-" + ns + ".json");
    Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(bootstrap));
    return file;
  }

  /**
   * grpc-java's {@code XdsTestClient}: {@code --server=TARGET --qps=QPS --stats_port=...} plus
   * {@code extraArgs} ({@code --rpc=...}, {@code --metadata=...}, {@code --rpc_timeout_sec=...}).
   * Its xDS client logs at FINE (NACK reasons included) go to its log.
   */
  static InteropClient java(
      Path dir, Path bootstrap, String target, int qps, List<String> extraArgs)
      throws IOException, InterruptedException {
    int statsPort = FreePorts.loopback();
    Path logging = dir.resolve("client-logging.properties");
    Files.writeString(
        logging,
        String.join(
            "\n",
            "handlers=java.util.logging.ConsoleHandler",
            "java.util.logging.ConsoleHandler.level=FINE",
            "java.util.logging.SimpleFormatter.format=%1$tT.%1$tL %4$s %3$s: %5$s%6$s%n",
            ".level=INFO",
            "io.grpc.xds.level=FINE",
            ""));
    List<String> cmd =
        new ArrayList<>(
            Jvm.command(
                "io.grpc.testing.integration.XdsTestClient",
                "-Djava.util.logging.config.file=" + logging));
    cmd.add("--server=" + target);
    cmd.add("--qps=" + qps);
    cmd.add("--stats_port=" + statsPort);
    cmd.addAll(extraArgs);
    return start(
        "grpc-java XdsTestClient", cmd, bootstrap, dir.resolve("client-java.log"), statsPort);
  }

  /** grpc-go's xDS interop client (a binary built by build-grpc-go-client.sh). */
  static InteropClient go(
      Path binary, Path dir, Path bootstrap, String target, int qps, List<String> extraArgs)
      throws IOException, InterruptedException {
    int statsPort = FreePorts.loopback();
    List<String> cmd = new ArrayList<>();
    cmd.add(binary.toString());
    cmd.add("--server=" + target);
    cmd.add("--qps=" + qps);
    cmd.add("--stats_port=" + statsPort);
    cmd.addAll(extraArgs);
    return start("grpc-go xds client", cmd, bootstrap, dir.resolve("client-go.log"), statsPort);
  }

  private static InteropClient start(
      String name, List<String> cmd, Path bootstrap, Path log, int statsPort)
      throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("GRPC_XDS_BOOTSTRAP", bootstrap.toString());
    // grpc-go: its xDS client's warnings (NACKs) in the log.
    pb.environment().put("GRPC_GO_LOG_SEVERITY_LEVEL", "warning");
    Process p = pb.start();
    InteropClient client = new InteropClient(name, p, log, statsPort);
    try {
      client.awaitStatsPort(Duration.ofSeconds(60));
    } catch (IOException | RuntimeException e) {
      client.close();
      throw e;
    }
    return client;
  }

  private void awaitStatsPort(Duration timeout) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), statsPort), 500);
        return;
      } catch (IOException e) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          throw new IOException(
              name
                  + (process.isAlive() ? " did not open its stats port" : " exited")
                  + ":\n"
                  + logTail());
        }
        Thread.sleep(100);
      }
    }
  }

  /** The peer distribution of the next {@code numRpcs} RPCs the client sends. */
  LoadBalancerStatsResponse stats(int numRpcs, int timeoutSec) {
    return LoadBalancerStatsServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(timeoutSec + 10L, TimeUnit.SECONDS)
        .withWaitForReady()
        .getClientStats(
            LoadBalancerStatsRequest.newBuilder()
                .setNumRpcs(numRpcs)
                .setTimeoutSec(timeoutSec)
                .build());
  }

  /** RPCs started and their results, per RPC type, since the client started. */
  LoadBalancerAccumulatedStatsResponse accumulated() {
    return LoadBalancerStatsServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .withWaitForReady()
        .getClientAccumulatedStats(LoadBalancerAccumulatedStatsRequest.getDefaultInstance());
  }

  /** Changes which RPCs the client sends, their metadata and deadline, from now on. */
  void configure(ClientConfigureRequest request) {
    XdsUpdateClientConfigureServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS)
        .withWaitForReady()
        .configure(request);
  }

  boolean alive() {
    return process.isAlive();
  }

  /** The last part of the client's output (its xDS client logs NACK reasons there). */
  String logTail() {
    try {
      return InteropBackend.tail(Files.readString(log, StandardCharsets.UTF_8), 4000);
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * The client's xDS resources as it holds them (CSDS on its admin port): each resource's name,
   * status (ACKED, NACKED, DOES_NOT_EXIST...), NACK details and content, as JSON.
   */
  String csds() {
    try {
      ClientStatusResponse r =
          ClientStatusDiscoveryServiceGrpc.newBlockingStub(channel)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .fetchClientStatus(ClientStatusRequest.getDefaultInstance());
      TypeRegistry types =
          TypeRegistry.newBuilder()
              .add(Listener.getDescriptor())
              .add(HttpConnectionManager.getDescriptor())
              .add(Router.getDescriptor())
              .add(HTTPFault.getDescriptor())
              .add(RouteConfiguration.getDescriptor())
              .add(Cluster.getDescriptor())
              .add(ClusterLoadAssignment.getDescriptor())
              .add(UpstreamTlsContext.getDescriptor())
              .add(DownstreamTlsContext.getDescriptor())
              .add(RBAC.getDescriptor())
              .build();
      return JsonFormat.printer().usingTypeRegistry(types).print(r);
    } catch (Exception e) {
      return "(no CSDS: " + e + ")";
    }
  }

  /** What a failure message needs: the client's log tail and its xDS view. */
  String diagnostics() {
    String accumulated;
    try {
      accumulated = com.google.protobuf.TextFormat.shortDebugString(accumulated());
    } catch (RuntimeException e) {
      accumulated = "(none: " + e + ")";
    }
    return "\n--- "
        + name
        + " accumulated stats ---\n"
        + accumulated
        + "\n--- "
        + name
        + " log (tail) ---\n"
        + logTail()
        + "\n--- CSDS ---\n"
        + csds();
  }

  @Override
  public void close() throws InterruptedException {
    channel.shutdownNow();
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    channel.awaitTermination(5, TimeUnit.SECONDS);
  }
}
