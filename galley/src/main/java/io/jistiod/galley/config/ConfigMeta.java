package io.jistiod.galley.config;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;

/**
 * The Kubernetes object metadata istiod uses.
 *
 * @param resourceVersion the API server's resource version, or a source-specific version for files;
 *     empty when unknown
 * @param generation metadata.generation, 0 when unknown
 * @param creationTimestamp metadata.creationTimestamp, {@link Instant#EPOCH} when unknown; istiod
 *     breaks ties between policies (PeerAuthentication) by it, oldest first
 */
public record ConfigMeta(
    ConfigKind kind,
    String name,
    String namespace,
    Map<String, String> labels,
    Map<String, String> annotations,
    String resourceVersion,
    long generation,
    Instant creationTimestamp) {

  /** Metadata without a creation time (config read from files, tests). */
  public ConfigMeta(
      ConfigKind kind,
      String name,
      String namespace,
      Map<String, String> labels,
      Map<String, String> annotations,
      String resourceVersion,
      long generation) {
    this(kind, name, namespace, labels, annotations, resourceVersion, generation, Instant.EPOCH);
  }

  public ConfigMeta {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(namespace, "namespace");
    labels = Map.copyOf(labels);
    annotations = Map.copyOf(annotations);
    Objects.requireNonNull(resourceVersion, "resourceVersion");
    Objects.requireNonNull(creationTimestamp, "creationTimestamp");
  }

  /**
   * An RFC 3339 timestamp as the API server writes {@code metadata.creationTimestamp}; {@link
   * Instant#EPOCH} if absent or unreadable (the time only orders policies, it never rejects one).
   */
  public static Instant parseTimestamp(String rfc3339) {
    if (rfc3339 == null || rfc3339.isEmpty()) {
      return Instant.EPOCH;
    }
    try {
      return java.time.OffsetDateTime.parse(rfc3339).toInstant();
    } catch (DateTimeParseException e) {
      return Instant.EPOCH;
    }
  }

  public ConfigKey key() {
    return new ConfigKey(kind, namespace, name);
  }
}
