package io.jistiod.citadel.ca;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialSource;
import io.jistiod.citadel.pki.InvalidKeyMaterialException;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.pki.Serials;
import io.jistiod.citadel.pki.Signers;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.pkcs.PKCS10CertificationRequest;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequest;

/**
 * Signs workload CSRs into X509-SVIDs, following Istio's {@code genCertTemplateFromCSR}.
 *
 * <p>Only the CSR's public key is used, and only after its signature proves the requester holds the
 * private key. Everything else comes from the caller: the SANs are the authenticated identities,
 * never what the CSR asks for. The leaf has an empty subject, so its SAN extension is critical (RFC
 * 5280 4.2.1.6); it is not a CA; its key may sign and encipher; it serves both TLS ends; it is
 * backdated two minutes for clock skew and never outlives the signing certificate.
 *
 * <p>Thread-safe; the time comes from the injected clock.
 */
public final class WorkloadCertificateSigner {
  /** Istio's {@code ClockSkewGracePeriod}. */
  public static final Duration CLOCK_SKEW_GRACE = Duration.ofMinutes(2);

  private static final X500Name EMPTY_SUBJECT = new X500Name(new RDN[0]);
  private static final JcaX509CertificateConverter CERT_CONVERTER =
      new JcaX509CertificateConverter();

  private final CaKeyMaterialSource keyMaterial;
  private final TtlPolicy ttlPolicy;
  private final Clock clock;
  private final SecureRandom random;

  public WorkloadCertificateSigner(
      CaKeyMaterialSource keyMaterial, TtlPolicy ttlPolicy, Clock clock, SecureRandom random) {
    this.keyMaterial = Objects.requireNonNull(keyMaterial, "keyMaterial");
    this.ttlPolicy = Objects.requireNonNull(ttlPolicy, "ttlPolicy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
  }

  /**
   * Signs {@code csrPem} for {@code identities} (each a SPIFFE URI, IP or DNS name).
   *
   * @param requestedTtl zero or negative for the default lifetime
   * @throws CaException CA_NOT_READY, CSR_ERROR, TTL_ERROR or CERT_GEN_ERROR
   */
  public IssuedCertificate sign(String csrPem, List<String> identities, Duration requestedTtl)
      throws CaException {
    Objects.requireNonNull(csrPem, "csrPem");
    Objects.requireNonNull(identities, "identities");
    Objects.requireNonNull(requestedTtl, "requestedTtl");
    if (keyMaterial.current().isEmpty()) {
      throw new CaException(CaErrorType.CA_NOT_READY, "Istio CA is not ready");
    }
    return sign(verifiedPublicKey(csrPem), identities, requestedTtl);
  }

  /**
   * Certifies {@code subjectKey}, whose holder the caller vouches for, for {@code identities}:
   * istiod's own serving certificate, whose key never leaves the process, needs no CSR.
   *
   * @param requestedTtl zero or negative for the default lifetime
   * @throws CaException CA_NOT_READY, TTL_ERROR or CERT_GEN_ERROR
   */
  public IssuedCertificate sign(
      PublicKey subjectKey, List<String> identities, Duration requestedTtl) throws CaException {
    Objects.requireNonNull(subjectKey, "subjectKey");
    Objects.requireNonNull(identities, "identities");
    Objects.requireNonNull(requestedTtl, "requestedTtl");
    CaKeyMaterial ca =
        keyMaterial
            .current()
            .orElseThrow(() -> new CaException(CaErrorType.CA_NOT_READY, "Istio CA is not ready"));
    Duration ttl = ttlPolicy.resolve(requestedTtl);
    if (identities.isEmpty()) {
      throw new CaException(CaErrorType.CERT_GEN_ERROR, "no identities to certify");
    }

    X509Certificate signingCert = ca.signingCert();
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant caNotAfter = signingCert.getNotAfter().toInstant();
    if (!now.isBefore(caNotAfter)) {
      throw new CaException(
          CaErrorType.CERT_GEN_ERROR,
          "signing certificate '"
              + signingCert.getSubjectX500Principal()
              + "' expired at "
              + caNotAfter);
    }
    Instant notAfter = now.plus(ttl);
    if (notAfter.isAfter(caNotAfter)) {
      // A leaf that outlives its issuer fails validation after the issuer expires anyway; say so.
      notAfter = caNotAfter;
    }
    try {
      X509v3CertificateBuilder builder =
          new JcaX509v3CertificateBuilder(
              signingCert,
              Serials.random128(random),
              Date.from(now.minus(CLOCK_SKEW_GRACE)),
              Date.from(notAfter),
              EMPTY_SUBJECT,
              subjectKey);
      builder.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      builder.addExtension(
          Extension.extendedKeyUsage,
          false,
          new ExtendedKeyUsage(
              new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      AuthorityKeyIdentifier aki = authorityKeyId(signingCert);
      if (aki != null) {
        builder.addExtension(Extension.authorityKeyIdentifier, false, aki);
      }
      // Critical because the subject is empty: the SAN is the only name the certificate has.
      builder.addExtension(Extension.subjectAlternativeName, true, SubjectAltNames.of(identities));
      ContentSigner signer = Signers.contentSigner(ca.signingKey());
      X509Certificate leaf = CERT_CONVERTER.getCertificate(builder.build(signer));
      return new IssuedCertificate(leaf, ca);
    } catch (GeneralSecurityException
        | OperatorCreationException
        | IOException
        | RuntimeException e) {
      throw new CaException(
          CaErrorType.CERT_GEN_ERROR,
          "failed to generate certificate (" + e.getClass().getSimpleName() + ")",
          e);
    }
  }

  /** The CSR's public key, after proof of possession: the CSR must be signed by that key. */
  private static PublicKey verifiedPublicKey(String csrPem) throws CaException {
    try {
      PKCS10CertificationRequest parsed = Pem.parseCsr(csrPem);
      JcaPKCS10CertificationRequest csr = new JcaPKCS10CertificationRequest(parsed);
      PublicKey key = csr.getPublicKey();
      if (!csr.isSignatureValid(Signers.verifier(key))) {
        throw new CaException(CaErrorType.CSR_ERROR, "CSR signature is invalid");
      }
      return key;
    } catch (InvalidKeyMaterialException e) {
      throw new CaException(CaErrorType.CSR_ERROR, "failed to parse CSR: " + e.getMessage(), e);
    } catch (CaException e) {
      throw e;
    } catch (Exception e) {
      // Malformed requests fail deep inside ASN.1 and key decoding with many exception types.
      throw new CaException(
          CaErrorType.CSR_ERROR, "failed to verify CSR (" + e.getClass().getSimpleName() + ")", e);
    }
  }

  /**
   * The issuer's key identifier, so verifiers pick the right issuer among several with the same
   * name (root rotation); omitted when the issuer has none, as Go's crypto/x509 does.
   */
  private static AuthorityKeyIdentifier authorityKeyId(X509Certificate issuer) {
    byte[] ext = issuer.getExtensionValue(Extension.subjectKeyIdentifier.getId());
    if (ext == null) {
      return null;
    }
    byte[] keyId =
        SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ext).getOctets())
            .getKeyIdentifier();
    return new AuthorityKeyIdentifier(keyId);
  }
}
