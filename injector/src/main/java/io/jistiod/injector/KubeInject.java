package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.zjsonpatch.JsonPatch;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.parse.KubeYaml;
import io.jistiod.galley.parse.YamlException;
import io.jistiod.injector.template.GoMarshal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Offline injection ({@code istioctl kube-inject}, pkg/kube/inject's IntoResourceFile): every Pod,
 * Deployment, DaemonSet, ReplicaSet, StatefulSet, Job, CronJob, ReplicationController and List in a
 * multi-document YAML stream gets the sidecar and is printed as Go prints the typed object; any
 * other document is copied unchanged. Each document ends with {@code ---}.
 *
 * <p>As istioctl with an injection config file: the policy is "enabled" without selectors, the
 * {@code sidecar} template unless the pod names others, the pod's {@code proxy.istio.io/config}
 * over the mesh's defaultConfig, native sidecars only when asked for.
 */
public final class KubeInject {
  private static final Map<String, Class<? extends KubernetesResource>> KINDS = new HashMap<>();

  static {
    KINDS.put("v1/Pod", io.fabric8.kubernetes.api.model.Pod.class);
    KINDS.put(
        "v1/ReplicationController", io.fabric8.kubernetes.api.model.ReplicationController.class);
    KINDS.put("v1/List", io.fabric8.kubernetes.api.model.KubernetesList.class);
    KINDS.put("apps/v1/Deployment", io.fabric8.kubernetes.api.model.apps.Deployment.class);
    KINDS.put("apps/v1/DaemonSet", io.fabric8.kubernetes.api.model.apps.DaemonSet.class);
    KINDS.put("apps/v1/ReplicaSet", io.fabric8.kubernetes.api.model.apps.ReplicaSet.class);
    KINDS.put("apps/v1/StatefulSet", io.fabric8.kubernetes.api.model.apps.StatefulSet.class);
    KINDS.put("batch/v1/Job", io.fabric8.kubernetes.api.model.batch.v1.Job.class);
    KINDS.put("batch/v1/CronJob", io.fabric8.kubernetes.api.model.batch.v1.CronJob.class);
  }

  private final Map<String, InjectionTemplate> templates;
  private final ValuesConfig values;
  private final MeshConfig mesh;
  private final String revision;
  private final boolean nativeSidecar;
  private final Consumer<String> warnings;

  /**
   * @param mesh the mesh config (completed with istiod's proxy defaults here)
   * @param revision "" for the default revision
   * @param warnings gets istioctl's "===> Skipping injection ..." lines
   */
  public KubeInject(
      Map<String, InjectionTemplate> templates,
      ValuesConfig values,
      MeshConfig mesh,
      String revision,
      boolean nativeSidecar,
      Consumer<String> warnings) {
    this.templates = templates;
    this.values = values;
    this.mesh = ProxyConfigs.completeMesh(mesh);
    this.revision = "default".equals(revision) ? "" : revision;
    this.nativeSidecar = nativeSidecar;
    this.warnings = warnings;
  }

  /** The injected stream for {@code input}; throws on the first object that cannot be injected. */
  public String intoResourceFile(String input) throws InjectionException {
    StringBuilder out = new StringBuilder();
    int n = 0;
    for (String raw : documents(input)) {
      n++;
      JsonNode doc;
      try {
        doc = KubeYaml.read(raw);
      } catch (YamlException e) {
        throw new InjectionException("document " + n + ": " + e.getMessage());
      }
      Class<? extends KubernetesResource> type = type(doc);
      if (type == null) {
        out.append(raw);
      } else {
        ObjectNode injected = intoObject(typed((ObjectNode) doc, type));
        out.append(GoMarshal.yaml(PodJson.MAPPER.convertValue(injected, Object.class)));
      }
      out.append("---\n");
    }
    return out.toString();
  }

  private static Class<? extends KubernetesResource> type(JsonNode doc) {
    if (doc == null || !doc.isObject()) {
      return null;
    }
    return KINDS.get(doc.path("apiVersion").asText("") + "/" + doc.path("kind").asText(""));
  }

  /** The object as its Go type reads it: unknown fields and empty optional ones dropped. */
  private static ObjectNode typed(ObjectNode doc, Class<? extends KubernetesResource> type)
      throws InjectionException {
    try {
      ObjectNode o = PodJson.MAPPER.valueToTree(PodJson.MAPPER.treeToValue(doc, type));
      return o;
    } catch (Exception e) {
      throw new InjectionException(
          doc.path("kind").asText()
              + " "
              + doc.at("/metadata/name").asText()
              + ": "
              + PodJson.oneLine(e));
    }
  }

  private ObjectNode intoObject(ObjectNode obj) throws InjectionException {
    String kind = obj.path("kind").asText();
    if (kind.equals("List")) {
      ArrayNode items = JsonNodeFactory.instance.arrayNode();
      for (JsonNode item : obj.path("items")) {
        Class<? extends KubernetesResource> t = type(item);
        items.add(t == null ? item : intoObject(typed((ObjectNode) item, t)));
      }
      obj.set("items", items);
      return finish(obj);
    }
    ObjectNode metaOwner; // holds the pod's metadata: the pod, its template, a job template
    ObjectNode specOwner; // holds the pod's spec
    String deployName = obj.at("/metadata/name").asText("");
    String deployNamespace = obj.at("/metadata/namespace").asText("");
    String typeKind = kind;
    String typeApiVersion = obj.path("apiVersion").asText("");
    switch (kind) {
      case "Pod" -> {
        metaOwner = specOwner = obj;
        DeployMeta d = DeployMeta.fromPod(obj);
        deployName = d.name();
        deployNamespace = d.namespace();
        typeKind = d.kind();
        typeApiVersion = d.apiVersion();
      }
      case "CronJob" -> {
        // istioctl reads (and writes) the job template's metadata as the pod's, and the pod
        // template's spec.
        metaOwner = PodJson.object(PodJson.spec(obj), "jobTemplate");
        specOwner = PodJson.object(PodJson.object(metaOwner, "spec"), "template");
      }
      default -> {
        if (!(PodJson.spec(obj).get("template") instanceof ObjectNode t)) {
          throw new InjectionException("spec.template is required value");
        }
        metaOwner = specOwner = t;
      }
    }
    ObjectNode meta = PodJson.object(metaOwner, "metadata");
    ObjectNode spec = PodJson.object(specOwner, "spec");
    String name = meta.path("name").asText("");
    if (name.isEmpty()) {
      name = deployName;
    }
    String fullName = deployNamespace.isEmpty() ? name : deployNamespace + "/" + name;
    String what = typeKind.isEmpty() ? "\"" + fullName + "\"" : typeKind + " \"" + fullName + "\"";
    if (spec.path("hostNetwork").asBoolean(false)) {
      warnings.accept("===> Skipping injection because " + what + " has host networking enabled\n");
      return finish(obj);
    }
    ObjectNode pod = JsonNodeFactory.instance.objectNode();
    pod.set("metadata", meta.deepCopy());
    pod.set("spec", spec.deepCopy());
    MeshConfig m = mesh;
    String pca = PodJson.annotation(pod, ProxyConfigs.ANNOTATION);
    if (pca != null) {
      m = m.toBuilder().setDefaultConfig(ProxyConfigs.apply(m.getDefaultConfig(), pca)).build();
    }
    if (!InjectionPolicy.required("enabled", List.of(), List.of(), meta, spec)) {
      warnings.accept(
          "===> Skipping injection because " + what + " has sidecar injection disabled\n");
      return finish(obj);
    }
    InjectionParameters params =
        new InjectionParameters(
            pod,
            new DeployMeta(deployNamespace, deployName, typeKind, typeApiVersion),
            templates,
            List.of(InjectionConfig.SIDECAR_TEMPLATE),
            Map.of(),
            m,
            m.getDefaultConfig(),
            values,
            revision,
            new HashMap<>(),
            Map.of(),
            nativeSidecar,
            InjectionParameters.DEFAULT_PROXY_UID,
            InjectionParameters.DEFAULT_PROXY_UID,
            "");
    SidecarInjector.Result r = SidecarInjector.inject(params);
    JsonNode patched = JsonPatch.apply(r.patch(), PodJson.normalize(pod));
    metaOwner.set("metadata", patched.path("metadata"));
    specOwner.set("spec", patched.path("spec"));
    if (kind.equals("Pod")) {
      obj.remove("status");
    }
    return finish(obj);
  }

  private static ObjectNode finish(ObjectNode obj) {
    GoZeroFields.add(obj);
    return obj;
  }

  /**
   * The documents of a YAML stream as Kubernetes' YAMLReader splits it: at lines starting with
   * {@code ---}; empty documents are dropped, each kept with its line endings.
   */
  static List<String> documents(String input) {
    List<String> docs = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    int start = 0;
    while (start < input.length()) {
      int nl = input.indexOf('\n', start);
      String line = nl < 0 ? input.substring(start) + "\n" : input.substring(start, nl + 1);
      start = nl < 0 ? input.length() : nl + 1;
      if (line.startsWith("---")) {
        if (cur.length() > 0) {
          docs.add(cur.toString());
          cur.setLength(0);
        }
        continue;
      }
      cur.append(line);
    }
    if (cur.length() > 0) {
      docs.add(cur.toString());
    }
    return docs;
  }
}
