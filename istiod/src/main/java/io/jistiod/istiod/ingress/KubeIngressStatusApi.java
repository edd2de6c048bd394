package io.jistiod.istiod.ingress;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.jistiod.galley.api.ingress.v1.IngressLoadBalancerIngress;
import io.jistiod.galley.api.ingress.v1.IngressStatus;

/**
 * Writes Ingress status through the API server's status subresource: a merge patch that replaces
 * {@code status.loadBalancer.ingress} as a whole (an empty list clears it).
 */
public final class KubeIngressStatusApi implements IngressStatusWriter.StatusApi {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final KubernetesClient client;

  public KubeIngressStatusApi(KubernetesClient client) {
    this.client = client;
  }

  static String patch(IngressStatus status) {
    ObjectNode body = JSON.createObjectNode();
    ArrayNode points = body.putObject("status").putObject("loadBalancer").putArray("ingress");
    for (IngressLoadBalancerIngress p : status.getLoadBalancer().getIngressList()) {
      ObjectNode point = points.addObject();
      if (!p.getIp().isEmpty()) {
        point.put("ip", p.getIp());
      }
      if (!p.getHostname().isEmpty()) {
        point.put("hostname", p.getHostname());
      }
    }
    return body.toString();
  }

  @Override
  public void write(String namespace, String name, IngressStatus status) {
    client
        .genericKubernetesResources("networking.k8s.io/v1", "Ingress")
        .inNamespace(namespace)
        .withName(name)
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch(status));
  }
}
