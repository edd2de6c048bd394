package io.jistiod.galley.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Several config stores read as one, e.g. a config folder and the Kubernetes API server. The first
 * store that holds a key wins; changes from every store reach every handler.
 */
public final class AggregateConfigStore implements ConfigStore {
  private final List<ConfigStore> stores;

  public AggregateConfigStore(List<ConfigStore> stores) {
    this.stores = List.copyOf(stores);
  }

  @Override
  public List<Config> list(ConfigKind kind, String namespace) {
    if (stores.size() == 1) {
      return stores.get(0).list(kind, namespace);
    }
    List<Config> out = new ArrayList<>();
    java.util.Set<ConfigKey> seen = new java.util.HashSet<>();
    for (ConfigStore s : stores) {
      for (Config c : s.list(kind, namespace)) {
        if (seen.add(c.key())) {
          out.add(c);
        }
      }
    }
    return out;
  }

  @Override
  public Optional<Config> get(ConfigKind kind, String namespace, String name) {
    for (ConfigStore s : stores) {
      Optional<Config> c = s.get(kind, namespace, name);
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    stores.forEach(s -> s.addHandler(handler));
  }

  @Override
  public boolean hasSynced() {
    return stores.stream().allMatch(ConfigStore::hasSynced);
  }

  /** Every key held by any store, for debug listings. */
  public List<ConfigKey> keys() {
    List<ConfigKey> out = new ArrayList<>();
    for (ConfigKind kind : IstioKinds.ALL) {
      for (Config c : list(kind, null)) {
        out.add(c.key());
      }
    }
    out.sort(java.util.Comparator.naturalOrder());
    return out;
  }
}
