package io.jistiod.citadel.pki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.testing.TestPki;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Base64;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.junit.jupiter.api.Test;

class PemTest {
  @Test
  void roundTripsCertificatesInOrder() {
    CaKeyMaterial root = TestPki.selfSignedRoot();
    CaKeyMaterial intermediate = TestPki.intermediate(root, "i");
    String pem = Pem.encodeAll(intermediate.certChain());
    assertThat(Pem.parseCertificates(pem)).containsExactlyElementsOf(intermediate.certChain());
    assertThat(pem).startsWith("-----BEGIN CERTIFICATE-----\n").endsWith("-----\n");
    assertThat(Pem.parseCertificates("")).isEmpty();
  }

  @Test
  void writesKeysAsPkcs8AndReadsThemBack() {
    for (KeyPair key : new KeyPair[] {TestPki.rsaKey(), TestPki.ecKey()}) {
      String pem = Pem.encode(key.getPrivate());
      assertThat(pem).startsWith("-----BEGIN PRIVATE KEY-----\n");
      assertThat(Pem.parsePrivateKey(pem)).isEqualTo(key.getPrivate());
    }
  }

  @Test
  void readsTraditionalRsaAndEcKeysAsIstioWritesThem() throws Exception {
    // PKCS#1 and SEC1 (with the named curve), the forms Go's crypto/x509 marshals.
    KeyPair rsa = TestPki.rsaKey();
    String pkcs1 =
        pem(
            "RSA PRIVATE KEY",
            PrivateKeyInfo.getInstance(rsa.getPrivate().getEncoded())
                .parsePrivateKey()
                .toASN1Primitive()
                .getEncoded());
    assertThat(Pem.parsePrivateKey(pkcs1)).isEqualTo(rsa.getPrivate());

    KeyPair ec = TestPki.ecKey();
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(ec.getPrivate().getEncoded());
    ECPrivateKey sec1 = ECPrivateKey.getInstance(info.parsePrivateKey());
    ECPrivateKey withCurve =
        new ECPrivateKey(256, sec1.getKey(), info.getPrivateKeyAlgorithm().getParameters());
    var parsed =
        (java.security.interfaces.ECPrivateKey)
            Pem.parsePrivateKey(pem("EC PRIVATE KEY", withCurve.getEncoded()));
    var original = (java.security.interfaces.ECPrivateKey) ec.getPrivate();
    assertThat(parsed.getS()).isEqualTo(original.getS());
    assertThat(parsed.getParams().getCurve()).isEqualTo(original.getParams().getCurve());
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  @Test
  void keyErrorsDoNotEchoTheInput() {
    String broken =
        "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END RSA PRIVATE KEY-----\n";
    assertThatThrownBy(() -> Pem.parsePrivateKey(broken))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageNotContaining("c2VjcmV0");
    assertThatThrownBy(() -> Pem.parsePrivateKey(""))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("no private key");
  }

  @Test
  void refusesNonCertificateBlocksInCertificateFiles() {
    String mixed =
        Pem.encode(TestPki.selfSignedRoot().signingCert())
            + Pem.encode(TestPki.ecKey().getPrivate());
    assertThatThrownBy(() -> Pem.parseCertificates(mixed))
        .isInstanceOf(InvalidKeyMaterialException.class)
        .hasMessageContaining("expected only CERTIFICATE blocks");
  }
}
