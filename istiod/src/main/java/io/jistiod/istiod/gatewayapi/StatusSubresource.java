package io.jistiod.istiod.gatewayapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.config.ConfigKey;

/** The status subresource of Kubernetes objects: where {@link GatewayStatusWriter} writes. */
interface StatusSubresource {

  /**
   * Replaces the whole status of object {@code key}, provided the object is still at {@code
   * resourceVersion} (the API server answers 409 otherwise, so a status computed from an older
   * object never overwrites a newer one's).
   *
   * @throws io.fabric8.kubernetes.client.KubernetesClientException with the API server's code
   */
  void replace(ConfigKey key, String resourceVersion, ObjectNode status);
}
