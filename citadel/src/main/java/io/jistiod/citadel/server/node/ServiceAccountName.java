package io.jistiod.citadel.server.node;

import java.util.Objects;

/** A service account, {@code namespace/name}. */
public record ServiceAccountName(String namespace, String name) {
  public ServiceAccountName {
    Objects.requireNonNull(namespace, "namespace");
    Objects.requireNonNull(name, "name");
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
