package io.jistiod.citadel.pki;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The CA's signing certificate and key, the chain appended after every leaf, and the root bundle.
 *
 * <p>Construction validates the material so that a bad plug-in CA fails istiod at startup instead
 * of issuing certificates nobody can verify: the key must match the signing certificate, the
 * signing certificate must be a CA allowed to sign certificates, and the chain must lead from the
 * signing certificate to a certificate of the root bundle. Validity periods are not checked here;
 * an expired CA is refused when it signs, so the error names the actual problem at that time.
 *
 * <p>Immutable; the PEM forms are computed once because every issued certificate repeats them.
 * {@link #toString()} never shows the key.
 */
public final class CaKeyMaterial {
  private final X509Certificate signingCert;
  private final PrivateKey signingKey;
  private final List<X509Certificate> certChain;
  private final List<X509Certificate> rootBundle;
  private final List<String> certChainPems;
  private final List<String> rootPems;

  /**
   * @param signingCert the certificate whose key signs workload certificates ({@code ca-cert.pem})
   * @param signingKey its private key ({@code ca-key.pem})
   * @param certChain what follows a leaf in responses ({@code cert-chain.pem}): the signing
   *     certificate and the intermediates above it; empty when the signing certificate is a root
   * @param rootBundle the trusted roots ({@code root-cert.pem}); may hold several during a root
   *     migration
   */
  public CaKeyMaterial(
      X509Certificate signingCert,
      PrivateKey signingKey,
      List<X509Certificate> certChain,
      List<X509Certificate> rootBundle) {
    this.signingCert = Objects.requireNonNull(signingCert, "signingCert");
    this.signingKey = Objects.requireNonNull(signingKey, "signingKey");
    this.certChain = List.copyOf(Objects.requireNonNull(certChain, "certChain"));
    this.rootBundle = List.copyOf(Objects.requireNonNull(rootBundle, "rootBundle"));
    requireCa(signingCert);
    requireKeyMatches(signingCert, signingKey);
    requireChainToRoots(signingCert, this.certChain, this.rootBundle);
    this.certChainPems = this.certChain.stream().map(Pem::encode).toList();
    this.rootPems = this.rootBundle.stream().map(Pem::encode).toList();
  }

  /** Parses the plug-in CA files' contents; {@code certChainPem} may be empty. */
  public static CaKeyMaterial fromPem(
      String caCertPem, String caKeyPem, String certChainPem, String rootCertPem) {
    return new CaKeyMaterial(
        Pem.parseCertificates(caCertPem).stream()
            .findFirst()
            .orElseThrow(() -> new InvalidKeyMaterialException("no CA certificate found")),
        Pem.parsePrivateKey(caKeyPem),
        Pem.parseCertificates(certChainPem),
        Pem.parseCertificates(rootCertPem));
  }

  public X509Certificate signingCert() {
    return signingCert;
  }

  public PrivateKey signingKey() {
    return signingKey;
  }

  public List<X509Certificate> certChain() {
    return certChain;
  }

  public List<X509Certificate> rootBundle() {
    return rootBundle;
  }

  /** One PEM per chain certificate, each ending in a newline. */
  public List<String> certChainPems() {
    return certChainPems;
  }

  /** One PEM per root, each ending in a newline. */
  public List<String> rootPems() {
    return rootPems;
  }

  /** The root bundle as one PEM document, as published in {@code root-cert.pem}. */
  public String rootBundlePem() {
    return String.join("", rootPems);
  }

  /** Whether the signing certificate is itself one of the roots (the self-signed CA case). */
  public boolean isSelfSigned() {
    return rootBundle.contains(signingCert);
  }

  private static void requireCa(X509Certificate cert) {
    if (cert.getBasicConstraints() < 0) {
      throw new InvalidKeyMaterialException(
          "signing certificate '"
              + cert.getSubjectX500Principal()
              + "' is not a CA certificate (basicConstraints cA=false or absent)");
    }
    boolean[] keyUsage = cert.getKeyUsage();
    if (keyUsage != null && (keyUsage.length <= 5 || !keyUsage[5])) {
      throw new InvalidKeyMaterialException(
          "signing certificate '"
              + cert.getSubjectX500Principal()
              + "' does not allow keyCertSign in its key usage");
    }
  }

  /**
   * Proves the key belongs to the certificate by signing a probe and verifying it with the
   * certificate's public key; this works for every key type without comparing key internals.
   */
  private static void requireKeyMatches(X509Certificate cert, PrivateKey key) {
    PublicKey publicKey = cert.getPublicKey();
    String subject = cert.getSubjectX500Principal().toString();
    if (!publicKey.getAlgorithm().equals(key.getAlgorithm())) {
      throw new InvalidKeyMaterialException(
          "CA key type "
              + key.getAlgorithm()
              + " does not match certificate '"
              + subject
              + "' key type "
              + publicKey.getAlgorithm());
    }
    byte[] probe = "jistiod-ca-key-probe".getBytes(StandardCharsets.US_ASCII);
    try {
      String algorithm = KeyAlgorithm.signatureAlgorithmFor(key);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(probe);
      if (verifier.verify(signature)) {
        return;
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new InvalidKeyMaterialException(
          "cannot check the CA key against certificate '"
              + subject
              + "' ("
              + e.getClass().getSimpleName()
              + ")");
    }
    throw new InvalidKeyMaterialException(
        "CA private key does not match the public key of certificate '" + subject + "'");
  }

  private static void requireChainToRoots(
      X509Certificate signingCert, List<X509Certificate> chain, List<X509Certificate> roots) {
    if (roots.isEmpty()) {
      throw new InvalidKeyMaterialException("root bundle is empty");
    }
    List<X509Certificate> path = new ArrayList<>();
    if (chain.isEmpty()) {
      if (!roots.contains(signingCert)) {
        // Leaves would go out without the intermediate that signed them.
        throw new InvalidKeyMaterialException(
            "cert chain is empty but signing certificate '"
                + signingCert.getSubjectX500Principal()
                + "' is not in the root bundle");
      }
      path.add(signingCert);
    } else {
      if (!chain.get(0).equals(signingCert)) {
        throw new InvalidKeyMaterialException(
            "cert chain must start with the signing certificate '"
                + signingCert.getSubjectX500Principal()
                + "'");
      }
      path.addAll(chain);
    }
    for (int i = 0; i + 1 < path.size(); i++) {
      if (!signedBy(path.get(i), path.get(i + 1))) {
        throw new InvalidKeyMaterialException(
            "cert chain is broken: '"
                + path.get(i).getSubjectX500Principal()
                + "' is not signed by '"
                + path.get(i + 1).getSubjectX500Principal()
                + "'");
      }
    }
    X509Certificate top = path.get(path.size() - 1);
    if (roots.contains(top) || roots.stream().anyMatch(root -> signedBy(top, root))) {
      return;
    }
    throw new InvalidKeyMaterialException(
        "cert chain does not lead to the root bundle: '"
            + top.getSubjectX500Principal()
            + "' is neither a root nor signed by one");
  }

  private static boolean signedBy(X509Certificate cert, X509Certificate issuer) {
    if (!cert.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
      return false;
    }
    try {
      cert.verify(issuer.getPublicKey());
      return true;
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "CaKeyMaterial{signingCert="
        + signingCert.getSubjectX500Principal()
        + ", notAfter="
        + signingCert.getNotAfter().toInstant()
        + ", chain="
        + certChain.size()
        + ", roots="
        + rootBundle.size()
        + "}";
  }
}
