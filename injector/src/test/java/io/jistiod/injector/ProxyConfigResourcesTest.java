package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Int32Value;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import io.jistiod.galley.api.networking.v1beta1.ProxyImage;
import io.jistiod.galley.api.type.v1beta1.WorkloadSelector;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.ConfigMeta;
import io.jistiod.galley.config.IstioKinds;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ProxyConfig a workload gets from the mesh, ProxyConfig resources and its annotation. */
class ProxyConfigResourcesTest {
  private static final MeshConfig MESH =
      ProxyConfigs.completeMesh(
          MeshConfig.newBuilder()
              .setRootNamespace("istio-system")
              .setDefaultConfig(
                  ProxyConfig.newBuilder()
                      .setConcurrency(Int32Value.of(2))
                      .putProxyMetadata("FROM_MESH", "m")
                      .putProxyMetadata("SHARED", "mesh"))
              .build());
  private static final Map<String, String> APP = Map.of("app", "web", "version", "v1");

  private final List<Config> configs = new ArrayList<>();

  private void resource(
      String ns,
      String name,
      long created,
      Map<String, String> selector,
      Integer concurrency,
      Map<String, String> env,
      String imageType) {
    io.jistiod.galley.api.networking.v1beta1.ProxyConfig.Builder b =
        io.jistiod.galley.api.networking.v1beta1.ProxyConfig.newBuilder()
            .putAllEnvironmentVariables(env);
    if (selector != null) {
      b.setSelector(WorkloadSelector.newBuilder().putAllMatchLabels(selector));
    }
    if (concurrency != null) {
      b.setConcurrency(Int32Value.of(concurrency));
    }
    if (imageType != null) {
      b.setImage(ProxyImage.newBuilder().setImageType(imageType));
    }
    configs.add(
        new Config(
            new ConfigMeta(
                IstioKinds.PROXY_CONFIG,
                name,
                ns,
                Map.of(),
                Map.of(),
                "1",
                1,
                Instant.ofEpochSecond(created)),
            b.build(),
            null));
  }

  private ProxyConfig effective(String ns, Map<String, String> labels, String annotation) {
    List<String> bad = new ArrayList<>();
    ProxyConfig pc =
        ProxyConfigResources.of(configs).effective(MESH, ns, labels, annotation, bad::add);
    assertThat(bad).isEmpty();
    return pc;
  }

  @Test
  void withoutResourcesTheMeshDefaultAndTheAnnotation() {
    ProxyConfig pc = effective("apps", APP, "concurrency: 5\nproxyMetadata: {FROM_POD: p}");
    assertThat(pc.getConcurrency().getValue()).isEqualTo(5);
    assertThat(pc.getProxyMetadataMap())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("FROM_MESH", "m", "SHARED", "mesh", "FROM_POD", "p"));
    assertThat(pc.getStatusPort()).isEqualTo(15020); // istiod's defaults stay underneath
  }

  @Test
  void meshWideThenNamespaceThenWorkloadEachOverTheOneBelow() {
    resource(
        "istio-system",
        "mesh-wide",
        1,
        null,
        3,
        Map.of("SHARED", "root", "ROOT", "r"),
        "distroless");
    resource("apps", "ns-wide", 1, null, 4, Map.of("SHARED", "ns"), null);
    resource("apps", "web", 1, Map.of("app", "web"), 6, Map.of("WORKLOAD", "w"), null);

    ProxyConfig web = effective("apps", APP, null);
    assertThat(web.getConcurrency().getValue()).isEqualTo(6);
    assertThat(web.getImage().getImageType()).isEqualTo("distroless");
    assertThat(web.getProxyMetadataMap())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of("FROM_MESH", "m", "SHARED", "ns", "ROOT", "r", "WORKLOAD", "w"));

    // another workload of the namespace: no selector matches
    ProxyConfig other = effective("apps", Map.of("app", "db"), null);
    assertThat(other.getConcurrency().getValue()).isEqualTo(4);
    assertThat(other.getProxyMetadataMap()).doesNotContainKey("WORKLOAD");

    // another namespace: the mesh-wide resource only
    ProxyConfig elsewhere = effective("other", APP, null);
    assertThat(elsewhere.getConcurrency().getValue()).isEqualTo(3);
    assertThat(elsewhere.getProxyMetadataMap()).containsEntry("SHARED", "root");
  }

  @Test
  void theSelectingResourceWinsOverTheAnnotationWhichWinsOverTheNamespace() {
    resource("apps", "ns-wide", 1, null, 4, Map.of("SHARED", "ns"), "debug");
    resource("apps", "web", 1, Map.of("app", "web"), 6, Map.of(), null);
    ProxyConfig pc =
        effective(
            "apps",
            APP,
            "concurrency: 9\nimage: {imageType: distroless}\nproxyMetadata: {SHARED: pod}");
    assertThat(pc.getConcurrency().getValue()).isEqualTo(6);
    assertThat(pc.getImage().getImageType()).isEqualTo("distroless");
    assertThat(pc.getProxyMetadataMap()).containsEntry("SHARED", "pod");
  }

  @Test
  void theOldestResourceOfANamespaceWinsThenTheFirstName() {
    resource("apps", "b-older", 1, null, 7, Map.of(), null);
    resource("apps", "a-newer", 2, null, 8, Map.of(), null);
    resource("apps", "z-sel", 5, Map.of("app", "web"), 10, Map.of(), null);
    resource("apps", "y-sel", 5, Map.of("version", "v1"), 11, Map.of(), null);
    assertThat(effective("apps", Map.of("app", "db"), null).getConcurrency().getValue())
        .isEqualTo(7);
    // same creation second: by name
    assertThat(effective("apps", APP, null).getConcurrency().getValue()).isEqualTo(11);
  }

  @Test
  void anEmptySelectorAppliesToNothingAndRootResourcesWithSelectorsOnlyToRootWorkloads() {
    resource("apps", "empty", 1, Map.of(), 12, Map.of(), null);
    resource("istio-system", "root-sel", 1, Map.of("app", "web"), 13, Map.of(), null);
    assertThat(effective("apps", APP, null).getConcurrency().getValue()).isEqualTo(2);
    assertThat(effective("istio-system", APP, null).getConcurrency().getValue()).isEqualTo(13);
  }

  @Test
  void aBadAnnotationIsLeftOutAndReported() {
    resource("apps", "ns-wide", 1, null, 4, Map.of(), null);
    List<String> bad = new ArrayList<>();
    ProxyConfig pc =
        ProxyConfigResources.of(configs).effective(MESH, "apps", APP, "concurrency: [", bad::add);
    assertThat(pc.getConcurrency().getValue()).isEqualTo(4);
    assertThat(bad).singleElement().asString().contains("could not parse proxy config");
  }
}
