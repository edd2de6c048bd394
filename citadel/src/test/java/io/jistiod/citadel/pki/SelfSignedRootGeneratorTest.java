package io.jistiod.citadel.pki;

import static org.assertj.core.api.Assertions.assertThat;

import io.jistiod.citadel.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.stream.Stream;
import javax.naming.ldap.LdapName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class SelfSignedRootGeneratorTest {
  private final SelfSignedRootGenerator generator =
      new SelfSignedRootGenerator(TestPki.CLOCK, TestPki.RANDOM);

  static Stream<KeyAlgorithm> algorithms() {
    return Stream.of(KeyAlgorithm.RSA_2048, KeyAlgorithm.ECDSA_P256);
  }

  @ParameterizedTest
  @MethodSource("algorithms")
  void rootHasIstioProfile(KeyAlgorithm algorithm) throws Exception {
    CaKeyMaterial material =
        generator.generate("example.org", algorithm, SelfSignedRootGenerator.DEFAULT_TTL);
    X509Certificate root = material.signingCert();

    LdapName subject = new LdapName(root.getSubjectX500Principal().getName());
    assertThat(subject.getRdns()).hasSize(1);
    assertThat(subject.getRdn(0).getType()).isEqualTo("O");
    assertThat(subject.getRdn(0).getValue()).isEqualTo("example.org");
    assertThat(root.getIssuerX500Principal()).isEqualTo(root.getSubjectX500Principal());
    root.verify(root.getPublicKey());

    assertThat(root.getBasicConstraints()).isGreaterThanOrEqualTo(0);
    assertThat(root.getCriticalExtensionOIDs()).contains("2.5.29.19", "2.5.29.15");
    boolean[] keyUsage = root.getKeyUsage();
    assertThat(keyUsage[5]).as("keyCertSign").isTrue();
    assertThat(keyUsage[6]).as("cRLSign").isTrue();
    assertThat(keyUsage[0]).as("digitalSignature").isFalse();

    assertThat(Duration.between(TestPki.NOW, root.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofDays(3650));
    assertThat(root.getNotBefore().toInstant()).isEqualTo(TestPki.NOW.minusSeconds(120));
    assertThat(root.getPublicKey().getAlgorithm())
        .isEqualTo(algorithm.family() == KeyAlgorithm.Family.RSA ? "RSA" : "EC");

    assertThat(material.certChain()).isEmpty();
    assertThat(material.rootBundle()).containsExactly(root);
    assertThat(material.isSelfSigned()).isTrue();
  }

  @Test
  void reusingAKeyKeepsThePublicKeyAndChangesTheSerial() {
    KeyPair key = TestPki.ecKey();
    CaKeyMaterial first = generator.generate("td", key, Duration.ofDays(1));
    CaKeyMaterial second = generator.generate("td", key, Duration.ofDays(1));
    assertThat(second.signingCert().getPublicKey()).isEqualTo(first.signingCert().getPublicKey());
    assertThat(second.signingCert().getSerialNumber())
        .isNotEqualTo(first.signingCert().getSerialNumber());
  }

  @Test
  void renewKeepsSubjectAndKeyAndStartsANewLifetime() throws Exception {
    CaKeyMaterial old = generator.generate("example.org", TestPki.ecKey(), Duration.ofDays(1));
    SelfSignedRootGenerator later =
        new SelfSignedRootGenerator(
            java.time.Clock.offset(TestPki.CLOCK, Duration.ofHours(20)), TestPki.RANDOM);

    CaKeyMaterial renewed = later.renew(old, Duration.ofDays(10));

    X509Certificate root = renewed.signingCert();
    assertThat(root.getSubjectX500Principal())
        .isEqualTo(old.signingCert().getSubjectX500Principal());
    assertThat(root.getPublicKey()).isEqualTo(old.signingCert().getPublicKey());
    assertThat(renewed.signingKey()).isEqualTo(old.signingKey());
    assertThat(root.getNotAfter().toInstant())
        .isEqualTo(TestPki.NOW.plus(Duration.ofHours(20)).plus(Duration.ofDays(10)));
    root.verify(old.signingCert().getPublicKey());
    assertThat(renewed.rootBundle()).containsExactly(root);
  }

  @Test
  void renewRefusesAnIntermediate() {
    CaKeyMaterial intermediate = TestPki.intermediate(TestPki.selfSignedRoot(), "ica");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> generator.renew(intermediate, Duration.ofDays(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("self-signed");
  }
}
