package io.jistiod.citadel.testing;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;

/** Test key material: roots, intermediates, CSRs and arbitrary certificates. */
public final class TestPki {
  public static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  public static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);
  public static final String TRUST_DOMAIN = "cluster.local";
  public static final SecureRandom RANDOM = new SecureRandom();

  private static KeyPair cachedRsa;
  private static KeyPair cachedEc;

  private TestPki() {}

  /** A shared RSA key pair: RSA generation is slow and most tests do not care which key. */
  public static synchronized KeyPair rsaKey() {
    if (cachedRsa == null) {
      cachedRsa = KeyAlgorithm.RSA_2048.generateKeyPair(RANDOM);
    }
    return cachedRsa;
  }

  public static synchronized KeyPair ecKey() {
    if (cachedEc == null) {
      cachedEc = KeyAlgorithm.ECDSA_P256.generateKeyPair(RANDOM);
    }
    return cachedEc;
  }

  public static CaKeyMaterial selfSignedRoot() {
    return new SelfSignedRootGenerator(CLOCK, RANDOM)
        .generate(TRUST_DOMAIN, ecKey(), SelfSignedRootGenerator.DEFAULT_TTL);
  }

  /** A self-signed root that expires {@code remaining} after {@link #NOW}. */
  public static CaKeyMaterial rootExpiringIn(Duration remaining) {
    Instant created = NOW.minus(Duration.ofDays(1));
    Clock clock = Clock.fixed(created, ZoneOffset.UTC);
    return new SelfSignedRootGenerator(clock, RANDOM)
        .generate(
            TRUST_DOMAIN, KeyAlgorithm.ECDSA_P256, Duration.between(created, NOW.plus(remaining)));
  }

  /** An intermediate CA signed by {@code root}, with chain [intermediate, root]. */
  public static CaKeyMaterial intermediate(CaKeyMaterial root, String name) {
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(RANDOM);
    X509Certificate cert =
        certificate(
            new X500Name("O=" + TRUST_DOMAIN + ",CN=" + name),
            key,
            root.signingCert(),
            root.signingKey(),
            true,
            NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(365)));
    return new CaKeyMaterial(
        cert, key.getPrivate(), List.of(cert, root.signingCert()), root.rootBundle());
  }

  /** A certificate for {@code subjectKey} signed by {@code issuerKey}. */
  public static X509Certificate certificate(
      X500Name subject,
      KeyPair subjectKey,
      X509Certificate issuer,
      java.security.PrivateKey issuerKey,
      boolean ca,
      Instant notBefore,
      Instant notAfter,
      GeneralName... sans) {
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              issuer == null
                  ? subject
                  : X500Name.getInstance(issuer.getSubjectX500Principal().getEncoded()),
              BigInteger.valueOf(RANDOM.nextInt(Integer.MAX_VALUE) + 1L),
              Date.from(notBefore),
              Date.from(notAfter),
              subject,
              subjectKey.getPublic());
      JcaX509ExtensionUtils utils = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              ca
                  ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                  : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          utils.createSubjectKeyIdentifier(subjectKey.getPublic()));
      if (sans.length > 0) {
        builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(sans));
      }
      java.security.PrivateKey signingKey = issuerKey == null ? subjectKey.getPrivate() : issuerKey;
      var signer =
          new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(signingKey))
              .build(signingKey);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** A PEM CSR signed by {@code key}, asking for {@code uris} as URI SANs. */
  public static String csr(KeyPair key, String... uris) {
    try {
      var builder =
          new JcaPKCS10CertificationRequestBuilder(
              new X500Name("O=" + TRUST_DOMAIN), key.getPublic());
      if (uris.length > 0) {
        GeneralName[] names = new GeneralName[uris.length];
        for (int i = 0; i < uris.length; i++) {
          names[i] = new GeneralName(GeneralName.uniformResourceIdentifier, uris[i]);
        }
        ExtensionsGenerator extensions = new ExtensionsGenerator();
        extensions.addExtension(Extension.subjectAlternativeName, true, new GeneralNames(names));
        builder.addAttribute(
            PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, extensions.generate());
      }
      PKCS10CertificationRequest csr =
          builder.build(
              new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(key.getPrivate()))
                  .build(key.getPrivate()));
      return Pem.encode(csr);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String spiffe(String namespace, String serviceAccount) {
    return "spiffe://" + TRUST_DOMAIN + "/ns/" + namespace + "/sa/" + serviceAccount;
  }
}
