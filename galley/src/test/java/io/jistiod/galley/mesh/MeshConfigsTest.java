package io.jistiod.galley.mesh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class MeshConfigsTest {

  @Test
  void fieldsTheYamlSetsReplaceDefaultsAndTheRestStay() {
    MeshConfig mc =
        MeshConfigs.parse(
            """
            outboundTrafficPolicy: {mode: REGISTRY_ONLY}
            rootNamespace: mesh-root
            defaultServiceExportTo: ["."]
            """,
            "mesh");
    assertThat(mc.getOutboundTrafficPolicy().getMode())
        .isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.REGISTRY_ONLY);
    assertThat(mc.getRootNamespace()).isEqualTo("mesh-root");
    assertThat(mc.getDefaultServiceExportToList()).containsExactly(".");
    assertThat(mc.getTrustDomain()).isEqualTo("cluster.local");
    assertThat(mc.getEnableAutoMtls().getValue()).isTrue();
    assertThat(mc.getConnectTimeout().getSeconds()).isEqualTo(10);
  }

  @Test
  void emptyOrMissingInputIsTheDefaults() throws Exception {
    assertThat(MeshConfigs.parse("", "mesh")).isEqualTo(MeshConfigs.defaults());
    assertThat(MeshConfigs.load(Path.of("/nonexistent/mesh"))).isEqualTo(MeshConfigs.defaults());
    assertThat(MeshConfigs.defaults().getOutboundTrafficPolicy().getMode())
        .isEqualTo(MeshConfig.OutboundTrafficPolicy.Mode.ALLOW_ANY);
  }

  @Test
  void badFieldIsNamedWithTheSource() {
    assertThatThrownBy(
            () -> MeshConfigs.parse("outboundTrafficPolicy: {mode: SOMETIMES}", "m.yaml"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("m.yaml: outboundTrafficPolicy.mode");
  }

  @Test
  void unknownFieldsAreIgnoredAsIstiodDoesAndTheRestApplies() {
    MeshConfig mc =
        MeshConfigs.parse(
            """
            rootNamespce: x
            trustDomain: example.org
            defaultConfig:
              proxyInboundListenPort: 15106
              proxyMetadata: {A: b}
            extensionProviders:
            - name: authz
              futureField: 1
              envoyExtAuthzGrpc: {service: authz.ns.svc.cluster.local, port: 9000}
            """,
            "m.yaml");
    assertThat(mc.getTrustDomain()).isEqualTo("example.org");
    assertThat(mc.getRootNamespace()).isEqualTo("istio-system");
    assertThat(mc.getDefaultConfig().getProxyMetadataMap()).containsEntry("A", "b");
    assertThat(mc.getExtensionProviders(0).getEnvoyExtAuthzGrpc().getPort()).isEqualTo(9000);
  }

  @Test
  void trustDomainAliasesAreASortedSetAsIstiodKeepsThem() {
    MeshConfig mc =
        MeshConfigs.parse("trustDomainAliases: [old-td.example, legacy, old-td.example]", "mesh");
    assertThat(mc.getTrustDomainAliasesList()).containsExactly("legacy", "old-td.example");
  }
}
