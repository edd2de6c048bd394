package io.jistiod.istiod.security;

import io.jistiod.citadel.ca.CaException;
import io.jistiod.citadel.ca.TtlPolicy;
import io.jistiod.citadel.ca.WorkloadCertificateSigner;
import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.CaKeyMaterialHolder;
import io.jistiod.citadel.pki.KeyAlgorithm;
import io.jistiod.citadel.pki.SelfSignedRootGenerator;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Key material for istiod's tests: a self-signed CA and certificates it signs. */
final class TestCa {
  static final Instant NOW = Instant.parse("2025-06-01T12:00:00Z");
  static final SecureRandom RANDOM = new SecureRandom();

  private TestCa() {}

  static CaKeyMaterial root(Clock clock) {
    return new SelfSignedRootGenerator(clock, RANDOM)
        .generate("cluster.local", KeyAlgorithm.ECDSA_P256, Duration.ofDays(365));
  }

  /** A key and a certificate for {@code identities} from {@code ca}, valid for a day. */
  static ServingCertificate issue(CaKeyMaterial ca, Clock clock, String... identities) {
    KeyPair key = KeyAlgorithm.ECDSA_P256.generateKeyPair(RANDOM);
    try {
      var issued =
          new WorkloadCertificateSigner(
                  new CaKeyMaterialHolder(ca), TtlPolicy.ISTIO_DEFAULTS, clock, RANDOM)
              .sign(key.getPublic(), List.of(identities), Duration.ofDays(1));
      return new ServingCertificate(key.getPrivate(), List.of(issued.leaf()));
    } catch (CaException e) {
      throw new IllegalStateException(e);
    }
  }
}
