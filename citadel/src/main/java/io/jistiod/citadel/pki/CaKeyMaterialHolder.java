package io.jistiod.citadel.pki;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The CA's current key material, swapped atomically when it is loaded or rotated.
 *
 * <p>Readers take one snapshot per certificate, so a leaf, its chain and its roots always come from
 * the same material even while a rotation replaces it. Any thread may read or set.
 *
 * <p>Listeners hear of every change (root publication, istiod's serving certificate). They run on
 * the thread that calls {@link #set}, so they must only hand work off, never block.
 */
public final class CaKeyMaterialHolder implements CaKeyMaterialSource {
  private static final Logger log = LoggerFactory.getLogger(CaKeyMaterialHolder.class);

  private final AtomicReference<CaKeyMaterial> current = new AtomicReference<>();
  private final CopyOnWriteArrayList<Consumer<CaKeyMaterial>> listeners =
      new CopyOnWriteArrayList<>();

  public CaKeyMaterialHolder() {}

  public CaKeyMaterialHolder(CaKeyMaterial initial) {
    set(initial);
  }

  @Override
  public Optional<CaKeyMaterial> current() {
    return Optional.ofNullable(current.get());
  }

  /** Makes {@code material} current and tells the listeners, unless it already was current. */
  public void set(CaKeyMaterial material) {
    Objects.requireNonNull(material, "material");
    if (current.getAndSet(material) == material) {
      return;
    }
    for (Consumer<CaKeyMaterial> listener : listeners) {
      try {
        listener.accept(material);
      } catch (RuntimeException e) {
        // One broken listener must not keep the others from hearing of a new root.
        log.error("CA key material listener failed", e);
      }
    }
  }

  /**
   * Calls {@code listener} with every material set from now on, and at once with the current one if
   * there is one, so that a late subscriber does not miss the initial load.
   */
  public void addListener(Consumer<CaKeyMaterial> listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    CaKeyMaterial now = current.get();
    if (now != null) {
      listener.accept(now);
    }
  }

  public void removeListener(Consumer<CaKeyMaterial> listener) {
    listeners.remove(listener);
  }
}
