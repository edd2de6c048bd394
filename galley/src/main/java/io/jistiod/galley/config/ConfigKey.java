package io.jistiod.galley.config;

import java.util.Objects;

/** Identifies one config object: its kind, namespace and name. */
public record ConfigKey(ConfigKind kind, String namespace, String name)
    implements Comparable<ConfigKey> {

  public ConfigKey {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public int compareTo(ConfigKey o) {
    int c = kind.kind().compareTo(o.kind.kind());
    if (c != 0) {
      return c;
    }
    c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  /** {@code Kind/namespace/name}, the form used in logs and errors. */
  @Override
  public String toString() {
    return kind.kind() + "/" + namespace + "/" + name;
  }
}
