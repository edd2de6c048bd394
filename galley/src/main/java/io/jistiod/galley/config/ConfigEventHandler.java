package io.jistiod.galley.config;

/** Receives changes from a {@link ConfigStore}. Called on the store's own event thread. */
@FunctionalInterface
public interface ConfigEventHandler {
  void onEvent(ConfigEvent event);
}
