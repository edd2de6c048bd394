package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What istiod does to the merged pod after the templates (postProcessPod): cluster and network env
 * from the webhook path, metrics merging, the app probe rewrite, the status annotation and the
 * container order.
 */
final class PodPostProcessor {
  static final String NETWORK_LABEL = "topology.istio.io/network";

  private PodPostProcessor() {}

  static void process(ObjectNode pod, JsonNode templatePod, InjectionParameters req)
      throws InjectionException {
    PodJson.annotations(pod);
    PodJson.labels(pod);
    overwriteClusterInfo(pod, req.proxyEnvs());
    PrometheusMerge.apply(pod, req.mesh());
    applyRewrite(pod, req);
    applyMetadata(pod, templatePod, req);
    reorder(pod, req);
    // Go's omitempty: a labels map istiod made for nothing is not printed (nor patched).
    if (pod.path("metadata").path("labels").isEmpty()) {
      ((ObjectNode) pod.get("metadata")).remove("labels");
    }
  }

  private static void overwriteClusterInfo(ObjectNode pod, Map<String, String> envs) {
    ObjectNode sidecar = PodJson.findInPod(PodJson.PROXY, pod);
    if (sidecar == null || envs.isEmpty()) {
      return;
    }
    ArrayNode kept = JsonNodeFactory.instance.arrayNode();
    for (JsonNode e : sidecar.path("env")) {
      if (!envs.containsKey(e.path("name").asText())) {
        kept.add(e);
      }
    }
    new TreeMap<>(envs).forEach((k, v) -> kept.addObject().put("name", k).put("value", v));
    sidecar.set("env", kept);
  }

  private static void applyRewrite(ObjectNode pod, InjectionParameters req) {
    ObjectNode sidecar = PodJson.findInPod(PodJson.PROXY, pod);
    if (sidecar == null) {
      return;
    }
    ObjectNode annotations = PodJson.annotations(pod);
    if (!AppProbes.shouldRewrite(annotations, req.values().rewriteAppHttpProbe())) {
      return;
    }
    int statusPort = req.mesh().getDefaultConfig().getStatusPort();
    String probers = AppProbes.dump(pod, statusPort);
    if (!probers.isEmpty()) {
      AppProbes.addEnv(sidecar, annotations.has(ContainerOverrides.STATUS), probers);
    }
    AppProbes.rewrite(pod, statusPort);
  }

  private static void applyMetadata(ObjectNode pod, JsonNode templatePod, InjectionParameters req) {
    String network = req.proxyEnvs().get("ISTIO_META_NETWORK");
    if (network != null) {
      PodJson.labels(pod).put(NETWORK_LABEL, network);
    }
    ObjectNode annotations = PodJson.annotations(pod);
    annotations.put(ContainerOverrides.STATUS, status(templatePod, req.revision()));
    req.injectedAnnotations().forEach(annotations::put);
  }

  /**
   * The {@code sidecar.istio.io/status} annotation: what the templates added, as Go marshals it.
   */
  static String status(JsonNode templatePod, String revision) {
    ObjectNode s = JsonNodeFactory.instance.objectNode();
    s.set("initContainers", names(templatePod.path("spec").path("initContainers")));
    s.set("containers", names(templatePod.path("spec").path("containers")));
    s.set("volumes", names(templatePod.path("spec").path("volumes")));
    s.set("imagePullSecrets", names(templatePod.path("spec").path("imagePullSecrets")));
    s.put("revision", revision == null || revision.isEmpty() ? "default" : revision);
    return s.toString();
  }

  private static JsonNode names(JsonNode list) {
    if (list.size() == 0) {
      return JsonNodeFactory.instance.nullNode(); // a nil slice
    }
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    list.forEach(c -> a.add(c.path("name").asText("")));
    return a;
  }

  private static void reorder(ObjectNode pod, InjectionParameters req) throws InjectionException {
    MeshConfig mc = req.mesh();
    boolean hold =
        mc.getDefaultConfig().getHoldApplicationUntilProxyStarts().getValue()
            || req.values().holdApplicationUntilProxyStarts();
    String pca = PodJson.annotation(req.pod(), ProxyConfigs.ANNOTATION);
    if (pca != null) {
      hold =
          ProxyConfigs.apply(mc.getDefaultConfig(), pca)
                  .getHoldApplicationUntilProxyStarts()
                  .getValue()
              || req.values().holdApplicationUntilProxyStarts();
    }
    List<ObjectNode> containers = PodJson.containers(pod, "containers");
    containers = move(containers, PodJson.PROXY, hold ? Move.FIRST : Move.LAST);
    PodJson.setContainers(pod, "containers", containers);
    List<ObjectNode> inits = PodJson.containers(pod, "initContainers");
    if (PodJson.find(PodJson.PROXY, inits) != null) {
      // Native sidecar: init/validation, then the proxy, so later init containers are in the mesh.
      inits = move(inits, "enable-core-dump", Move.FIRST);
      inits = move(inits, PodJson.PROXY, Move.FIRST);
      inits = move(inits, ContainerOverrides.VALIDATION, Move.FIRST);
      inits = move(inits, ContainerOverrides.INIT, Move.FIRST);
    } else {
      // Validation first to block user containers; iptables last so init containers get out.
      inits = move(inits, ContainerOverrides.VALIDATION, Move.FIRST);
      inits = move(inits, ContainerOverrides.INIT, Move.LAST);
      inits = move(inits, "enable-core-dump", Move.LAST);
    }
    if (pod.path("spec").has("initContainers")) {
      PodJson.setContainers(pod, "initContainers", inits);
    }
  }

  enum Move {
    FIRST,
    LAST,
    REMOVE
  }

  /** istiod's modifyContainers: every container named {@code name} goes; the last one is moved. */
  static List<ObjectNode> move(List<ObjectNode> list, String name, Move how) {
    List<ObjectNode> rest = new ArrayList<>();
    ObjectNode match = null;
    for (ObjectNode c : list) {
      if (name.equals(c.path("name").asText(null))) {
        match = c;
      } else {
        rest.add(c);
      }
    }
    if (match == null) {
      return rest;
    }
    switch (how) {
      case FIRST -> rest.add(0, match);
      case LAST -> rest.add(match);
      case REMOVE -> {}
    }
    return rest;
  }
}
