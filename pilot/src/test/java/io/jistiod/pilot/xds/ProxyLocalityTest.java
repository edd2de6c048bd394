package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.push.PushRequest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Which locality istiod gives a proxy: the registry's (a Kubernetes pod's), else the topology
 * labels in its node metadata, else the locality its node sent.
 */
class ProxyLocalityTest {
  private static final Locality NODE = new Locality("node-region", "node-zone", "");
  private static final Locality POD = new Locality("pod-region", "pod-zone", "rack");

  @Test
  void theRegistryWins() throws Exception {
    Proxy p = proxy(Map.of("topology.kubernetes.io/region", "label-region"));
    assertThat(server(POD).localize(p).locality()).isEqualTo(POD);
  }

  @Test
  void thenTopologyLabelsInTheMetadata() throws Exception {
    Proxy p =
        proxy(
            Map.of(
                "topology.kubernetes.io/region", "label-region",
                "topology.istio.io/subzone", "label-subzone",
                "istio-locality", "ignored"));
    assertThat(server(null).localize(p).locality())
        .isEqualTo(new Locality("label-region", "", "label-subzone"));
  }

  @Test
  void thenTheLocalityLabels() throws Exception {
    assertThat(server(null).localize(proxy(Map.of("istio-locality", "a/b/c"))).locality())
        .isEqualTo(new Locality("a", "b", "c"));
    assertThat(
            server(null)
                .localize(
                    proxy(Map.of("istio-locality", "x/y", "topology.istio.io/locality", "r/z")))
                .locality())
        .isEqualTo(new Locality("r", "z", ""));
  }

  @Test
  void elseWhatTheNodeSent() throws Exception {
    assertThat(server(null).localize(proxy(Map.of("app", "a"))).locality()).isEqualTo(NODE);
  }

  private static DiscoveryServer server(Locality registry) {
    PushContextFactory factory =
        new PushContextFactory() {
          @Override
          public PushContext build(PushContext previous, PushRequest request) {
            throw new UnsupportedOperationException();
          }

          @Override
          public Optional<Locality> workloadLocality(Proxy proxy) {
            return Optional.ofNullable(registry);
          }
        };
    return new DiscoveryServer(
        new GeneratorRegistry(), factory, new XdsMetrics(new SimpleMeterRegistry(), "t"), 1);
  }

  private static Proxy proxy(Map<String, String> labels) throws Exception {
    Struct.Builder l = Struct.newBuilder();
    labels.forEach((k, v) -> l.putFields(k, Value.newBuilder().setStringValue(v).build()));
    Struct meta =
        Struct.newBuilder()
            .putFields("LABELS", Value.newBuilder().setStructValue(l).build())
            .build();
    return Proxy.fromNode("sidecar~10.0.0.1~a.default~default.svc.cluster.local", meta, NODE);
  }
}
