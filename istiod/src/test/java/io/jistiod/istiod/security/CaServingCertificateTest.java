package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CaServingCertificateTest {
  private static final List<String> NAMES = IstiodDnsNames.of("istio-system", "default", List.of());

  private final FakeTime time = new FakeTime(TestCa.NOW);
  private final CaKeyMaterialHolder ca = new CaKeyMaterialHolder(TestCa.root(time));
  private final ServingKeyManager keys = new ServingKeyManager();
  private final CaServingCertificate certificate =
      new CaServingCertificate(ca, NAMES, Duration.ofHours(10), keys, time, time, TestCa.RANDOM);

  @AfterEach
  void close() {
    certificate.close();
  }

  private ServingCertificate current() {
    return keys.current().orElseThrow();
  }

  @Test
  void issuesForIstiodsNamesFromTheCa() throws Exception {
    certificate.start();

    X509Certificate leaf = current().leaf();
    assertThat(leaf.getSubjectAlternativeNames().stream().map(san -> (String) san.get(1)))
        .containsExactlyElementsOf(NAMES);
    leaf.verify(ca.current().orElseThrow().signingCert().getPublicKey());
    assertThat(current().notAfter()).isEqualTo(TestCa.NOW.plus(Duration.ofHours(10)));
    assertThat(current().chain()).containsExactly(leaf); // self-signed CA: no intermediates
  }

  @Test
  void renewsPastHalfItsLife() {
    certificate.start();
    ServingCertificate first = current();

    time.advance(Duration.ofHours(4).plusMinutes(59)); // half of 10 h from issuance: not yet
    assertThat(current()).isSameAs(first);
    time.advance(Duration.ofMinutes(1));
    assertThat(current()).isNotSameAs(first);
    assertThat(current().key()).isNotEqualTo(first.key());
    assertThat(current().notAfter()).isAfter(first.notAfter());
  }

  @Test
  void aShortLifetimeIsNotRenewedAtOnce() {
    // The certificate is backdated 2 minutes; a 1-minute lifetime must not count as half gone.
    CaServingCertificate shortLived =
        new CaServingCertificate(ca, NAMES, Duration.ofMinutes(1), keys, time, time, TestCa.RANDOM);
    shortLived.start();
    ServingCertificate first = current();
    time.advance(Duration.ZERO);
    assertThat(current()).isSameAs(first);
    shortLived.close();
  }

  @Test
  void renewsAtOnceWhenTheCaChanges() throws Exception {
    certificate.start();
    ServingCertificate first = current();
    CaKeyMaterial next = TestCa.root(time);

    ca.set(next);
    time.advance(Duration.ZERO);

    assertThat(current()).isNotSameAs(first);
    current().leaf().verify(next.signingCert().getPublicKey());
  }

  @Test
  void aFailedRenewalIsRetriedAtTheNextCheck() throws Exception {
    CaKeyMaterial shortLived =
        new io.jistiod.citadel.pki.SelfSignedRootGenerator(time, TestCa.RANDOM)
            .generate(
                "cluster.local",
                io.jistiod.citadel.pki.KeyAlgorithm.ECDSA_P256,
                Duration.ofHours(1));
    ca.set(shortLived);
    certificate.start();
    ServingCertificate first = current();
    assertThat(first.notAfter()).isEqualTo(shortLived.signingCert().getNotAfter().toInstant());

    time.advance(Duration.ofHours(2)); // CA expired: renewals fail, the last certificate stays
    assertThat(current().notAfter()).isEqualTo(first.notAfter());

    CaKeyMaterial fresh = TestCa.root(time);
    ca.set(fresh);
    time.advance(Duration.ZERO);
    current().leaf().verify(fresh.signingCert().getPublicKey());
  }

  @Test
  void startFailsWithoutACa() {
    CaServingCertificate withoutCa =
        new CaServingCertificate(
            new CaKeyMaterialHolder(), NAMES, Duration.ofHours(1), keys, time, time, TestCa.RANDOM);
    assertThatThrownBy(withoutCa::start)
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CA_NOT_READY");
  }
}
