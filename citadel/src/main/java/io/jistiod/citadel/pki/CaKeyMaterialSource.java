package io.jistiod.citadel.pki;

import java.util.Optional;

/**
 * Where the signer reads the current key material. Empty means the CA is not ready (no key yet, or
 * the stored key could not be read); the signer then refuses with CA_NOT_READY.
 */
@FunctionalInterface
public interface CaKeyMaterialSource {
  Optional<CaKeyMaterial> current();
}
