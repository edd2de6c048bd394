package io.jistiod.galley.config;

import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A view of a store that holds only the objects in the namespaces {@code selected} accepts
 * (MeshConfig discoverySelectors): listing, getting and change events all skip the others.
 * Cluster-scoped objects (no namespace) are always seen. The predicate is asked at every call, so a
 * namespace that becomes selected is seen at the next full push.
 */
public final class NamespaceFilteredConfigStore implements ConfigStore {
  private final ConfigStore delegate;
  private final Predicate<String> selected;

  public NamespaceFilteredConfigStore(ConfigStore delegate, Predicate<String> selected) {
    this.delegate = delegate;
    this.selected = selected;
  }

  private boolean visible(String namespace) {
    return namespace == null || namespace.isEmpty() || selected.test(namespace);
  }

  @Override
  public List<Config> list(ConfigKind kind, String namespace) {
    if (namespace != null && !visible(namespace)) {
      return List.of();
    }
    return delegate.list(kind, namespace).stream().filter(c -> visible(c.namespace())).toList();
  }

  @Override
  public Optional<Config> get(ConfigKind kind, String namespace, String name) {
    return visible(namespace) ? delegate.get(kind, namespace, name) : Optional.empty();
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    delegate.addHandler(
        e -> {
          if (visible(e.key().namespace())) {
            handler.onEvent(e);
          }
        });
  }

  @Override
  public boolean hasSynced() {
    return delegate.hasSynced();
  }
}
