package io.jistiod.galley.config;

import com.google.protobuf.Message;
import java.util.Objects;

/**
 * An immutable config object: metadata plus the spec as a proto message, and the status for kinds
 * whose status istiod reads ({@link ConfigKind#statusPrototype()}). Sources convert what they read
 * into this form once; everything downstream (Pilot, the webhook) reads only this.
 *
 * @param status the object's status as last read, or null for kinds without one; it is not content
 *     ({@link #sameContent}), so a status-only update pushes nothing, except a WorkloadEntry's (its
 *     health)
 */
public record Config(ConfigMeta meta, Message spec, Message status) {

  /** An object without status (every Istio kind). */
  public Config(ConfigMeta meta, Message spec) {
    this(meta, spec, null);
  }

  public Config {
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(spec, "spec");
    Message statusType = meta.kind().statusPrototype();
    if (status != null
        && (statusType == null
            || !statusType.getDescriptorForType().equals(status.getDescriptorForType()))) {
      throw new IllegalArgumentException(
          "status: "
              + status.getDescriptorForType().getFullName()
              + " (expected: "
              + (statusType == null ? "none" : statusType.getDescriptorForType().getFullName())
              + " for "
              + meta.kind().kind()
              + ")");
    }
    if (!meta.kind().specPrototype().getDescriptorForType().equals(spec.getDescriptorForType())) {
      throw new IllegalArgumentException(
          "spec: "
              + spec.getDescriptorForType().getFullName()
              + " (expected: "
              + meta.kind().specPrototype().getDescriptorForType().getFullName()
              + " for "
              + meta.kind().kind()
              + ")");
    }
  }

  public ConfigKey key() {
    return meta.key();
  }

  public String name() {
    return meta.name();
  }

  public String namespace() {
    return meta.namespace();
  }

  /** The status cast to its message type; the default instance when none was read. */
  public <T extends Message> T status(Class<T> type) {
    if (status != null) {
      return type.cast(status);
    }
    Message prototype = meta.kind().statusPrototype();
    if (prototype == null) {
      throw new IllegalStateException(meta.kind().kind() + " has no status");
    }
    return type.cast(prototype);
  }

  /** The spec cast to its message type. */
  public <T extends Message> T spec(Class<T> type) {
    return type.cast(spec);
  }

  /**
   * Whether {@code other} carries the same content: spec, labels and annotations. The resource
   * version is ignored, so a re-list or a status-only update is not a change.
   */
  public boolean sameContent(Config other) {
    return other != null
        && spec.equals(other.spec)
        && meta.labels().equals(other.meta.labels())
        && meta.annotations().equals(other.meta.annotations())
        && (!statusIsContent() || Objects.equals(status, other.status));
  }

  /**
   * Whether a status change is a change of what istiod serves: a WorkloadEntry's status holds its
   * health, which decides whether its endpoints are served. Other kinds' status is istiod's own
   * output, and hearing it would only loop.
   */
  private boolean statusIsContent() {
    return meta.kind().equals(IstioKinds.WORKLOAD_ENTRY);
  }
}
