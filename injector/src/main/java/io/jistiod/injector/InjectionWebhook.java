package io.jistiod.injector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.api.mesh.v1alpha1.ProxyConfig;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /inject} admission handler without HTTP: an AdmissionReview (v1 or v1beta1) in, one
 * out, as istiod's serveInject answers it: a pod the policy skips is allowed unchanged; an injected
 * one is allowed with a JSONPatch; a pod that cannot be injected (bad annotation, template error)
 * is denied with the reason, as istiod denies it.
 */
public final class InjectionWebhook {
  private static final Logger log = LoggerFactory.getLogger(InjectionWebhook.class);
  private static final String V1 = "admission.k8s.io/v1";
  private static final String V1BETA1 = "admission.k8s.io/v1beta1";
  private static final Map<String, String> URL_PARAMETER_TO_ENV =
      Map.of("cluster", "ISTIO_META_CLUSTER_ID", "net", "ISTIO_META_NETWORK");

  private final Supplier<InjectorConfig> config;
  private final Supplier<MeshConfig> mesh;
  private final Supplier<ProxyConfigResources> proxyConfigs;
  private final String revision;
  private final NativeSidecars.Mode nativeMode;
  private final NativeSidecars.Nodes nodes;
  private final String compliancePolicy;
  private final InjectionMetrics metrics;

  /**
   * @param config the current injector config (null until one has loaded: nothing is injected)
   * @param mesh the current mesh config
   * @param nodes the cluster's nodes for native sidecar detection, or null
   */
  public InjectionWebhook(
      Supplier<InjectorConfig> config,
      Supplier<MeshConfig> mesh,
      String revision,
      NativeSidecars.Mode nativeMode,
      NativeSidecars.Nodes nodes,
      String compliancePolicy,
      InjectionMetrics metrics) {
    this(
        config,
        mesh,
        () -> ProxyConfigResources.NONE,
        revision,
        nativeMode,
        nodes,
        compliancePolicy,
        metrics);
  }

  /**
   * As above, with the mesh's ProxyConfig resources ({@code proxyConfigs}, read at each request)
   * merged into each pod's ProxyConfig.
   */
  public InjectionWebhook(
      Supplier<InjectorConfig> config,
      Supplier<MeshConfig> mesh,
      Supplier<ProxyConfigResources> proxyConfigs,
      String revision,
      NativeSidecars.Mode nativeMode,
      NativeSidecars.Nodes nodes,
      String compliancePolicy,
      InjectionMetrics metrics) {
    this.proxyConfigs = Objects.requireNonNull(proxyConfigs, "proxyConfigs");
    this.config = Objects.requireNonNull(config, "config");
    this.mesh = Objects.requireNonNull(mesh, "mesh");
    this.revision = revision == null ? "" : revision;
    this.nativeMode = nativeMode;
    this.nodes = nodes;
    this.compliancePolicy = compliancePolicy == null ? "" : compliancePolicy;
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  public InjectionMetrics metrics() {
    return metrics;
  }

  /** Answers the review in {@code body}, sent to {@code path} ({@code /inject/...}). */
  public byte[] handle(byte[] body, String path) {
    JsonNode review;
    try {
      review = PodJson.MAPPER.readTree(body);
    } catch (Exception e) {
      return fail(V1, "", "Could not decode body: " + PodJson.oneLine(e));
    }
    String apiVersion = review == null ? "" : review.path("apiVersion").asText("");
    String kind = review == null ? "" : review.path("kind").asText("");
    if (!kind.equals("AdmissionReview") || !(apiVersion.equals(V1) || apiVersion.equals(V1BETA1))) {
      return fail(
          V1,
          "",
          "Could not decode body: no kind \""
              + kind
              + "\" is registered for version \""
              + apiVersion
              + "\"");
    }
    JsonNode request = review.path("request");
    String uid = request.path("uid").asText("");
    if (!request.isObject()) {
      return fail(apiVersion, uid, "Could not decode object: the review has no request");
    }
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.put("uid", uid);
    try {
      byte[] patch = inject(request, path);
      response.put("allowed", true);
      if (patch != null) {
        response.put("patch", Base64.getEncoder().encodeToString(patch));
        response.put("patchType", "JSONPatch");
      }
    } catch (InjectionException e) {
      log.error("Pod injection failed: {}", e.getMessage());
      metrics.failure();
      response.put("allowed", false);
      response.putObject("status").putObject("metadata");
      ((ObjectNode) response.get("status")).put("message", e.getMessage());
    }
    return write(apiVersion, response);
  }

  /** Denies the review in {@code body} without looking at the pod (a request out of time). */
  public byte[] deny(byte[] body, String message) {
    String apiVersion = V1;
    String uid = "";
    try {
      JsonNode review = PodJson.MAPPER.readTree(body);
      if (review.path("apiVersion").asText("").equals(V1BETA1)) {
        apiVersion = V1BETA1;
      }
      uid = review.path("request").path("uid").asText("");
    } catch (Exception e) {
      // answer in v1 without a uid
    }
    return fail(apiVersion, uid, message);
  }

  private byte[] fail(String apiVersion, String uid, String message) {
    log.error("{}", message);
    metrics.failure();
    ObjectNode response = JsonNodeFactory.instance.objectNode();
    response.put("uid", uid);
    response.put("allowed", false);
    ObjectNode status = response.putObject("status");
    status.putObject("metadata");
    status.put("message", message);
    return write(apiVersion, response);
  }

  private static byte[] write(String apiVersion, ObjectNode response) {
    ObjectNode out = JsonNodeFactory.instance.objectNode();
    out.put("kind", "AdmissionReview");
    out.put("apiVersion", apiVersion);
    out.set("response", response);
    return out.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The JSON patch for the pod in {@code request}, or null when the pod is not injected. */
  private byte[] inject(JsonNode request, String path) throws InjectionException {
    if (!(request.get("object") instanceof ObjectNode raw)) {
      throw new InjectionException("Could not unmarshal raw object: the request has no object");
    }
    ObjectNode pod = raw.deepCopy();
    ObjectNode metadata = PodJson.object(pod, "metadata");
    metadata.remove("managedFields"); // can be huge and never matters to injection
    if (metadata.path("namespace").asText("").isEmpty()) {
      metadata.put("namespace", request.path("namespace").asText(""));
    }
    PodJson.typed(pod); // a pod that does not decode fails here, as istiod's Unmarshal does
    InjectorConfig current = config.get();
    if (current == null) {
      throw new InjectionException("no injection configuration has been loaded");
    }
    InjectionConfig c = current.config();
    if (!InjectionPolicy.required(
        c.policy(),
        c.neverInjectSelector(),
        c.alwaysInjectSelector(),
        pod.path("metadata"),
        pod.path("spec"))) {
      log.info("Skipping due to policy check: {}/{}", namespace(pod), name(pod));
      metrics.skip();
      return null;
    }
    MeshConfig m = ProxyConfigs.completeMesh(mesh.get());
    // As istiod: mesh default, mesh-wide and namespace ProxyConfig resources, then the pod's
    // annotation under the resource selecting the pod. A bad annotation is left out and logged
    // here; the annotation check fails the injection with the reason.
    ProxyConfig proxyConfig =
        proxyConfigs
            .get()
            .effective(
                m,
                namespace(pod),
                PodJson.labelMap(pod),
                PodJson.annotation(pod, ProxyConfigs.ANNOTATION),
                bad -> log.warn("{}/{}: {}", namespace(pod), name(pod), bad));
    InjectionParameters params =
        new InjectionParameters(
            pod,
            DeployMeta.fromPod(pod),
            c.templates(),
            c.defaultTemplates(),
            c.aliases(),
            m,
            proxyConfig,
            current.values(),
            revision,
            parseInjectEnvs(path),
            c.injectedAnnotations(),
            NativeSidecars.detect(nativeMode, nodes, pod.path("spec").path("nodeName").asText("")),
            InjectionParameters.DEFAULT_PROXY_UID,
            InjectionParameters.DEFAULT_PROXY_UID,
            compliancePolicy);
    log.info("Process sidecar injection request: {}/{}", namespace(pod), name(pod));
    SidecarInjector.Result r = SidecarInjector.inject(params);
    return r.patch().toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String namespace(JsonNode pod) {
    return pod.path("metadata").path("namespace").asText("");
  }

  private static String name(JsonNode pod) {
    JsonNode m = pod.path("metadata");
    if (!m.path("name").asText("").isEmpty()) {
      return m.path("name").asText();
    }
    String g = m.path("generateName").asText("");
    return g.isEmpty() ? "" : g + "***** (actual name not yet known)";
  }

  /**
   * The proxy env a webhook path carries: {@code /inject/k1/v1/k2/v2} ({@code cluster} and {@code
   * net} name the cluster id and network; other keys are upper-cased), {@code --slash--} for a
   * slash in a value; or the older {@code /inject/:ENV:k=v:ENV:k2=v2}.
   */
  public static Map<String, String> parseInjectEnvs(String path) {
    if (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    String[] parts = path.split("/", 3);
    List<String> res = new ArrayList<>();
    if (parts.length == 3) {
      if (parts[2].startsWith(":ENV:")) {
        String[] pairs = parts[2].split(":ENV:", -1);
        for (int i = 1; i < pairs.length; i++) {
          String[] pair = pairs[i].split("=", 2);
          if (!pair[0].isEmpty() && pair.length == 2) {
            res.add(pair[0]);
            res.add(pair[1]);
          }
        }
      } else {
        String[] kv = parts[2].split("/", -1);
        for (int i = 0; i < kv.length; i++) {
          res.add(i % 2 != 0 ? kv[i].replace("--slash--", "/") : kv[i]);
        }
      }
    }
    Map<String, String> envs = new HashMap<>();
    for (int i = 0; i < res.size(); i += 2) {
      if (i == res.size() - 1) {
        log.warn("Odd number of inject env entries, ignore the last key {}", res.get(i));
        break;
      }
      String k = res.get(i);
      String env = URL_PARAMETER_TO_ENV.getOrDefault(k, k.toUpperCase(java.util.Locale.ROOT));
      if (!env.isEmpty()) {
        envs.put(env, res.get(i + 1));
      }
    }
    return envs;
  }
}
