package io.jistiod.galley.config;

import com.google.protobuf.Message;
import java.util.Objects;

/**
 * An immutable config object: metadata plus the spec as a proto message. Sources convert what they
 * read into this form once; everything downstream (Pilot, the webhook) reads only this.
 */
public record Config(ConfigMeta meta, Message spec) {

  public Config {
    Objects.requireNonNull(meta, "meta");
    Objects.requireNonNull(spec, "spec");
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
        && meta.annotations().equals(other.meta.annotations());
  }
}
