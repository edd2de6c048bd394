package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.DeltaAdsClient;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import io.jistiod.pilot.xds.EnvoyJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * MeshConfig edits apply without a restart, pushed to connected proxies: the {@code istio}
 * ConfigMap of istiod's namespace on a real API server (istiod's source when no mesh file is
 * mounted), and the {@code --meshConfig} file.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class LiveMeshConfigE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (int i = cleanup.size() - 1; i >= 0; i--) {
      cleanup.get(i).close();
    }
  }

  @Test
  void editsOfTheIstioConfigMapArePushedWithoutARestart(Rig rig, TestNamespace ns)
      throws Exception {
    String n = ns.name();
    rig.apply(
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: %1$s}
        data:
          mesh: |
            outboundTrafficPolicy: {mode: REGISTRY_ONLY}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: alpha, namespace: %1$s}
        spec:
          ports: [{name: http, port: 80}]
        """
            .formatted(n));
    Istiod istiod = start(rig, n, null);
    DeltaAdsClient proxy = connect(istiod, n);
    String alpha = "outbound|80||alpha." + n + ".svc.cluster.local";

    // read at start: REGISTRY_ONLY sends unknown destinations to the black hole
    awaitOutboundDefault(proxy, "BlackHoleCluster");
    assertThat(proxy.resources(DeltaAdsClient.CDS)).containsKey(alpha);
    // REGISTRY_ONLY is the enum's zero value, which protojson leaves out (as istiod's /debug/mesh)
    assertThat(mesh(istiod).path("outboundTrafficPolicy").has("mode")).isFalse();

    // an edit: pushed to the connected proxy, on the same stream; discoverySelectors that this
    // (unlabelled) namespace does not match hide its services
    rig.apply(
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: %s}
        data:
          mesh: |
            outboundTrafficPolicy: {mode: ALLOW_ANY}
            discoverySelectors:
            - matchLabels: {team: nobody}
        """
            .formatted(n));
    awaitOutboundDefault(proxy, "PassthroughCluster");
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> assertThat(proxy.resources(DeltaAdsClient.CDS)).doesNotContainKey(alpha));

    // an edit that does not parse changes nothing: the last good mesh config stays
    rig.apply(
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: %s}
        data:
          mesh: |
            outboundTrafficPolicy: {mode: [not, a, mode]}
        """
            .formatted(n));
    Awaitility.await().atMost(WAIT).until(() -> istiod.meshConfig().lastError() != null);
    assertThat(istiod.meshConfig().lastError())
        .contains("ConfigMap " + n + "/istio")
        .contains("outboundTrafficPolicy");
    assertThat(mesh(istiod).path("outboundTrafficPolicy").path("mode").asText())
        .isEqualTo("ALLOW_ANY");
    assertThat(mesh(istiod).path("discoverySelectors").size()).isEqualTo(1);

    // deleted: istiod's defaults again (every namespace seen)
    rig.kubectl("delete", "configmap", "istio", "-n", n);
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(() -> assertThat(proxy.resources(DeltaAdsClient.CDS)).containsKey(alpha));
    assertThat(proxy.error()).isNull();
  }

  @Test
  void editsOfTheMeshFileArePushedWithoutARestart(Rig rig, TestNamespace ns) throws Exception {
    String n = ns.name();
    Path file = tmp.resolve("mesh");
    Files.writeString(file, "outboundTrafficPolicy: {mode: REGISTRY_ONLY}\n");
    // a ConfigMap too: the file wins, as in istiod
    rig.apply(
        """
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: istio, namespace: %s}
        data:
          mesh: |
            outboundTrafficPolicy: {mode: ALLOW_ANY}
        """
            .formatted(n));
    Istiod istiod = start(rig, n, file);
    DeltaAdsClient proxy = connect(istiod, n);
    awaitOutboundDefault(proxy, "BlackHoleCluster");

    Files.writeString(file, "outboundTrafficPolicy: {mode: ALLOW_ANY}\n");
    awaitOutboundDefault(proxy, "PassthroughCluster");
    assertThat(proxy.error()).isNull();
  }

  private Istiod start(Rig rig, String n, Path meshFile) throws Exception {
    IstiodOptions options =
        IstiodOptions.defaults(null)
            .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(n)))
            .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
            .withSecurity(SecurityOptions.disabled().withNamespace(n));
    if (meshFile != null) {
      options = options.withMeshConfigFile(meshFile);
    }
    Istiod istiod = new Istiod(options);
    cleanup.add(istiod);
    istiod.start();
    return istiod;
  }

  private DeltaAdsClient connect(Istiod istiod, String n) {
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    DeltaAdsClient proxy =
        new DeltaAdsClient(
            channel,
            Node.newBuilder()
                .setId("sidecar~10.1.2.3~app-1." + n + "~" + n + ".svc.cluster.local")
                .build());
    cleanup.add(proxy);
    return proxy;
  }

  /**
   * Waits until the virtualOutbound listener's catch-all chain sends traffic to {@code cluster}
   * (PassthroughCluster for ALLOW_ANY, BlackHoleCluster for REGISTRY_ONLY).
   */
  private static void awaitOutboundDefault(DeltaAdsClient proxy, String cluster) {
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(
            () -> {
              assertThat(proxy.error()).isNull();
              Map<String, Any> listeners = proxy.resources(DeltaAdsClient.LDS);
              assertThat(listeners).containsKey("virtualOutbound");
              JsonNode listener = JSON.readTree(EnvoyJson.print(listeners.get("virtualOutbound")));
              List<String> catchAll = new ArrayList<>();
              for (JsonNode chain : listener.path("filterChains")) {
                if (chain.path("name").asText().equals("virtualOutbound-catchall-tcp")) {
                  catchAll.addAll(chain.findValuesAsText("cluster"));
                }
              }
              assertThat(catchAll).containsExactly(cluster);
            });
  }

  private static JsonNode mesh(Istiod istiod) throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(
                            "http://127.0.0.1:" + istiod.httpPort() + "/debug/mesh"))
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    return JSON.readTree(response.body());
  }
}
