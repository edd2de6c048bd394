package io.jistiod.injector;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Pod;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.template.GoStruct;
import io.jistiod.injector.template.GoValues;
import java.util.LinkedHashMap;
import java.util.Map;

/** istiod's SidecarTemplateData: what {@code .} is in an injection template. */
final class TemplateData {
  private TemplateData() {}

  static GoStruct of(InjectionParameters req, ObjectNode strippedPod) throws InjectionException {
    Pod pod = PodJson.typed(strippedPod);
    Map<String, Object> f = new LinkedHashMap<>();
    Map<String, Object> typeMeta = new LinkedHashMap<>();
    typeMeta.put("Kind", req.deployMeta().kind());
    typeMeta.put("APIVersion", req.deployMeta().apiVersion());
    f.put("TypeMeta", new GoStruct(typeMeta));
    Map<String, Object> deploy = new LinkedHashMap<>();
    deploy.put("Namespace", req.deployMeta().namespace());
    deploy.put("Name", req.deployMeta().name());
    f.put("DeploymentMeta", new GoStruct(deploy));
    f.put("ObjectMeta", pod.getMetadata());
    f.put("Spec", pod.getSpec());
    f.put("ProxyConfig", req.proxyConfig());
    f.put("MeshConfig", req.mesh());
    f.put("Values", GoValues.fromJson(req.values().json()));
    f.put("Revision", req.revision());
    f.put("NativeSidecars", req.nativeSidecar());
    f.put(
        "ProxyImage",
        ProxyImages.image(
            req.values(),
            req.proxyConfig(),
            InjectionPolicy.strings(strippedPod.path("metadata").path("annotations"))));
    f.put("ProxyUID", req.proxyUid());
    f.put("ProxyGID", req.proxyGid());
    f.put("InboundTrafficPolicyMode", inboundMode(req.mesh()));
    f.put("CompliancePolicy", req.compliancePolicy());
    return new GoStruct(f);
  }

  static String inboundMode(MeshConfig mesh) {
    return mesh.getInboundTrafficPolicy().getMode()
            == MeshConfig.InboundTrafficPolicy.Mode.LOCALHOST
        ? "localhost"
        : "passthrough";
  }
}
