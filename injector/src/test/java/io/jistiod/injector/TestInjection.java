package io.jistiod.injector;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.injector.template.GoStruct;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A stand-in sidecar template and parameters for pipeline tests. */
final class TestInjection {
  private TestInjection() {}

  /** Renders a small sidecar (init, proxy, volume) reading the template data as Istio's does. */
  static final InjectionTemplate SIDECAR =
      data -> {
        Map<String, Object> f = ((GoStruct) data).fields();
        String image = (String) f.get("ProxyImage");
        boolean nativeSidecar = (Boolean) f.get("NativeSidecars");
        String proxy =
            """
              - name: istio-proxy
                image: %s
                args: [proxy, sidecar]
                ports:
                - containerPort: 15090
                  name: http-envoy-prom
                  protocol: TCP
                env:
                - name: ISTIO_META_WORKLOAD_NAME
                  value: %s
                resources:
                  requests: {cpu: 100m}
                securityContext: {runAsUser: %d}
                volumeMounts:
                - mountPath: /etc/istio/proxy
                  name: istio-envoy
            """
                .formatted(
                    image,
                    ((GoStruct) f.get("DeploymentMeta")).fields().get("Name"),
                    f.get("ProxyUID"));
        String init =
            """
              - name: istio-init
                image: %s
                args: [istio-iptables, -p, "15001", -u, "1337"]
            """
                .formatted(image);
        return "spec:\n"
            + "  initContainers:\n"
            + init
            + (nativeSidecar ? proxy : "")
            + (nativeSidecar ? "" : "  containers:\n" + proxy)
            + "  volumes:\n  - name: istio-envoy\n    emptyDir: {medium: Memory}\n";
      };

  /** The names of the elements of a list (not of anything nested in them). */
  static List<String> names(com.fasterxml.jackson.databind.JsonNode list) {
    List<String> out = new java.util.ArrayList<>();
    list.forEach(c -> out.add(c.path("name").asText()));
    return out;
  }

  static ObjectNode pod(String yaml) throws Exception {
    return (ObjectNode) KubeYaml.read(yaml);
  }

  static InjectionParameters params(ObjectNode pod) throws Exception {
    return params(pod, MeshConfigs.defaults(), Map.of("sidecar", SIDECAR), false);
  }

  static InjectionParameters params(
      ObjectNode pod, MeshConfig mesh, Map<String, InjectionTemplate> templates, boolean native_)
      throws Exception {
    MeshConfig m = ProxyConfigs.completeMesh(mesh);
    ValuesConfig values =
        ValuesConfig.parse(
            "{\"global\":{\"hub\":\"docker.io/istio\",\"tag\":\"1.27.0\",\"proxy\":{}},"
                + "\"sidecarInjectorWebhook\":{\"rewriteAppHTTPProbe\":true}}");
    return new InjectionParameters(
        pod,
        DeployMeta.fromPod(pod),
        templates,
        List.of("sidecar"),
        Map.of(),
        m,
        m.getDefaultConfig(),
        values,
        "",
        new HashMap<>(),
        Map.of(),
        native_,
        InjectionParameters.DEFAULT_PROXY_UID,
        InjectionParameters.DEFAULT_PROXY_UID,
        "");
  }
}
