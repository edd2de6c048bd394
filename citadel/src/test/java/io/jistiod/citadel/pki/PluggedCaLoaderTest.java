package io.jistiod.citadel.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.testing.TestPki;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluggedCaLoaderTest {
  @TempDir Path dir;

  private final CaKeyMaterial root = TestPki.selfSignedRoot();
  private final CaKeyMaterial intermediate = TestPki.intermediate(root, "istiod-intermediate");

  @Test
  void emptyFolderMeansNoPluggedCa() throws Exception {
    assertThat(PluggedCaLoader.load(dir)).isEmpty();
  }

  @Test
  void readsIstioLayout() throws Exception {
    Files.writeString(dir.resolve("ca-cert.pem"), Pem.encode(intermediate.signingCert()));
    Files.writeString(dir.resolve("ca-key.pem"), Pem.encode(intermediate.signingKey()));
    Files.writeString(dir.resolve("cert-chain.pem"), Pem.encodeAll(intermediate.certChain()));
    Files.writeString(dir.resolve("root-cert.pem"), root.rootBundlePem());

    CaKeyMaterial loaded = PluggedCaLoader.load(dir).orElseThrow();

    assertThat(loaded.signingCert()).isEqualTo(intermediate.signingCert());
    assertThat(loaded.certChain()).containsExactlyElementsOf(intermediate.certChain());
    assertThat(loaded.rootBundle()).containsExactly(root.signingCert());
  }

  @Test
  void readsKubernetesTlsLayout() throws Exception {
    Files.writeString(dir.resolve("tls.crt"), Pem.encode(intermediate.signingCert()));
    Files.writeString(dir.resolve("tls.key"), Pem.encode(intermediate.signingKey()));
    Files.writeString(dir.resolve("ca.crt"), root.rootBundlePem());

    CaKeyMaterial loaded = PluggedCaLoader.load(dir).orElseThrow();

    assertThat(loaded.signingCert()).isEqualTo(intermediate.signingCert());
    assertThat(loaded.certChain()).containsExactly(intermediate.signingCert(), root.signingCert());
    assertThat(loaded.rootBundle()).containsExactly(root.signingCert());
  }

  @Test
  void mismatchedKeyFailsNamingTheFolder() throws Exception {
    Files.writeString(dir.resolve("ca-cert.pem"), Pem.encode(intermediate.signingCert()));
    Files.writeString(dir.resolve("ca-key.pem"), Pem.encode(root.signingKey()));
    Files.writeString(dir.resolve("cert-chain.pem"), Pem.encodeAll(intermediate.certChain()));
    Files.writeString(dir.resolve("root-cert.pem"), root.rootBundlePem());

    assertThatThrownBy(() -> PluggedCaLoader.load(dir))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining(dir.toString())
        .hasMessageContaining("does not match")
        .hasMessageNotContaining("PRIVATE KEY");
  }
}
