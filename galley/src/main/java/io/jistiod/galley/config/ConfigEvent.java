package io.jistiod.galley.config;

/**
 * A change in a config store. {@code previous} is null for ADD, {@code current} is null for DELETE.
 */
public record ConfigEvent(Type type, Config previous, Config current) {

  /** What happened to the object. */
  public enum Type {
    ADD,
    UPDATE,
    DELETE
  }

  public ConfigKey key() {
    return current != null ? current.key() : previous.key();
  }
}
