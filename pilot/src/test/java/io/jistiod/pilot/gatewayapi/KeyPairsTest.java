package io.jistiod.pilot.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.Date;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.junit.jupiter.api.Test;

/** Listener certificates are accepted and refused as Go's tls.X509KeyPair accepts and refuses. */
class KeyPairsTest {
  private static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static KeyPair keys(String alg) throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance(alg);
    if (alg.equals("EC")) {
      g.initialize(new ECGenParameterSpec("secp256r1"));
    } else {
      g.initialize(2048);
    }
    return g.generateKeyPair();
  }

  private static String cert(KeyPair k, String signature) throws Exception {
    var name = new X500Name("CN=test");
    var holder =
        new JcaX509v3CertificateBuilder(
                name,
                BigInteger.ONE,
                new Date(0),
                new Date(4_000_000_000_000L),
                name,
                k.getPublic())
            .build(new JcaContentSignerBuilder(signature).build(k.getPrivate()));
    return pem("CERTIFICATE", holder.getEncoded());
  }

  /**
   * PKCS#1 ("RSA PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") as OpenSSL writes them; SEC1 names its
   * curve inside (the JDK's PKCS#8 keeps it outside).
   */
  private static String traditional(KeyPair k, String type) throws Exception {
    PrivateKeyInfo info = PrivateKeyInfo.getInstance(k.getPrivate().getEncoded());
    if (type.startsWith("EC")) {
      var inner = ECPrivateKey.getInstance(info.parsePrivateKey());
      var withCurve =
          new ECPrivateKey(256, inner.getKey(), info.getPrivateKeyAlgorithm().getParameters());
      return pem(type, withCurve.getEncoded());
    }
    return pem(type, info.parsePrivateKey().toASN1Primitive().getEncoded());
  }

  private static String problem(String cert, String key) {
    return KeyPairs.problem(
        cert.getBytes(StandardCharsets.US_ASCII), key.getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void everyKeyFormGoReadsIsAccepted() throws Exception {
    KeyPair rsa = keys("RSA");
    String rsaCert = cert(rsa, "SHA256withRSA");
    assertThat(problem(rsaCert, pem("PRIVATE KEY", rsa.getPrivate().getEncoded()))).isNull();
    assertThat(problem(rsaCert, traditional(rsa, "RSA PRIVATE KEY"))).isNull();
    KeyPair ec = keys("EC");
    String ecCert = cert(ec, "SHA256withECDSA");
    assertThat(problem(ecCert, pem("PRIVATE KEY", ec.getPrivate().getEncoded()))).isNull();
    assertThat(problem(ecCert, traditional(ec, "EC PRIVATE KEY"))).isNull();
    // A chain: the leaf comes first, the rest is not checked.
    assertThat(problem(rsaCert + ecCert, traditional(rsa, "RSA PRIVATE KEY"))).isNull();
  }

  @Test
  void goReasonsForBadPairs() throws Exception {
    KeyPair rsa = keys("RSA");
    String rsaCert = cert(rsa, "SHA256withRSA");
    String rsaKey = traditional(rsa, "RSA PRIVATE KEY");
    assertThat(problem("SGVsbG8gd29ybGQK", "SGVsbG8gd29ybGQK"))
        .isEqualTo("tls: failed to find any PEM data in certificate input");
    assertThat(problem(rsaKey, rsaCert))
        .isEqualTo(
            "tls: failed to find certificate PEM data in certificate input, but did find a private"
                + " key; PEM inputs may have been switched");
    assertThat(problem(rsaCert, rsaCert))
        .isEqualTo("tls: found a certificate rather than a key in the PEM for the private key");
    assertThat(problem(rsaCert, "")).isEqualTo("tls: failed to find any PEM data in key input");
    assertThat(problem(rsaCert, traditional(keys("RSA"), "RSA PRIVATE KEY")))
        .isEqualTo("tls: private key does not match public key");
    assertThat(problem(rsaCert, traditional(keys("EC"), "EC PRIVATE KEY")))
        .isEqualTo("tls: private key type does not match public key type");
    assertThat(
            problem(pem("CERTIFICATE REQUEST", new byte[] {1}) + pem("X", new byte[] {2}), rsaKey))
        .isEqualTo(
            "tls: failed to find \"CERTIFICATE\" PEM block in certificate input after skipping PEM"
                + " blocks of the following types: [CERTIFICATE REQUEST X]");
    assertThat(problem(rsaCert, pem("RSA PRIVATE KEY", new byte[] {1, 2, 3})))
        .isEqualTo("tls: failed to parse private key");
  }
}
