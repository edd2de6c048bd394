package io.jistiod.citadel.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.junit.jupiter.api.Test;

/** CA-14: plugged-in material must be a CA with a matching key, chained to the roots. */
class CaKeyMaterialTest {
  private final CaKeyMaterial root = TestPki.selfSignedRoot();

  @Test
  void refusesKeyThatDoesNotMatchTheCertificate() {
    KeyPair other = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestPki.RANDOM);
    assertThatThrownBy(
            () ->
                new CaKeyMaterial(
                    root.signingCert(), other.getPrivate(), List.of(), root.rootBundle()))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void refusesKeyOfAnotherType() {
    assertThatThrownBy(
            () ->
                new CaKeyMaterial(
                    root.signingCert(),
                    TestPki.rsaKey().getPrivate(),
                    List.of(),
                    root.rootBundle()))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("does not match");
  }

  @Test
  void refusesNonCaSigningCertificate() {
    KeyPair key = TestPki.ecKey();
    X509Certificate leaf =
        TestPki.certificate(
            new X500Name("O=leaf"),
            key,
            null,
            null,
            false,
            TestPki.NOW,
            TestPki.NOW.plus(Duration.ofDays(1)));
    assertThatThrownBy(() -> new CaKeyMaterial(leaf, key.getPrivate(), List.of(), List.of(leaf)))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("is not a CA certificate");
  }

  @Test
  void refusesChainThatDoesNotReachTheRoots() {
    CaKeyMaterial intermediate = TestPki.intermediate(root, "intermediate");
    CaKeyMaterial otherRoot =
        new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM)
            .generate("other", KeyAlgorithm.ECDSA_P256, Duration.ofDays(10));
    assertThatThrownBy(
            () ->
                new CaKeyMaterial(
                    intermediate.signingCert(),
                    intermediate.signingKey(),
                    List.of(intermediate.signingCert()),
                    otherRoot.rootBundle()))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("does not lead to the root bundle");
  }

  @Test
  void refusesIntermediateWithoutChain() {
    CaKeyMaterial intermediate = TestPki.intermediate(root, "intermediate");
    assertThatThrownBy(
            () ->
                new CaKeyMaterial(
                    intermediate.signingCert(),
                    intermediate.signingKey(),
                    List.of(),
                    root.rootBundle()))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("cert chain is empty");
  }

  @Test
  void acceptsIntermediateChainedToRoot() {
    CaKeyMaterial intermediate = TestPki.intermediate(root, "intermediate");
    assertThat(intermediate.isSelfSigned()).isFalse();
    assertThat(intermediate.certChainPems()).hasSize(2).allMatch(p -> p.endsWith("\n"));
    assertThat(intermediate.rootBundlePem()).isEqualTo(Pem.encode(root.signingCert()));
  }

  @Test
  void neverPrintsTheKey() {
    String pemKey = Pem.encode(root.signingKey());
    assertThat(root.toString()).doesNotContain("PRIVATE").doesNotContain(pemKey.substring(40, 80));
  }
}
