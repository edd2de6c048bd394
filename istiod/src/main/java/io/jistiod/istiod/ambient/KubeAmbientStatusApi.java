package io.jistiod.istiod.ambient;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.jistiod.pilot.ambient.AmbientStatus.Report;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The ambient status writer's API server: the object read as it is now, and a forced server-side
 * apply of its {@code status} subresource under the writer's field manager (istiod's reporter
 * name).
 */
public final class KubeAmbientStatusApi implements AmbientStatusWriter.StatusApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;

  public KubeAmbientStatusApi(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  private Resource<GenericKubernetesResource> resource(Report r) {
    MixedOperation<
            GenericKubernetesResource,
            GenericKubernetesResourceList,
            Resource<GenericKubernetesResource>>
        op = client.genericKubernetesResources(r.target().apiVersion(), r.target().kind());
    return op.inNamespace(r.namespace()).withName(r.name());
  }

  @Override
  public Optional<Map<String, JsonNode>> conditions(Report r) {
    GenericKubernetesResource o = resource(r).get();
    if (o == null) {
      return Optional.empty();
    }
    Object status = o.getAdditionalProperties().get("status");
    return Optional.of(
        AmbientStatusWriter.conditionsByType(status == null ? null : JSON.valueToTree(status)));
  }

  @Override
  public void apply(Report r, ObjectNode body) {
    resource(r)
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager(r.writer())
                .withForce(true)
                .build(),
            body.toString());
  }
}
