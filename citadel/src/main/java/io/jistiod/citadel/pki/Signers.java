package io.jistiod.citadel.pki;

import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.util.Objects;
import org.bouncycastle.jce.provider.BouncyCastleProvider;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.ContentVerifierProvider;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.operator.jcajce.JcaContentVerifierProviderBuilder;

/**
 * Signature operations for certificates and CSRs, on the provider that is fastest for the key.
 *
 * <p>Bouncy Castle handles EC keys: on Java 17 its P-256 ECDSA signs and verifies about twice as
 * fast as SunEC. The JDK handles RSA, where it is the faster one. The provider instance is private
 * and never registered, so nothing else in the process changes behaviour.
 */
public final class Signers {
  private Signers() {}

  /**
   * Made when an EC key is first used: building the provider loads some 200 classes (about 0.1 s of
   * istiod's start on a quiet machine), and istiod's default CA key is RSA.
   */
  private static final class BouncyCastle {
    static final Provider PROVIDER = new BouncyCastleProvider();
  }

  /** Signs with {@code key} using {@link KeyAlgorithm#signatureAlgorithmFor}. */
  public static ContentSigner contentSigner(PrivateKey key) throws OperatorCreationException {
    Objects.requireNonNull(key, "key");
    JcaContentSignerBuilder builder =
        new JcaContentSignerBuilder(KeyAlgorithm.signatureAlgorithmFor(key));
    if (key instanceof ECKey) {
      builder.setProvider(BouncyCastle.PROVIDER);
    }
    return builder.build(key);
  }

  /** Verifies signatures made by the private half of {@code key}. */
  public static ContentVerifierProvider verifier(PublicKey key) throws OperatorCreationException {
    Objects.requireNonNull(key, "key");
    JcaContentVerifierProviderBuilder builder = new JcaContentVerifierProviderBuilder();
    if (key instanceof ECKey) {
      builder.setProvider(BouncyCastle.PROVIDER);
    }
    return builder.build(key);
  }
}
