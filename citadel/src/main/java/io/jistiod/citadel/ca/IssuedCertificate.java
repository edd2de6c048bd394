package io.jistiod.citadel.ca;

import io.jistiod.citadel.pki.CaKeyMaterial;
import io.jistiod.citadel.pki.Pem;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A signed workload certificate together with the key material that signed it, so the chain and
 * roots sent with it are the ones that verify it even if the CA rotates meanwhile.
 */
public record IssuedCertificate(X509Certificate leaf, CaKeyMaterial issuer) {
  public IssuedCertificate {
    Objects.requireNonNull(leaf, "leaf");
    Objects.requireNonNull(issuer, "issuer");
  }

  /**
   * The response layout of Istio 1.26+: the leaf, then each chain certificate, then each root, one
   * PEM certificate per element, each ending in a newline. Agents take the last element as the
   * root; ztunnel needs one certificate per element.
   */
  public List<String> pemChain() {
    List<String> out =
        new ArrayList<>(1 + issuer.certChainPems().size() + issuer.rootPems().size());
    out.add(Pem.encode(leaf));
    out.addAll(issuer.certChainPems());
    out.addAll(issuer.rootPems());
    return List.copyOf(out);
  }
}
