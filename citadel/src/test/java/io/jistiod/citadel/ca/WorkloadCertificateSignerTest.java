package io.jistiod.citadel.ca;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.Pem;
import io.jistiod.citadel.testing.TestPki;
import java.security.KeyPair;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x509.AuthorityKeyIdentifier;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.junit.jupiter.api.Test;

class WorkloadCertificateSignerTest {
  private static final String CALLER = TestPki.spiffe("default", "sleep");

  private final CaKeyMaterial root = TestPki.selfSignedRoot();
  private final WorkloadCertificateSigner signer = signer(root);

  private static WorkloadCertificateSigner signer(CaKeyMaterial material) {
    return new WorkloadCertificateSigner(
        new CaKeyMaterialHolder(material), TtlPolicy.ISTIO_DEFAULTS, TestPki.CLOCK, TestPki.RANDOM);
  }

  private static String csr() {
    return TestPki.csr(TestPki.ecKey(), CALLER);
  }

  /** CA-09: the X509-SVID profile, extension by extension. */
  @Test
  void leafFollowsTheSvidProfile() throws Exception {
    X509Certificate leaf = signer.sign(csr(), List.of(CALLER), Duration.ofHours(1)).leaf();

    assertThat(leaf.getSubjectX500Principal().getEncoded()).hasSize(2); // empty SEQUENCE
    assertThat(leaf.getIssuerX500Principal())
        .isEqualTo(root.signingCert().getSubjectX500Principal());
    assertThat(leaf.getPublicKey()).isEqualTo(TestPki.ecKey().getPublic());
    leaf.verify(root.signingCert().getPublicKey());

    assertThat(sans(leaf)).containsExactly("6=" + CALLER); // 6 = uniformResourceIdentifier

    assertThat(leaf.getCriticalExtensionOIDs())
        .containsExactlyInAnyOrder(
            Extension.subjectAlternativeName.getId(),
            Extension.keyUsage.getId(),
            Extension.basicConstraints.getId());
    assertThat(leaf.getNonCriticalExtensionOIDs())
        .containsExactlyInAnyOrder(
            Extension.extendedKeyUsage.getId(), Extension.authorityKeyIdentifier.getId());

    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    boolean[] keyUsage = leaf.getKeyUsage();
    assertThat(keyUsage[0]).as("digitalSignature").isTrue();
    assertThat(keyUsage[2]).as("keyEncipherment").isTrue();
    assertThat(keyUsage[5]).as("keyCertSign").isFalse();
    assertThat(keyUsage[6]).as("cRLSign").isFalse();
    assertThat(leaf.getExtendedKeyUsage())
        .containsExactlyInAnyOrder("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2");

    assertThat(leaf.getSerialNumber().signum()).isPositive();
    assertThat(leaf.getSerialNumber().bitLength()).isLessThanOrEqualTo(128);
    assertThat(leaf.getNotBefore().toInstant()).isEqualTo(TestPki.NOW.minusSeconds(120));
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(TestPki.NOW.plus(Duration.ofHours(1)));

    byte[] aki = leaf.getExtensionValue(Extension.authorityKeyIdentifier.getId());
    byte[] ski = root.signingCert().getExtensionValue(Extension.subjectKeyIdentifier.getId());
    assertThat(
            AuthorityKeyIdentifier.getInstance(ASN1OctetString.getInstance(aki).getOctets())
                .getKeyIdentifier())
        .isEqualTo(
            SubjectKeyIdentifier.getInstance(ASN1OctetString.getInstance(ski).getOctets())
                .getKeyIdentifier());
  }

  @Test
  void serialsAreRandom() throws Exception {
    Set<Object> serials = new HashSet<>();
    for (int i = 0; i < 20; i++) {
      serials.add(signer.sign(csr(), List.of(CALLER), Duration.ZERO).leaf().getSerialNumber());
    }
    assertThat(serials).hasSize(20);
    assertThat(
            serials.stream().mapToInt(s -> ((java.math.BigInteger) s).bitLength()).max().getAsInt())
        .isGreaterThan(120);
  }

  /** CA-04: the SAN is the given identity, never the one the CSR asks for. */
  @Test
  void ignoresTheSanRequestedInTheCsr() throws Exception {
    String csr = TestPki.csr(TestPki.ecKey(), TestPki.spiffe("istio-system", "istiod"));
    X509Certificate leaf = signer.sign(csr, List.of(CALLER), Duration.ZERO).leaf();
    assertThat(sans(leaf)).containsExactly("6=" + CALLER);
  }

  @Test
  void classifiesNonSpiffeIdentitiesAsDnsAndIp() throws Exception {
    X509Certificate leaf =
        signer
            .sign(csr(), List.of(CALLER, "istiod.istio-system.svc", "10.0.0.1"), Duration.ZERO)
            .leaf();
    assertThat(sans(leaf))
        .containsExactly("6=" + CALLER, "2=istiod.istio-system.svc", "7=10.0.0.1");
  }

  @Test
  void signsRsaCsrs() throws Exception {
    KeyPair rsa = TestPki.rsaKey();
    X509Certificate leaf =
        signer.sign(TestPki.csr(rsa, CALLER), List.of(CALLER), Duration.ZERO).leaf();
    assertThat(leaf.getPublicKey()).isEqualTo(rsa.getPublic());
  }

  /** CA-06: proof of possession. */
  @Test
  void refusesCsrWithAFlippedByte() {
    String csr = csr();
    // Flip a character well inside the base64 body: the DER still parses or fails, either way
    // the request must not be signed.
    int at = csr.indexOf('\n') + 200;
    char flipped = csr.charAt(at) == 'A' ? 'B' : 'A';
    String tampered = csr.substring(0, at) + flipped + csr.substring(at + 1);

    assertThatThrownBy(() -> signer.sign(tampered, List.of(CALLER), Duration.ZERO))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.type()).isEqualTo(CaErrorType.CSR_ERROR));
  }

  @Test
  void refusesCsrSignedByAnotherKey() throws Exception {
    // A CSR carrying key A but signed with key B: splice A's public key into B's CSR.
    var csrA =
        new org.bouncycastle.pkcs.PKCS10CertificationRequest(
            Pem.parseCsr(TestPki.csr(TestPki.ecKey(), CALLER)).getEncoded());
    KeyPair other = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestPki.RANDOM);
    var csrB = Pem.parseCsr(TestPki.csr(other, CALLER)).toASN1Structure();
    var spliced =
        new org.bouncycastle.asn1.pkcs.CertificationRequest(
            new org.bouncycastle.asn1.pkcs.CertificationRequestInfo(
                csrB.getCertificationRequestInfo().getSubject(),
                csrA.getSubjectPublicKeyInfo(),
                csrB.getCertificationRequestInfo().getAttributes()),
            csrB.getSignatureAlgorithm(),
            csrB.getSignature());
    String pem = Pem.encode(new org.bouncycastle.pkcs.PKCS10CertificationRequest(spliced));

    assertThatThrownBy(() -> signer.sign(pem, List.of(CALLER), Duration.ZERO))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.type()).isEqualTo(CaErrorType.CSR_ERROR);
              assertThat(e).hasMessageContaining("signature is invalid");
            });
  }

  @Test
  void refusesGarbage() {
    for (String garbage : List.of("", "not a csr", Pem.encode(root.signingCert()))) {
      assertThatThrownBy(() -> signer.sign(garbage, List.of(CALLER), Duration.ZERO))
          .isInstanceOfSatisfying(
              CaException.class, e -> assertThat(e.type()).isEqualTo(CaErrorType.CSR_ERROR));
    }
  }

  /** CA-07: zero gets the default; the maximum is allowed; one second more is refused. */
  @Test
  void appliesTheTtlPolicy() throws Exception {
    assertThat(lifetime(Duration.ZERO)).isEqualTo(Duration.ofHours(24));
    assertThat(lifetime(Duration.ofSeconds(-5))).isEqualTo(Duration.ofHours(24));
    assertThat(lifetime(Duration.ofHours(24))).isEqualTo(Duration.ofHours(24));
    assertThat(lifetime(Duration.ofDays(90))).isEqualTo(Duration.ofDays(90));
    assertThatThrownBy(() -> lifetime(Duration.ofDays(90).plusSeconds(1)))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.type()).isEqualTo(CaErrorType.TTL_ERROR));
  }

  private Duration lifetime(Duration requested) throws CaException {
    X509Certificate leaf = signer.sign(csr(), List.of(CALLER), requested).leaf();
    return Duration.between(TestPki.NOW, leaf.getNotAfter().toInstant());
  }

  /** CA-08: a leaf never outlives its signing certificate. */
  @Test
  void clampsNotAfterToTheSigningCertificate() throws Exception {
    CaKeyMaterial shortLived = TestPki.rootExpiringIn(Duration.ofHours(1));
    X509Certificate leaf =
        signer(shortLived).sign(csr(), List.of(CALLER), Duration.ofHours(24)).leaf();
    assertThat(leaf.getNotAfter()).isEqualTo(shortLived.signingCert().getNotAfter());
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(TestPki.NOW.plus(Duration.ofHours(1)));
  }

  @Test
  void refusesToSignWithAnExpiredCa() {
    CaKeyMaterial expired = TestPki.rootExpiringIn(Duration.ofSeconds(-1));
    assertThatThrownBy(() -> signer(expired).sign(csr(), List.of(CALLER), Duration.ZERO))
        .isInstanceOfSatisfying(
            CaException.class,
            e -> {
              assertThat(e.type()).isEqualTo(CaErrorType.CERT_GEN_ERROR);
              assertThat(e).hasMessageContaining("expired");
            });
  }

  /** CA-11. */
  @Test
  void refusesWhenTheCaIsNotReady() {
    WorkloadCertificateSigner notReady =
        new WorkloadCertificateSigner(
            Optional::empty, TtlPolicy.ISTIO_DEFAULTS, TestPki.CLOCK, TestPki.RANDOM);
    assertThatThrownBy(() -> notReady.sign(csr(), List.of(CALLER), Duration.ZERO))
        .isInstanceOfSatisfying(
            CaException.class, e -> assertThat(e.type()).isEqualTo(CaErrorType.CA_NOT_READY));
  }

  /** CA-10: leaf, intermediates, root; one certificate per element; PKIX-valid to the root. */
  @Test
  void chainVerifiesWithPkixThroughAnIntermediate() throws Exception {
    CaKeyMaterial intermediate = TestPki.intermediate(root, "istiod-intermediate");
    IssuedCertificate issued = signer(intermediate).sign(csr(), List.of(CALLER), Duration.ZERO);

    List<String> pems = issued.pemChain();
    assertThat(pems).hasSize(4).allMatch(p -> p.endsWith("-----END CERTIFICATE-----\n"));
    List<X509Certificate> certs =
        pems.stream().map(Pem::parseCertificate).collect(Collectors.toList());
    assertThat(certs.get(0)).isEqualTo(issued.leaf());
    assertThat(certs.get(1)).isEqualTo(intermediate.signingCert());
    assertThat(certs.get(3)).isEqualTo(root.signingCert());

    validate(certs.subList(0, 2), root.signingCert());
  }

  @Test
  void chainFromSelfSignedRootIsLeafThenRoot() throws Exception {
    IssuedCertificate issued = signer.sign(csr(), List.of(CALLER), Duration.ZERO);
    List<X509Certificate> certs = issued.pemChain().stream().map(Pem::parseCertificate).toList();
    assertThat(certs).containsExactly(issued.leaf(), root.signingCert());
    validate(certs.subList(0, 1), root.signingCert());
  }

  static void validate(List<X509Certificate> path, X509Certificate trustedRoot) throws Exception {
    var certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
    PKIXParameters params = new PKIXParameters(Set.of(new TrustAnchor(trustedRoot, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(TestPki.NOW));
    CertPathValidator.getInstance("PKIX").validate(certPath, params);
  }

  static List<String> sans(X509Certificate cert) throws Exception {
    return cert.getSubjectAlternativeNames().stream()
        .map(san -> san.get(0) + "=" + san.get(1))
        .toList();
  }

  /** istiod's serving certificate: a key of the process itself, DNS names, no CSR. */
  @Test
  void signsAPublicKeyForDnsNames() throws Exception {
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(TestPki.RANDOM);
    X509Certificate leaf =
        signer
            .sign(
                key.getPublic(),
                List.of("istiod.istio-system.svc", "istio-pilot.istio-system.svc"),
                Duration.ofHours(2))
            .leaf();

    assertThat(leaf.getPublicKey()).isEqualTo(key.getPublic());
    assertThat(sans(leaf))
        .containsExactly("2=istiod.istio-system.svc", "2=istio-pilot.istio-system.svc");
    assertThat(leaf.getNotAfter().toInstant()).isEqualTo(TestPki.NOW.plus(Duration.ofHours(2)));
    leaf.verify(root.signingCert().getPublicKey());
  }
}
