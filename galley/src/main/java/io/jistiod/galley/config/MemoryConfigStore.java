package io.jistiod.galley.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A config store held in memory. It is the store of record for the file source and for tests.
 *
 * <p>Writers call {@link #put} and {@link #delete}; both are synchronized so handlers see events in
 * the order the writes happened. Reads are lock-free.
 */
public final class MemoryConfigStore implements ConfigStore {

  private final Map<ConfigKind, ConcurrentSkipListMap<ConfigKey, Config>> byKind =
      new ConcurrentHashMap<>();
  private final List<ConfigEventHandler> handlers = new CopyOnWriteArrayList<>();
  private volatile boolean synced;

  @Override
  public List<Config> list(ConfigKind kind, String namespace) {
    var objects = byKind.get(kind);
    if (objects == null) {
      return List.of();
    }
    List<Config> out = new ArrayList<>();
    for (Config c : objects.values()) {
      if (namespace == null || namespace.equals(c.namespace())) {
        out.add(c);
      }
    }
    return out;
  }

  @Override
  public Optional<Config> get(ConfigKind kind, String namespace, String name) {
    var objects = byKind.get(kind);
    return objects == null
        ? Optional.empty()
        : Optional.ofNullable(objects.get(new ConfigKey(kind, namespace, name)));
  }

  /** Adds or replaces an object. Returns false, and tells no one, if the content is unchanged. */
  public synchronized boolean put(Config config) {
    var objects = byKind.computeIfAbsent(config.meta().kind(), k -> new ConcurrentSkipListMap<>());
    Config previous = objects.put(config.key(), config);
    if (config.sameContent(previous)) {
      return false;
    }
    fire(
        new ConfigEvent(
            previous == null ? ConfigEvent.Type.ADD : ConfigEvent.Type.UPDATE, previous, config));
    return true;
  }

  /** Removes an object. Returns false if it was not there. */
  public synchronized boolean delete(ConfigKey key) {
    var objects = byKind.get(key.kind());
    Config previous = objects == null ? null : objects.remove(key);
    if (previous == null) {
      return false;
    }
    fire(new ConfigEvent(ConfigEvent.Type.DELETE, previous, null));
    return true;
  }

  /** Every key currently held, sorted. */
  public List<ConfigKey> keys() {
    List<ConfigKey> out = new ArrayList<>();
    byKind.values().forEach(m -> out.addAll(m.keySet()));
    out.sort(Comparator.naturalOrder());
    return out;
  }

  public void markSynced() {
    synced = true;
  }

  @Override
  public boolean hasSynced() {
    return synced;
  }

  @Override
  public void addHandler(ConfigEventHandler handler) {
    handlers.add(handler);
  }

  private void fire(ConfigEvent event) {
    for (ConfigEventHandler h : handlers) {
      h.onEvent(event);
    }
  }
}
