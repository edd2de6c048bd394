package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.YamlException;
import io.jistiod.injector.template.TemplateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The objects istiod's gateway deployment controller applies for one Gateway: the named template of
 * the injection config ({@code kube-gateway} for class {@code istio}) rendered with a {@link
 * GatewayTemplateInput}, split into documents, each merged (strategic merge patch) with the
 * overlays of the class-defaults ConfigMap and of the Gateway's {@code parametersRef} ConfigMap, in
 * that order. A HorizontalPodAutoscaler or PodDisruptionBudget is only kept when an overlay names
 * it; an overlay may not change an object's identity (name, namespace, owners...).
 */
public final class GatewayManifests {
  /** Overlay keys a ConfigMap may hold, by the kind they apply to. */
  private static final Map<String, String> OVERLAY_KEYS =
      Map.of(
          "Deployment", "deployment",
          "Service", "service",
          "ServiceAccount", "serviceAccount",
          "HorizontalPodAutoscaler", "horizontalPodAutoscaler",
          "PodDisruptionBudget", "podDisruptionBudget");

  private static final Map<String, PodPatchSchema> SCHEMAS =
      Map.of(
          "Deployment", PodPatchSchema.DEPLOYMENT,
          "Service", PodPatchSchema.SERVICE,
          "ServiceAccount", PodPatchSchema.SERVICE_ACCOUNT,
          "HorizontalPodAutoscaler", PodPatchSchema.METADATA_ONLY,
          "PodDisruptionBudget", PodPatchSchema.METADATA_ONLY);

  /** Kinds rendered only when an overlay asks for them. */
  private static final Set<String> ONLY_WITH_OVERLAY =
      Set.of("horizontalPodAutoscaler", "podDisruptionBudget");

  /** Identity fields of metadata an overlay may not change. */
  private static final List<String> IDENTITY =
      List.of(
          "name",
          "generateName",
          "namespace",
          "uid",
          "resourceVersion",
          "generation",
          "creationTimestamp",
          "deletionTimestamp",
          "deletionGracePeriodSeconds",
          "ownerReferences",
          "finalizers");

  private GatewayManifests() {}

  /** Why a Gateway's objects could not be rendered (not retried: the inputs must change). */
  public static final class RenderException extends Exception {
    public RenderException(String message) {
      super(message);
    }
  }

  /**
   * @param overlays ConfigMap data, class defaults first, then the Gateway's parametersRef
   * @return the objects to apply, in the template's order
   */
  public static List<ObjectNode> render(
      InjectorConfig injector,
      MeshConfig mesh,
      String templateName,
      GatewayTemplateInput input,
      List<Map<String, String>> overlays)
      throws RenderException {
    return render(injector, mesh, ProxyConfigResources.NONE, templateName, input, overlays);
  }

  /** As above, with the mesh's ProxyConfig resources merged into the template's ProxyConfig. */
  public static List<ObjectNode> render(
      InjectorConfig injector,
      MeshConfig mesh,
      ProxyConfigResources proxyConfigs,
      String templateName,
      GatewayTemplateInput input,
      List<Map<String, String>> overlays)
      throws RenderException {
    InjectionTemplate template =
        injector == null ? null : injector.config().templates().get(templateName);
    if (template == null) {
      throw new RenderException("no \"" + templateName + "\" template defined");
    }
    String text;
    try {
      text = template.render(input.data(injector, mesh, proxyConfigs));
    } catch (TemplateException e) {
      throw new RenderException(e.getMessage());
    }
    List<ObjectNode> out = new ArrayList<>();
    for (String doc : split(text)) {
      ObjectNode o = withOverlays(doc, overlays);
      if (o != null) {
        out.add(o);
      }
    }
    return out;
  }

  /** Documents separated by lines starting with {@code ---}; blank ones dropped. */
  static List<String> split(String text) {
    List<String> parts = new ArrayList<>();
    StringBuilder active = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      if (line.startsWith("---")) {
        parts.add(active.toString());
        active.setLength(0);
      } else {
        active.append(line).append('\n');
      }
    }
    parts.add(active.toString());
    List<String> out = new ArrayList<>();
    for (String p : parts) {
      if (!p.isBlank()) {
        out.add(p);
      }
    }
    return out;
  }

  private static ObjectNode withOverlays(String doc, List<Map<String, String>> overlays)
      throws RenderException {
    ObjectNode object = parse(doc, "failed to find kind");
    String kind = object.path("kind").asText("");
    String key = OVERLAY_KEYS.get(kind);
    if (key == null) {
      throw new RenderException("unknown overlay kind \"" + kind + "\"");
    }
    boolean applied = false;
    ObjectNode merged = object;
    for (Map<String, String> overlay : overlays) {
      Set<String> unsupported = new TreeSet<>(overlay.keySet());
      unsupported.removeAll(OVERLAY_KEYS.values());
      if (!unsupported.isEmpty()) {
        throw new RenderException(
            "unsupported overlay \""
                + unsupported.iterator().next()
                + "\" (supported: "
                + new TreeSet<>(OVERLAY_KEYS.values())
                + ")");
      }
      String patch = overlay.get(key);
      if (patch == null) {
        continue;
      }
      JsonNode patchJson;
      try {
        patchJson = KubeYaml.read(patch);
      } catch (YamlException e) {
        throw new RenderException("strategic merge patch failed: " + e.getMessage());
      }
      try {
        merged =
            StrategicMerge.apply(merged, patchJson == null ? null : patchJson, SCHEMAS.get(kind));
      } catch (StrategicMerge.PatchException e) {
        throw new RenderException("strategic merge patch failed: " + e.getMessage());
      }
      applied = true;
    }
    if (!applied && ONLY_WITH_OVERLAY.contains(key)) {
      return null;
    }
    JsonNode before = object.path("metadata");
    JsonNode after = merged.path("metadata");
    for (String field : IDENTITY) {
      if (!before.path(field).equals(after.path(field))) {
        throw new RenderException("illegal metadata change");
      }
    }
    if (!before.path("managedFields").isMissingNode()
        || !after.path("managedFields").isMissingNode()) {
      throw new RenderException("illegal metadata change");
    }
    return merged;
  }

  private static ObjectNode parse(String doc, String what) throws RenderException {
    JsonNode json;
    try {
      json = KubeYaml.read(doc);
    } catch (YamlException e) {
      throw new RenderException(what + ": " + e.getMessage());
    }
    if (json == null || !json.isObject()) {
      throw new RenderException(what + ": not a YAML mapping");
    }
    return (ObjectNode) json;
  }
}
