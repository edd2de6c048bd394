package io.jistiod.pilot.push;

import java.util.Objects;

/**
 * One changed input of a push, as istiod's {@code model.ConfigKey}: a kind, a namespace (empty for
 * cluster-scoped objects) and a name. A service is keyed by its hostname under {@link
 * Kind#SERVICE_ENTRY}, whatever registry it comes from.
 */
public record ConfigKey(Kind kind, String namespace, String name) implements Comparable<ConfigKey> {

  public ConfigKey {
    Objects.requireNonNull(kind, "kind");
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(name, "name");
  }

  public static ConfigKey of(Kind kind, String namespace, String name) {
    return new ConfigKey(kind, namespace, name);
  }

  /** A service, by hostname, in the namespace that defines it. */
  public static ConfigKey service(String hostname, String namespace) {
    return new ConfigKey(Kind.SERVICE_ENTRY, namespace, hostname);
  }

  /**
   * Parses {@code Kind/namespace/name} or {@code Kind/name}; an unknown kind keeps the whole text
   * as the name of an {@link Kind#UNKNOWN} key.
   */
  public static ConfigKey parse(String text) {
    String[] parts = text.split("/", 3);
    Kind kind = Kind.of(parts[0]);
    if (kind == Kind.UNKNOWN || parts.length == 1) {
      return new ConfigKey(Kind.UNKNOWN, "", text);
    }
    return parts.length == 2
        ? new ConfigKey(kind, "", parts[1])
        : new ConfigKey(kind, parts[1], parts[2]);
  }

  @Override
  public int compareTo(ConfigKey o) {
    int c = kind.compareTo(o.kind);
    if (c != 0) {
      return c;
    }
    c = namespace.compareTo(o.namespace);
    return c != 0 ? c : name.compareTo(o.name);
  }

  /** {@code Kind/namespace/name}, as istiod logs a config key. */
  @Override
  public String toString() {
    return namespace.isEmpty() ? kind + "/" + name : kind + "/" + namespace + "/" + name;
  }
}
