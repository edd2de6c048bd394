package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A pod's own version of an injected container ({@code istio-proxy} with custom resources, say):
 * istiod merges the pod's container back over the template's, remembers it in {@code
 * proxy.istio.io/overrides} so a re-injection sees it again, and lines the init container's user up
 * with a custom proxy user.
 */
final class ContainerOverrides {
  static final String ANNOTATION = "proxy.istio.io/overrides";
  static final String STATUS = "sidecar.istio.io/status";
  static final String AUTO_IMAGE = "auto";
  static final String INIT = "istio-init";
  static final String VALIDATION = "istio-validation";

  private ContainerOverrides() {}

  private static ObjectNode parseOverrides(JsonNode pod) throws InjectionException {
    String text = PodJson.annotation(pod, ANNOTATION);
    if (text == null) {
      return JsonNodeFactory.instance.objectNode();
    }
    try {
      JsonNode n = PodJson.MAPPER.readTree(text);
      if (n instanceof ObjectNode o) {
        return o;
      }
      throw new InjectionException("annotation " + ANNOTATION + ": expected a JSON object");
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new InjectionException("annotation " + ANNOTATION + ": " + PodJson.oneLine(e));
    }
  }

  private static List<ObjectNode> list(JsonNode overrides, String field) {
    List<ObjectNode> out = new java.util.ArrayList<>();
    for (JsonNode c : overrides.path(field)) {
      if (c instanceof ObjectNode o) {
        out.add(o);
      }
    }
    return out;
  }

  /** Puts the remembered overrides back into a stripped pod (istiod's reinsertOverrides). */
  static ObjectNode reinsert(ObjectNode pod) throws InjectionException {
    ObjectNode overrides = parseOverrides(pod);
    ObjectNode out = pod.deepCopy();
    for (String field : List.of("containers", "initContainers")) {
      for (ObjectNode c : list(overrides, field)) {
        if (PodJson.find(c.path("name").asText(""), PodJson.containers(out, field)) == null) {
          PodJson.array(PodJson.spec(out), field).add(c.deepCopy());
        }
      }
    }
    return out;
  }

  /** Names of the containers an earlier injection added, from its status annotation. */
  private static Set<String> injected(JsonNode status, String field) {
    Set<String> names = new HashSet<>();
    for (JsonNode n : status.path(field)) {
      names.add(n.asText());
    }
    return names;
  }

  /** istiod's reapplyOverwrittenContainers. */
  static ObjectNode reapply(
      ObjectNode finalPod, ObjectNode originalPod, JsonNode templatePod, ProxyConfig proxyConfig)
      throws InjectionException {
    ObjectNode existing = parseOverrides(originalPod);
    String statusText = PodJson.annotation(originalPod, STATUS);
    boolean alreadyInjected = statusText != null;
    JsonNode status = JsonNodeFactory.instance.objectNode();
    if (alreadyInjected) {
      try {
        status = PodJson.MAPPER.readTree(statusText);
      } catch (Exception e) {
        status = JsonNodeFactory.instance.objectNode(); // istiod logs and treats it as empty
      }
    }
    ObjectNode overrides = JsonNodeFactory.instance.objectNode();
    for (String field : List.of("containers", "initContainers")) {
      Set<String> skip = injected(status, field);
      for (ObjectNode c : PodJson.containers(templatePod, field)) {
        String name = c.path("name").asText("");
        if (skip.contains(name)) {
          continue;
        }
        ObjectNode match = PodJson.find(name, list(existing, field));
        if (match == null) {
          match =
              field.equals("containers")
                  ? PodJson.find(name, PodJson.containers(originalPod, field))
                  : PodJson.findInPod(name, originalPod);
        }
        if (match == null) {
          continue;
        }
        ObjectNode overlay = match.deepCopy();
        if (AUTO_IMAGE.equals(overlay.path("image").asText())) {
          overlay.remove("image");
        }
        ((ArrayNode) PodJson.array(overrides, field)).add(GoContainerJson.container(overlay));
        ObjectNode patch = JsonNodeFactory.instance.objectNode();
        patch.putObject("spec").putArray(field).add(overlay);
        try {
          finalPod = PodJson.normalize(StrategicMerge.apply(finalPod, patch, PodPatchSchema.POD));
        } catch (StrategicMerge.PatchException e) {
          throw new InjectionException(
              "failed to apply sidecar "
                  + (field.equals("containers") ? "" : "init ")
                  + "container: strategic merge: "
                  + e.getMessage());
        }
      }
    }
    if (!alreadyInjected && overrides.size() > 0) {
      PodJson.annotations(finalPod).put(ANNOTATION, overrides.toString());
    }
    adjustInitContainerUser(finalPod, originalPod, proxyConfig);
    return finalPod;
  }

  /**
   * A custom proxy user (securityContext.runAsUser/runAsGroup on the pod's istio-proxy) must be the
   * one iptables exempts, and the validation container's.
   */
  private static void adjustInitContainerUser(
      ObjectNode finalPod, JsonNode originalPod, ProxyConfig proxyConfig) {
    ObjectNode user = PodJson.findInPod(PodJson.PROXY, originalPod);
    if (user == null) {
      return;
    }
    JsonNode sc = user.path("securityContext");
    JsonNode runAsUser = sc.get("runAsUser");
    JsonNode runAsGroup = sc.get("runAsGroup");
    boolean hasUser = runAsUser != null && !runAsUser.isNull();
    boolean hasGroup = runAsGroup != null && !runAsGroup.isNull();
    if (!hasUser && !hasGroup) {
      return;
    }
    List<ObjectNode> inits = PodJson.containers(finalPod, "initContainers");
    ObjectNode init = PodJson.find(INIT, inits);
    if (init == null) {
      init = PodJson.find(VALIDATION, inits);
    }
    if (init == null) {
      return;
    }
    boolean tproxy =
        proxyConfig.getInterceptionMode() == ProxyConfig.InboundInterceptionMode.TPROXY
            || "TPROXY".equals(PodJson.annotation(finalPod, "sidecar.istio.io/interceptionMode"));
    if (tproxy && hasUser) {
      ObjectNode sidecar = PodJson.findInPod(PodJson.PROXY, finalPod);
      if (sidecar == null) {
        return;
      }
      PodJson.object(sidecar, "securityContext").put("runAsUser", 0);
    }
    if (!tproxy && init.path("name").asText().equals(VALIDATION)) {
      ObjectNode isc = PodJson.object(init, "securityContext");
      if (hasUser) {
        isc.set("runAsUser", runAsUser);
      }
      if (hasGroup) {
        isc.set("runAsGroup", runAsGroup);
      }
    }
    if (!hasUser || runAsUser.asLong() == 0) {
      return;
    }
    JsonNode args = init.path("args");
    for (int i = 0; i + 1 < args.size(); i++) {
      if (args.get(i).asText().equals("-u")) {
        ((ArrayNode) args).set(i + 1, JsonNodeFactory.instance.textNode(runAsUser.asText()));
        return;
      }
    }
  }
}
