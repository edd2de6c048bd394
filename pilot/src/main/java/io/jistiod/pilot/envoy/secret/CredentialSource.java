package io.jistiod.pilot.envoy.secret;

import com.google.protobuf.ByteString;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Where gateway credentials ({@code credentialName} Secrets) come from. Reads are snapshot reads of
 * a cache (no I/O), so the SDS generator stays a pure function of what it is given.
 */
@FunctionalInterface
public interface CredentialSource {

  /** No credentials at all: istiod without Kubernetes. */
  CredentialSource NONE = (namespace, name) -> Optional.empty();

  /**
   * The Secret {@code namespace/name}, if it exists and is of a type credentials may come from
   * ({@code kubernetes.io/tls} or {@code Opaque}).
   */
  Optional<SecretData> secret(String namespace, String name);

  /** A Secret's data, decoded from base64. */
  record SecretData(String namespace, String name, String type, Map<String, ByteString> data) {
    public SecretData {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      data = Map.copyOf(data);
    }

    /** The value of {@code key}, empty if absent. */
    public ByteString get(String key) {
      return data.getOrDefault(key, ByteString.EMPTY);
    }
  }
}
