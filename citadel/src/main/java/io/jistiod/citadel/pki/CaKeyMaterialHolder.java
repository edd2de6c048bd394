package io.jistiod.citadel.pki;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The CA's current key material, swapped atomically when it is loaded or rotated.
 *
 * <p>Readers take one snapshot per certificate, so a leaf, its chain and its roots always come from
 * the same material even while a rotation replaces it. Any thread may read or set.
 */
public final class CaKeyMaterialHolder implements CaKeyMaterialSource {
  private final AtomicReference<CaKeyMaterial> current = new AtomicReference<>();

  public CaKeyMaterialHolder() {}

  public CaKeyMaterialHolder(CaKeyMaterial initial) {
    set(initial);
  }

  @Override
  public Optional<CaKeyMaterial> current() {
    return Optional.ofNullable(current.get());
  }

  public void set(CaKeyMaterial material) {
    current.set(Objects.requireNonNull(material, "material"));
  }
}
