package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.Status;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.envoyproxy.envoy.service.status.v3.ClientConfig;
import io.envoyproxy.envoy.service.status.v3.ConfigStatus;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** istiod's {@code istio.io/debug/syncz}, as {@code istioctl proxy-status} asks for it over ADS. */
class SyncStatusTest {
  private static final String V1 = "outbound|50051|v1|greeter.default.svc.cluster.local";
  private FakeIstiod istiod;

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER, Meshes.greeterSplit(80, 20));
    istiod.discovery.identify("istiod-abc", "1.27.0", "jistiod-test");
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  /** A proxy as pilot-agent describes it: with PROXY_CONFIG. */
  private static Node agentNode(String id) {
    Node grpc = Meshes.grpcNode();
    return grpc.toBuilder()
        .setId(id)
        .setMetadata(
            grpc.getMetadata().toBuilder()
                .putFields("CLUSTER_ID", text("Kubernetes"))
                .putFields("ISTIO_VERSION", text("1.27.0"))
                .putFields(
                    "PROXY_CONFIG",
                    Value.newBuilder()
                        .setStructValue(
                            Struct.newBuilder().putFields("discoveryAddress", text("istiod:15012")))
                        .build()))
        .build();
  }

  private static Value text(String s) {
    return Value.newBuilder().setStringValue(s).build();
  }

  /** istioctl's own connection: GENERATOR "event", no PROXY_CONFIG. */
  private Map<String, ClientConfig> syncz() throws Exception {
    FakeIstiod.AdsClient istioctl =
        istiod.connect(
            Node.newBuilder()
                .setId("sidecar~127.0.0.1~istioctl.istio-system~istio-system.svc.cluster.local")
                .setMetadata(
                    Struct.newBuilder()
                        .putFields("GENERATOR", text("event"))
                        .putFields("NAMESPACE", text("istio-system")))
                .build());
    istioctl.request(SyncStatus.SYNCZ);
    DiscoveryResponse r = istioctl.next();
    assertThat(r.getTypeUrl()).isEqualTo(SyncStatus.SYNCZ);
    JsonNode cp = new ObjectMapper().readTree(r.getControlPlane().getIdentifier());
    assertThat(cp.path("Component").asText()).isEqualTo("istiod");
    assertThat(cp.path("ID").asText()).isEqualTo("istiod-abc");
    assertThat(cp.path("Info").path("version").asText()).isEqualTo("1.27.0");
    Map<String, ClientConfig> out = new LinkedHashMap<>();
    for (var any : r.getResourcesList()) {
      ClientConfig c = any.unpack(ClientConfig.class);
      out.put(c.getNode().getId(), c);
    }
    istioctl.close();
    return out;
  }

  private static Map<String, ConfigStatus> statuses(ClientConfig c) {
    Map<String, ConfigStatus> m = new LinkedHashMap<>();
    c.getGenericXdsConfigsList().forEach(g -> m.put(g.getTypeUrl(), g.getConfigStatus()));
    return m;
  }

  @Test
  void eachProxyIsListedWithItsStatusPerTypeAndIstioctlItselfIsNot() throws Exception {
    FakeIstiod.AdsClient sotw =
        istiod.connect(agentNode("sidecar~10.0.0.9~client-1.default~default.svc.cluster.local"));
    sotw.request(TypeUrls.CLUSTER);
    DiscoveryResponse clusters = sotw.next();
    sotw.request(TypeUrls.ENDPOINT, V1);
    DiscoveryResponse endpoints = sotw.next();
    sotw.ack(endpoints, V1);
    // a NACK of the clusters
    sotw.send(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.CLUSTER)
            .setResponseNonce(clusters.getNonce())
            .setErrorDetail(Status.newBuilder().setMessage("bad cluster")));

    FakeIstiod.DeltaClient delta =
        istiod.connectDelta(
            agentNode("sidecar~10.0.0.8~client-2.default~default.svc.cluster.local"));
    delta.subscribe(TypeUrls.CLUSTER);
    DeltaDiscoveryResponse deltaClusters = delta.next();
    delta.subscribe(TypeUrls.ENDPOINT, V1);
    delta.next(); // not acknowledged
    delta.ack(deltaClusters);
    // a proxy without PROXY_CONFIG (not an agent) is not listed
    istiod.connect(Meshes.grpcNode()).request(TypeUrls.CLUSTER);

    org.awaitility.Awaitility.await()
        .untilAsserted(
            () -> {
              Map<String, ClientConfig> all = syncz();
              assertThat(all).containsOnlyKeys("client-1.default", "client-2.default");
              ClientConfig one = all.get("client-1.default");
              assertThat(statuses(one))
                  .containsExactly(
                      Map.entry(TypeUrls.CLUSTER, ConfigStatus.ERROR),
                      Map.entry(TypeUrls.ENDPOINT, ConfigStatus.SYNCED));
              assertThat(one.getGenericXdsConfigs(0).getErrorState().getDetails())
                  .isEqualTo("bad cluster");
              assertThat(one.getNode().getMetadata().getFieldsOrThrow("NAMESPACE").getStringValue())
                  .isEqualTo("default");
              assertThat(
                      one.getNode().getMetadata().getFieldsOrThrow("CLUSTER_ID").getStringValue())
                  .isEqualTo("Kubernetes");
              assertThat(statuses(all.get("client-2.default")))
                  .containsExactly(
                      Map.entry(TypeUrls.CLUSTER, ConfigStatus.SYNCED),
                      Map.entry(TypeUrls.ENDPOINT, ConfigStatus.STALE));
            });
  }

  @Test
  void aDebugRequestOnADeltaStreamIsAnsweredToo() throws Exception {
    FakeIstiod.AdsClient sotw =
        istiod.connect(agentNode("sidecar~10.0.0.9~client-1.default~default.svc.cluster.local"));
    sotw.request(TypeUrls.CLUSTER);
    sotw.ack(sotw.next());
    FakeIstiod.DeltaClient asker = istiod.connectDelta(Meshes.grpcNode());
    asker.send(DeltaDiscoveryRequest.newBuilder().setTypeUrl(SyncStatus.SYNCZ));
    DeltaDiscoveryResponse r = asker.next();
    assertThat(r.getControlPlane().getIdentifier()).contains("\"ID\":\"istiod-abc\"");
    assertThat(r.getResourcesList()).extracting(res -> res.getName()).contains("client-1.default");
  }
}
