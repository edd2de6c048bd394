package io.jistiod.citadel.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import io.jistiod.citadel.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class SelfSignedCaProvisionerTest {
  private static final String NS = "istio-system";

  KubernetesClient client;

  private SelfSignedCaProvisioner provisioner() {
    return new SelfSignedCaProvisioner(
        new IstioCaSecretStore(client, NS),
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM),
        TestPki.TRUST_DOMAIN,
        KeyAlgorithm.ECDSA_P256,
        SelfSignedRootGenerator.DEFAULT_TTL);
  }

  private Secret secret() {
    return client.secrets().inNamespace(NS).withName("istio-ca-secret").get();
  }

  private static String decoded(Secret secret, String key) {
    return new String(
        Base64.getDecoder().decode(secret.getData().get(key)), StandardCharsets.UTF_8);
  }

  @Test
  void createsTheSecretInIstioLayoutOnFirstStart() {
    CaKeyMaterial created = provisioner().loadOrCreate();

    Secret secret = secret();
    assertThat(secret.getType()).isEqualTo("istio.io/ca-root");
    assertThat(secret.getData())
        .containsOnlyKeys(
            "ca-cert.pem", "ca-key.pem", "cert-chain.pem", "key.pem", "root-cert.pem");
    assertThat(secret.getData().get("cert-chain.pem")).isEmpty();
    assertThat(secret.getData().get("key.pem")).isEmpty();
    assertThat(Pem.parseCertificate(decoded(secret, "ca-cert.pem")))
        .isEqualTo(created.signingCert());
    assertThat(decoded(secret, "root-cert.pem")).isEqualTo(decoded(secret, "ca-cert.pem"));
    assertThat(Pem.parsePrivateKey(decoded(secret, "ca-key.pem"))).isEqualTo(created.signingKey());
    assertThat(created.signingCert().getSubjectX500Principal().getName())
        .isEqualTo("O=" + TestPki.TRUST_DOMAIN);
  }

  @Test
  void reusesTheStoredCaOnRestart() {
    CaKeyMaterial first = provisioner().loadOrCreate();
    String resourceVersion = secret().getMetadata().getResourceVersion();

    CaKeyMaterial second = provisioner().loadOrCreate();

    assertThat(second.signingCert()).isEqualTo(first.signingCert());
    assertThat(second.signingKey()).isEqualTo(first.signingKey());
    assertThat(secret().getMetadata().getResourceVersion()).isEqualTo(resourceVersion);
  }

  @Test
  void createReportsAnExistingSecret() {
    IstioCaSecretStore store = new IstioCaSecretStore(client, NS);
    assertThat(store.create(TestPki.selfSignedRoot())).isTrue();
    assertThat(store.create(TestPki.selfSignedRoot())).isFalse();
  }

  @Test
  void readsSecretsWrittenByIstioWithoutRootCert() {
    // A Secret written by an older Istio may hold only ca-cert.pem and ca-key.pem.
    CaKeyMaterial root = TestPki.selfSignedRoot();
    storeSecret(root.signingCert(), root.signingKey());

    CaKeyMaterial loaded = provisioner().loadOrCreate();

    assertThat(loaded.signingCert()).isEqualTo(root.signingCert());
    assertThat(loaded.rootBundle()).containsExactly(root.signingCert());
  }

  /** CA-11/CA-14: an unusable Secret is reported and left untouched, never regenerated. */
  @Test
  void refusesAndKeepsAnUnusableSecret() {
    CaKeyMaterial root = TestPki.selfSignedRoot();
    CaKeyMaterial other =
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM)
            .generate("x", KeyAlgorithm.ECDSA_P256, java.time.Duration.ofDays(1));
    Secret broken = storeSecret(root.signingCert(), other.signingKey());

    assertThatThrownBy(() -> provisioner().loadOrCreate())
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("istio-system/istio-ca-secret")
        .hasMessageContaining("does not match")
        .hasMessageNotContaining("PRIVATE KEY");
    assertThat(secret().getData()).isEqualTo(broken.getData());
  }

  /** An istio-ca-secret holding only a certificate and a key, as older Istio wrote it. */
  private Secret storeSecret(X509Certificate cert, PrivateKey key) {
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName("istio-ca-secret")
            .endMetadata()
            .withType("istio.io/ca-root")
            .withData(
                Map.of("ca-cert.pem", b64(Pem.encode(cert)), "ca-key.pem", b64(Pem.encode(key))))
            .build();
    return client.secrets().inNamespace(NS).resource(secret).create();
  }

  private static String b64(String text) {
    return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }
}
