package io.jistiod.istiod.webhook;

import io.jistiod.istiod.security.ServingCertificate;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The webhook certificate when istiod runs without its CA ({@code --secureGRPCAddr ""}): a root and
 * a serving certificate signed by it, both in memory and new on every start. The root is what the
 * controller patches into the webhook configuration's {@code caBundle}, so the API server trusts
 * the serving certificate as it would one from Istio's CA.
 *
 * <p>ECDSA P-256 keys from the JDK's provider, so the TLS stack accepts them without Bouncy Castle
 * registered as a provider.
 */
public record SelfSignedWebhookCertificate(ServingCertificate serving, X509Certificate root) {
  static final Duration TTL = Duration.ofDays(365);

  /**
   * @param dnsNames DNS SANs, e.g. {@code istiod.istio-system.svc} and {@code localhost}
   * @param ipAddresses IP SANs, e.g. {@code 127.0.0.1} (the API server checks them for an IP URL)
   */
  public static SelfSignedWebhookCertificate generate(
      List<String> dnsNames, List<String> ipAddresses, Clock clock) {
    SecureRandom random = new SecureRandom();
    Instant now = clock.instant();
    Date notBefore = Date.from(now.minus(Duration.ofMinutes(2)));
    Date notAfter = Date.from(now.plus(TTL));
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      KeyPair rootKeys = generator.generateKeyPair();
      KeyPair leafKeys = generator.generateKeyPair();
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();

      X500Name rootName = new X500Name("O=jistiod,CN=istiod webhook root (self-signed)");
      JcaX509v3CertificateBuilder root =
          new JcaX509v3CertificateBuilder(
              rootName,
              new BigInteger(127, random),
              notBefore,
              notAfter,
              rootName,
              rootKeys.getPublic());
      root.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      root.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      root.addExtension(
          Extension.subjectKeyIdentifier,
          false,
          ext.createSubjectKeyIdentifier(rootKeys.getPublic()));
      X509Certificate rootCert = sign(root, rootKeys);

      List<GeneralName> sans = new ArrayList<>();
      dnsNames.forEach(n -> sans.add(new GeneralName(GeneralName.dNSName, n)));
      ipAddresses.forEach(ip -> sans.add(new GeneralName(GeneralName.iPAddress, ip)));
      JcaX509v3CertificateBuilder leaf =
          new JcaX509v3CertificateBuilder(
              rootName,
              new BigInteger(127, random),
              notBefore,
              notAfter,
              new X500Name("O=jistiod"),
              leafKeys.getPublic());
      leaf.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      leaf.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      leaf.addExtension(
          Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
      leaf.addExtension(
          Extension.subjectAlternativeName,
          true,
          new GeneralNames(sans.toArray(new GeneralName[0])));
      leaf.addExtension(
          Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(rootCert));
      X509Certificate leafCert = sign(leaf, rootKeys);
      return new SelfSignedWebhookCertificate(
          new ServingCertificate(leafKeys.getPrivate(), List.of(leafCert)), rootCert);
    } catch (GeneralSecurityException | OperatorCreationException | CertIOException e) {
      throw new IllegalStateException("cannot create the webhook's self-signed certificate", e);
    }
  }

  private static X509Certificate sign(JcaX509v3CertificateBuilder builder, KeyPair issuer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate())));
  }
}
