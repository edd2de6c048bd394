package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import org.junit.jupiter.api.Test;

/** The {@code proxy.istio.io/config} annotation over the mesh's default ProxyConfig. */
class ProxyConfigsTest {
  private static final ProxyConfig MESH =
      ProxyConfig.newBuilder()
          .setDiscoveryAddress("istiod.istio-system.svc:15012")
          .putProxyMetadata("FROM_MESH", "1")
          .build();

  @Test
  void annotationMergesOverTheMeshKeepingItsMetadata() throws Exception {
    ProxyConfig pc = ProxyConfigs.apply(MESH, "proxyMetadata: {FROM_POD: '2'}\nconcurrency: 3\n");
    assertThat(pc.getProxyMetadataMap())
        .containsEntry("FROM_MESH", "1")
        .containsEntry("FROM_POD", "2");
    assertThat(pc.getConcurrency().getValue()).isEqualTo(3);
    assertThat(pc.getDiscoveryAddress()).isEqualTo("istiod.istio-system.svc:15012");
  }

  @Test
  void fieldsThisBuildDoesNotKnowAreIgnoredAsIstiodDoes() throws Exception {
    ProxyConfig pc = ProxyConfigs.apply(MESH, "proxyInboundListenPort: 15106\nconcurrency: 1\n");
    assertThat(pc.getConcurrency().getValue()).isEqualTo(1);
  }

  @Test
  void aValueOfTheWrongTypeIsStillAnError() {
    assertThatThrownBy(() -> ProxyConfigs.apply(MESH, "concurrency: many"))
        .isInstanceOf(InjectionException.class)
        .hasMessageContaining("could not parse proxy config")
        .hasMessageContaining("concurrency");
  }
}
