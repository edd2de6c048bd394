package io.jistiod.galley.config;

import java.util.Map;
import java.util.Objects;

/**
 * The Kubernetes object metadata istiod uses.
 *
 * @param resourceVersion the API server's resource version, or a source-specific version for files;
 *     empty when unknown
 * @param generation metadata.generation, 0 when unknown
 */
public record ConfigMeta(
    ConfigKind kind,
    String name,
    String namespace,
    Map<String, String> labels,
    Map<String, String> annotations,
    String resourceVersion,
    long generation) {

  public ConfigMeta {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(resourceVersion, "resourceVersion");
  }

  public ConfigKey key() {
    return new ConfigKey(kind, namespace, name);
  }
}
