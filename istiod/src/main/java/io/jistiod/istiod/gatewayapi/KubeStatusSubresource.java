package io.jistiod.istiod.gatewayapi;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.jistiod.galley.config.ConfigKey;
import io.jistiod.galley.config.ConfigKind;
import java.util.Objects;

/**
 * Writes status as istiod 1.27 does: an update (PUT) of the {@code status} subresource at the
 * kind's preferred version (the one istiod watches: {@code v1beta1} GatewayClass, Gateway and
 * HTTPRoute, {@code v1} GRPCRoute, {@code v1alpha2} TCPRoute and TLSRoute, {@code
 * gateway.networking.x-k8s.io/v1alpha1} XListenerSet), carrying the object's resourceVersion, under
 * the field manager {@code pilot-discovery}. istiod names no field manager; the API server takes it
 * from istiod's user agent ({@code pilot-discovery/1.27.x}), so naming it here keeps {@code
 * managedFields} as istiod leaves them. fabric8 sends a field manager only with patches, hence the
 * raw request.
 */
final class KubeStatusSubresource implements StatusSubresource {
  static final String FIELD_MANAGER = "pilot-discovery";
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

  private final KubernetesClient client;

  KubeStatusSubresource(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  @Override
  public void replace(ConfigKey key, String resourceVersion, ObjectNode status) {
    client.raw(path(key), "PUT", body(key, resourceVersion, status));
  }

  /** The object as the API server takes it on /status: only its status is applied. */
  static ObjectNode body(ConfigKey key, String resourceVersion, ObjectNode status) {
    ObjectNode body = JSON.objectNode();
    body.put("apiVersion", key.kind().apiVersion());
    body.put("kind", key.kind().kind());
    ObjectNode metadata = body.putObject("metadata");
    metadata.put("name", key.name());
    if (!key.namespace().isEmpty()) {
      metadata.put("namespace", key.namespace());
    }
    if (!resourceVersion.isEmpty()) {
      metadata.put("resourceVersion", resourceVersion);
    }
    body.set("status", status);
    return body;
  }

  /** {@code /apis/GROUP/VERSION[/namespaces/NS]/PLURAL/NAME/status?fieldManager=...}. */
  static String path(ConfigKey key) {
    ConfigKind kind = key.kind();
    StringBuilder p = new StringBuilder("/apis/").append(kind.apiVersion());
    if (!kind.clusterScoped()) {
      p.append("/namespaces/").append(key.namespace());
    }
    return p.append('/')
        .append(kind.plural())
        .append('/')
        .append(key.name())
        .append("/status?fieldManager=")
        .append(FIELD_MANAGER)
        .toString();
  }
}
