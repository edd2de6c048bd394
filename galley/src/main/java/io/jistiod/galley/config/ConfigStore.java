package io.jistiod.galley.config;

import java.util.List;
import java.util.Optional;

/**
 * The read side of configuration that Pilot consumes. Implementations: memory, files, Kubernetes,
 * and an aggregate of several.
 */
public interface ConfigStore {

  /** Every object of {@code kind}; in {@code namespace} only, unless it is null. */
  List<Config> list(ConfigKind kind, String namespace);

  Optional<Config> get(ConfigKind kind, String namespace, String name);

  /** Registers a handler for every later change. Changes that alter no content are not reported. */
  void addHandler(ConfigEventHandler handler);

  /** True once the store holds the complete initial state of its source. */
  boolean hasSynced();
}
