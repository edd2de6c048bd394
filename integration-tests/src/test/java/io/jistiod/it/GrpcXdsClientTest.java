package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.it.support.FreePorts;
import io.jistiod.it.support.WhoAmIServer;
import io.jistiod.it.support.XdsClients;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod in standalone mode, serving two real gRPC servers to grpc-java's own xDS client (LDS ->
 * RDS -> CDS -> EDS), with config changed by editing files while everything runs.
 */
class GrpcXdsClientTest {
  private static final String TARGET = "xds:///greeter.default.svc.cluster.local:50051";

  @TempDir Path configDir;
  private WhoAmIServer v1;
  private WhoAmIServer v2;
  private Istiod istiod;
  private ManagedChannel channel;

  @BeforeEach
  void setUp() throws IOException {
    v1 = new WhoAmIServer("v1", FreePorts.loopback());
    v2 = new WhoAmIServer("v2", FreePorts.loopback());
    Files.writeString(configDir.resolve("service.yaml"), service(v1.port(), v2.port()));
    writeSplit(80, 20);
    istiod =
        new Istiod(
            IstiodOptions.defaults(configDir)
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"));
    istiod.start();
    channel = XdsClients.channel(TARGET, istiod.grpcPort());
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (istiod != null) {
      istiod.close();
    }
    v1.close();
    v2.close();
  }

  @Test
  void weightedSplitFollowsTheFileWithoutRestart() throws IOException {
    // 80/20 over 1000 RPCs: each backend's share within 5 points.
    Map<String, Integer> counts = call(WhoAmIServer.WHO, 1000);
    assertThat(counts.getOrDefault("v1", 0)).isBetween(750, 850);
    assertThat(counts.getOrDefault("v2", 0)).isBetween(150, 250);

    // Rewrite to 0/100: within 5 s every call goes to v2.
    writeSplit(0, 100);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> call(WhoAmIServer.WHO, 50).equals(Map.of("v2", 50)));
    assertThat(call(WhoAmIServer.WHO, 200)).isEqualTo(Map.of("v2", 200));

    // Delete the VirtualService: back to the service's default route, both backends serve.
    Files.delete(configDir.resolve("virtualservice.yaml"));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> call(WhoAmIServer.WHO, 100).keySet().size() == 2);
  }

  @Test
  void pathAndHeaderMatchingPickTheRoute() throws IOException {
    // WhoAgain matches a path-prefix rule to v2; a header rule sends x-canary=always to v2 too.
    assertThat(call(WhoAmIServer.WHO_AGAIN, 100)).isEqualTo(Map.of("v2", 100));
    writeSplit(100, 0);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> call(WhoAmIServer.WHO, 50).equals(Map.of("v1", 50)));
    Metadata canary = new Metadata();
    canary.put(Metadata.Key.of("x-canary", Metadata.ASCII_STRING_MARSHALLER), "always");
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      String who =
          ClientCalls.blockingUnaryCall(
              channel.newCall(
                  WhoAmIServer.WHO,
                  io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)),
              "hi");
      counts.merge(who, 1, Integer::sum);
    }
    assertThat(counts).isEqualTo(Map.of("v1", 50));
    var stub =
        io.grpc.ClientInterceptors.intercept(
            channel, MetadataUtils.newAttachHeadersInterceptor(canary));
    Map<String, Integer> canaryCounts = new TreeMap<>();
    for (int i = 0; i < 50; i++) {
      String who =
          ClientCalls.blockingUnaryCall(
              stub,
              WhoAmIServer.WHO,
              io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
              "hi");
      canaryCounts.merge(who, 1, Integer::sum);
    }
    assertThat(canaryCounts).isEqualTo(Map.of("v2", 50));
  }

  @Test
  void metricsCountTheClientAndThePushes() throws Exception {
    call(WhoAmIServer.WHO, 10);
    String metrics = Http.get("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics");
    assertThat(metrics).contains("# TYPE pilot_xds gauge");
    assertThat(metrics).containsPattern("pilot_xds\\{version=\"[^\"]+\"\\} 1\\n");
    assertThat(metrics).containsPattern("pilot_xds_pushes\\{type=\"lds\"\\} [1-9]");
    assertThat(metrics).containsPattern("pilot_xds_pushes\\{type=\"eds\"\\} [1-9]");
    assertThat(metrics).doesNotContain("pilot_xds_pushes_total");
    assertThat(Http.status("http://127.0.0.1:" + istiod.httpPort() + "/ready")).isEqualTo(200);
  }

  private Map<String, Integer> call(MethodDescriptor<String, String> method, int n) {
    Map<String, Integer> counts = new TreeMap<>();
    for (int i = 0; i < n; i++) {
      String who =
          ClientCalls.blockingUnaryCall(
              channel,
              method,
              io.grpc.CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS),
              "hi");
      counts.merge(who, 1, Integer::sum);
    }
    return counts;
  }

  private void writeSplit(int w1, int w2) throws IOException {
    String vs =
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: greeter, namespace: default}
        spec:
          hosts: [greeter]
          http:
          - match: [{uri: {prefix: /jistiod.test.WhoAmI/WhoAgain}}]
            route: [{destination: {host: greeter, subset: v2}}]
          - match: [{headers: {x-canary: {exact: always}}}]
            route: [{destination: {host: greeter, subset: v2}}]
          - route:
            - {destination: {host: greeter, subset: v1}, weight: %d}
            - {destination: {host: greeter, subset: v2}, weight: %d}
        """
            .formatted(w1, w2);
    // Write then rename, as editors and ConfigMap mounts do, so the watcher never sees half a file.
    Path tmp = configDir.resolve(".virtualservice.yaml.tmp");
    Files.writeString(tmp, vs);
    Files.move(
        tmp,
        configDir.resolve("virtualservice.yaml"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }

  private static String service(int p1, int p2) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: greeter, namespace: default}
        spec:
          hosts: [greeter.default.svc.cluster.local]
          resolution: STATIC
          ports: [{name: grpc, number: 50051, protocol: GRPC}]
          endpoints:
          - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v1}}
          - {address: 127.0.0.1, ports: {grpc: %d}, labels: {version: v2}}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter, namespace: default}
        spec:
          host: greeter
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """
        .formatted(p1, p2);
  }
}
