package io.jistiod.citadel.pki;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;

/**
 * Creates the self-signed root that Istio's CA uses when no plug-in CA is mounted: subject {@code
 * O=<trust domain>} without a CN, a CA allowed to sign certificates and CRLs, 10 years by default.
 */
public final class SelfSignedRootGenerator {
  /** Istio's {@code CITADEL_SELF_SIGNED_CA_CERT_TTL} default. */
  public static final Duration DEFAULT_TTL = Duration.ofDays(3650);

  /**
   * The root is backdated like workload certificates: a workload whose clock runs behind istiod's
   * would otherwise see a not-yet-valid root right after a rotation.
   */
  static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);

  private final Clock clock;
  private final SecureRandom random;

  public SelfSignedRootGenerator(Clock clock, SecureRandom random) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  /** A new key of {@code algorithm} and a root for it. */
  public CaKeyMaterial generate(String trustDomain, KeyAlgorithm algorithm, Duration ttl) {
    Objects.requireNonNull(algorithm, "algorithm");
    return generate(trustDomain, algorithm.generateKeyPair(random), ttl);
  }

  /**
   * A root for an existing key pair. Root rotation reuses the key so that certificates issued under
   * the old root keep verifying against the new one.
   */
  public CaKeyMaterial generate(String trustDomain, KeyPair keyPair, Duration ttl) {
    Objects.requireNonNull(trustDomain, "trustDomain");
    Objects.requireNonNull(keyPair, "keyPair");
    Objects.requireNonNull(ttl, "ttl");
    if (trustDomain.isEmpty()) {
      throw new IllegalArgumentException("trustDomain: empty (expected: a trust domain)");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
    }
    X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, trustDomain).build();
    return generate(subject, keyPair, ttl);
  }

  /**
   * A new root for the key of the self-signed root {@code old}, with the same subject, valid for
   * {@code ttl} from now: the rotation Istio performs when a root nears its end. Certificates
   * signed under {@code old} verify against the new root, since name and key are unchanged.
   *
   * @throws IllegalArgumentException if {@code old} is not self-signed
   */
  public CaKeyMaterial renew(CaKeyMaterial old, Duration ttl) {
    Objects.requireNonNull(old, "old");
    Objects.requireNonNull(ttl, "ttl");
    if (!old.isSelfSigned()) {
      throw new IllegalArgumentException(
          "old: " + old + " (expected: a self-signed root, not a plug-in CA)");
    }
    if (ttl.isNegative() || ttl.isZero()) {
      throw new IllegalArgumentException("ttl: " + ttl + " (expected: > 0)");
    }
    X509Certificate root = old.signingCert();
    X500Name subject = X500Name.getInstance(root.getSubjectX500Principal().getEncoded());
    return generate(subject, new KeyPair(root.getPublicKey(), old.signingKey()), ttl);
  }

  private CaKeyMaterial generate(X500Name subject, KeyPair keyPair, Duration ttl) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              subject,
              Serials.random128(random),
              Date.from(now.minus(CLOCK_SKEW_GRACE)),
              Date.from(now.plus(ttl)),
              subject,
              keyPair.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      builder.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          extensions.createSubjectKeyIdentifier(keyPair.getPublic()));
      X509Certificate root =
          new JcaX509CertificateConverter()
              .getCertificate(builder.build(Signers.contentSigner(keyPair.getPrivate())));
      return new CaKeyMaterial(root, keyPair.getPrivate(), List.of(), List.of(root));
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot create self-signed root " + subject, e);
    }
  }
}
