package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.zjsonpatch.JsonDiff;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.YamlException;
import io.jistiod.injector.template.TemplateException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One injection (istiod's injectPod): render the selected templates on the pod's data, merge each
 * on the pod as a strategic merge patch, put the pod's own container overrides back, post-process,
 * and diff the result against the pod as received.
 */
public final class SidecarInjector {
  static final String TEMPLATES_ANNOTATION = "inject.istio.io/templates";
  static final String NATIVE_ANNOTATION = "sidecar.istio.io/nativeSidecar";

  private SidecarInjector() {}

  /** The injected pod and the JSON patch from the pod as received to it. */
  public record Result(ObjectNode pod, ArrayNode patch) {}

  public static Result inject(InjectionParameters req) throws InjectionException {
    ObjectNode original = PodJson.normalize(req.pod());
    ObjectNode merged;
    JsonNode templatePod;
    try {
      Rendered r = runTemplates(req, original);
      merged = r.merged;
      templatePod = r.template;
    } catch (InjectionException e) {
      throw new InjectionException("failed to run injection template: " + e.getMessage());
    }
    try {
      merged = ContainerOverrides.reapply(merged, original, templatePod, req.proxyConfig());
    } catch (InjectionException e) {
      throw new InjectionException("failed to re apply container: " + e.getMessage());
    }
    try {
      PodPostProcessor.process(merged, templatePod, req);
    } catch (InjectionException e) {
      throw new InjectionException("failed to process pod: " + e.getMessage());
    }
    return new Result(merged, (ArrayNode) JsonDiff.asJson(original, merged));
  }

  private record Rendered(ObjectNode merged, ObjectNode template) {}

  private static Rendered runTemplates(InjectionParameters req, ObjectNode pod)
      throws InjectionException {
    AnnotationValidation.validate(
        InjectionPolicy.strings(pod.path("metadata").path("annotations")));
    clusterAndNetwork(req, pod);
    ObjectNode stripped = ContainerOverrides.reinsert(strip(req, pod));
    Object data = TemplateData.of(req, stripped);
    ObjectNode merged = pod;
    ObjectNode template = JsonNodeFactory.instance.objectNode();
    for (String name : selectTemplates(req, pod)) {
      InjectionTemplate t = req.templates().get(name);
      if (t == null) {
        throw new InjectionException(
            "requested template \""
                + name
                + "\" not found; have "
                + String.join(", ", new TreeSet<>(req.templates().keySet())));
      }
      String yaml;
      try {
        yaml = t.render(data);
      } catch (TemplateException e) {
        throw new InjectionException(e.getMessage());
      }
      JsonNode overlay;
      try {
        overlay = KubeYaml.read(yaml);
      } catch (YamlException e) {
        throw new InjectionException(
            "failed applying injection overlay: template "
                + name
                + " rendered invalid YAML: "
                + e.getMessage());
      }
      try {
        template = PodJson.normalize(StrategicMerge.apply(template, overlay, PodPatchSchema.POD));
      } catch (StrategicMerge.PatchException e) {
        throw new InjectionException(
            "failed applying injection overlay: strategic merge: " + e.getMessage());
      }
      if (native_(req, merged)
          && PodJson.find(PodJson.PROXY, PodJson.containers(template, "initContainers")) != null
          && PodJson.find(PodJson.PROXY, PodJson.containers(merged, "containers")) != null) {
        merged = merged.deepCopy();
        List<ObjectNode> containers = PodJson.containers(merged, "containers");
        ObjectNode proxy = PodJson.find(PodJson.PROXY, containers);
        containers.remove(proxy);
        List<ObjectNode> inits = new ArrayList<>(PodJson.containers(merged, "initContainers"));
        inits.add(proxy);
        PodJson.setContainers(merged, "containers", containers);
        PodJson.setContainers(merged, "initContainers", inits);
      }
      try {
        merged = PodJson.normalize(StrategicMerge.apply(merged, overlay, PodPatchSchema.POD));
      } catch (StrategicMerge.PatchException | InjectionException e) {
        throw new InjectionException(
            "failed parsing generated injected YAML (check Istio sidecar injector configuration): "
                + "strategic merge: "
                + e.getMessage());
      }
    }
    return new Rendered(merged, template);
  }

  private static boolean native_(InjectionParameters req, JsonNode pod) {
    String a = PodJson.annotation(pod, NATIVE_ANNOTATION);
    if ("true".equals(a)) {
      return true;
    }
    if ("false".equals(a)) {
      return false;
    }
    return req.nativeSidecar();
  }

  /** Cluster and network: the values, then the webhook path, then the pod's network label. */
  private static void clusterAndNetwork(InjectionParameters req, JsonNode pod) {
    Map<String, String> envs = req.proxyEnvs();
    String cluster = req.values().clusterName();
    String network = req.values().network();
    if (!envs.getOrDefault("ISTIO_META_CLUSTER_ID", "").isEmpty()) {
      cluster = envs.get("ISTIO_META_CLUSTER_ID");
    }
    if (!envs.getOrDefault("ISTIO_META_NETWORK", "").isEmpty()) {
      network = envs.get("ISTIO_META_NETWORK");
    }
    JsonNode label = pod.path("metadata").path("labels").get(PodPostProcessor.NETWORK_LABEL);
    if (label != null) {
      network = label.asText();
    }
    if (!cluster.isEmpty()) {
      envs.put("ISTIO_META_CLUSTER_ID", cluster);
    }
    if (!network.isEmpty()) {
      envs.put("ISTIO_META_NETWORK", network);
    }
  }

  /** The cluster id the request is for (the webhook path's, else the values', else Kubernetes). */
  static String clusterId(InjectionParameters req) {
    String c = req.proxyEnvs().getOrDefault("ISTIO_META_CLUSTER_ID", "");
    if (c.isEmpty()) {
      c = req.values().clusterName();
    }
    return c.isEmpty() ? "Kubernetes" : c;
  }

  /** The pod without an earlier injection's containers and status, for a re-injection. */
  private static ObjectNode strip(InjectionParameters req, ObjectNode pod) {
    String statusText = PodJson.annotation(pod, ContainerOverrides.STATUS);
    if (statusText == null) {
      return pod;
    }
    JsonNode status;
    try {
      status = PodJson.MAPPER.readTree(statusText);
    } catch (Exception e) {
      return pod;
    }
    if (status == null || !status.isObject()) {
      return pod;
    }
    ObjectNode out = pod.deepCopy();
    for (String field : List.of("containers", "initContainers")) {
      List<ObjectNode> list = PodJson.containers(out, field);
      for (JsonNode n : status.path(field)) {
        list = PodPostProcessor.move(list, n.asText(), PodPostProcessor.Move.REMOVE);
      }
      if (out.path("spec").has(field)) {
        PodJson.setContainers(out, field, list);
      }
    }
    ObjectNode annotations = PodJson.annotations(out);
    String target = Integer.toString(req.mesh().getDefaultConfig().getStatusPort());
    if (target.equals(PrometheusMerge.port(annotations))) {
      PrometheusMerge.clear(annotations);
    }
    annotations.remove(ContainerOverrides.STATUS);
    return out;
  }

  private static List<String> selectTemplates(InjectionParameters req, JsonNode pod) {
    String a = PodJson.annotation(pod, TEMPLATES_ANNOTATION);
    List<String> names = new ArrayList<>();
    if (a != null) {
      for (String n : a.split(",", -1)) {
        names.add(n.strip());
      }
    } else {
      names.addAll(req.defaultTemplates());
    }
    List<String> out = new ArrayList<>();
    for (String n : names) {
      List<String> alias = req.aliases().get(n);
      if (alias != null) {
        out.addAll(alias);
      } else {
        out.add(n);
      }
    }
    return out;
  }
}
