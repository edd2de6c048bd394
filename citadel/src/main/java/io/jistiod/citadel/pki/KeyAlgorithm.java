package io.jistiod.citadel.pki;

import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.ECKey;
import java.security.interfaces.RSAKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Objects;

/**
 * A key type and size for CA and workload keys.
 *
 * <p>Istio's self-signed CA uses RSA 2048 unless {@code CITADEL_SELF_SIGNED_CA_RSA_KEY_SIZE} says
 * otherwise; ECDSA P-256 is what agents use with {@code ECC_SIGNATURE_ALGORITHM=ECDSA}.
 */
public record KeyAlgorithm(Family family, int bits) {

  /** The key families Istio's CA and pilot-agent produce. */
  public enum Family {
    RSA,
    EC
  }

  public static final KeyAlgorithm RSA_2048 = new KeyAlgorithm(Family.RSA, 2048);
  public static final KeyAlgorithm ECDSA_P256 = new KeyAlgorithm(Family.EC, 256);
  public static final KeyAlgorithm DEFAULT = RSA_2048;

  public KeyAlgorithm {
    Objects.requireNonNull(family, "family");
    if (family == Family.RSA && bits < 2048) {
      throw new IllegalArgumentException("bits: " + bits + " (expected: >= 2048 for RSA)");
    }
    if (family == Family.EC && bits != 256) {
      throw new IllegalArgumentException("bits: " + bits + " (expected: 256 for EC, P-256)");
    }
  }

  public static KeyAlgorithm rsa(int bits) {
    return new KeyAlgorithm(Family.RSA, bits);
  }

  public KeyPair generateKeyPair(SecureRandom random) {
    Objects.requireNonNull(random, "random");
    try {
      if (family == Family.RSA) {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(bits, random);
        return generator.generateKeyPair();
      }
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"), random);
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      // Both algorithms are mandatory in every Java 17 runtime, so this is a broken JDK.
      throw new IllegalStateException("cannot generate " + this + " key pair", e);
    }
  }

  /**
   * The JCA signature algorithm a CA key of this type signs with, the same choice Go's crypto/x509
   * makes by default: SHA-256 for RSA and P-256, a hash matching the curve otherwise.
   */
  public static String signatureAlgorithmFor(Key key) {
    Objects.requireNonNull(key, "key");
    if (key instanceof RSAKey) {
      return "SHA256withRSA";
    }
    if (key instanceof ECKey ec) {
      int fieldSize = ec.getParams().getCurve().getField().getFieldSize();
      if (fieldSize <= 256) {
        return "SHA256withECDSA";
      }
      return fieldSize <= 384 ? "SHA384withECDSA" : "SHA512withECDSA";
    }
    throw new IllegalArgumentException(
        "unsupported key algorithm: " + key.getAlgorithm() + " (expected: RSA or EC)");
  }

  @Override
  public String toString() {
    return family == Family.RSA ? "RSA-" + bits : "ECDSA-P" + bits;
  }
}
