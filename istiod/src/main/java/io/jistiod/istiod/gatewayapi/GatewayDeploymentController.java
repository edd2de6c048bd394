package io.jistiod.istiod.gatewayapi;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.LocalParametersReference;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.GatewayManifests;
import io.jistiod.injector.GatewayTemplateInput;
import io.jistiod.injector.InjectorConfig;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.ClassInfo;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.Ownership;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.Settings;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Istio's automated gateway deployment: for a Gateway whose class names a controller with a
 * template (class {@code istio}: {@code kube-gateway}), the objects that template renders (a
 * ServiceAccount, Deployment and Service, and an autoscaler or disruption budget when a ConfigMap
 * overlay asks) are server-side applied under the field manager {@code istio.io/gateway-controller}
 * and labelled {@code gateway.istio.io/managed}, as istiod's deployment controller does.
 *
 * <p>Skipped, as by istiod: Gateways of unknown classes, of another revision, with addresses that
 * point at a deployment of the user's own (a Hostname, or several), and those a newer controller
 * version owns; and (the API server would refuse every write) those of a namespace being deleted.
 * An object that exists without the managed label is never taken over. A rendering error (a bad
 * template or overlay) is logged and not retried, since only new inputs can fix it; a failed API
 * call is (see {@link Reconciler}).
 */
final class GatewayDeploymentController {
  private static final Logger log = LoggerFactory.getLogger(GatewayDeploymentController.class);

  static final String FIELD_MANAGER = "istio.io/gateway-controller";
  static final String MANAGED_LABEL = "gateway.istio.io/managed";
  static final String CLASS_DEFAULTS_LABEL = "gateway.istio.io/defaults-for-class";

  /** What the controller reads: informer caches in istiod, maps in tests. */
  interface Sources {
    Optional<Gateway> gateway(String namespace, String name);

    Optional<GatewayClass> gatewayClass(String name);

    Optional<Namespace> namespace(String name);

    Optional<ConfigMap> configMap(String namespace, String name);

    /** ConfigMaps of istiod's namespace labelled as defaults for {@code className}. */
    List<ConfigMap> classDefaults(String className);

    /** Whether a Gateway with these labels in this namespace belongs to this revision. */
    boolean isMine(Gateway gw);

    /**
     * The XListenerSets whose parentRef names Gateway {@code namespace/name}; none unless
     * PILOT_ENABLE_ALPHA_GATEWAY_API is on (istiod reads them only then).
     */
    default List<GenericKubernetesResource> listenerSets(String namespace, String name) {
      return List.of();
    }
  }

  /** What the controller writes. */
  interface Writer {
    /**
     * Whether the object may be written and the resourceVersion to write it at: empty when it does
     * not exist, its version when it exists with the managed label; null when it exists without.
     */
    Optional<String> manageable(String apiVersion, String kind, String namespace, String name);

    /** The resourceVersion the Deployment's selector has, for the pre-1.24 label. */
    Optional<Map<String, String>> deploymentSelector(String namespace, String name);

    void apply(ObjectNode object);

    void writeControllerVersion(Gateway gw, int version);
  }

  /** Why one reconcile failed in a way worth retrying. */
  static final class ApplyException extends Exception {
    ApplyException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Sources sources;
  private final Writer writer;
  private final Supplier<InjectorConfig> injector;
  private final Supplier<MeshConfig> mesh;
  private final Supplier<io.jistiod.injector.ProxyConfigResources> proxyConfigs;
  private final Supplier<Settings> settings;
  private final Map<String, ClassInfo> classes;
  private final Map<String, String> builtinClasses;

  /**
   * @param classes class information by controller name
   * @param builtinClasses controller by GatewayClass name, for classes with no object (yet)
   */
  GatewayDeploymentController(
      Sources sources,
      Writer writer,
      Supplier<InjectorConfig> injector,
      Supplier<MeshConfig> mesh,
      Supplier<io.jistiod.injector.ProxyConfigResources> proxyConfigs,
      Supplier<Settings> settings,
      Map<String, ClassInfo> classes,
      Map<String, String> builtinClasses) {
    this.proxyConfigs = proxyConfigs;
    this.sources = sources;
    this.writer = writer;
    this.injector = injector;
    this.mesh = mesh;
    this.settings = settings;
    this.classes = Map.copyOf(classes);
    this.builtinClasses = Map.copyOf(builtinClasses);
  }

  /** Brings the objects of Gateway {@code namespace/name} to what its template renders. */
  void reconcile(String namespace, String name) throws ApplyException {
    Optional<Gateway> found = sources.gateway(namespace, name);
    if (found.isEmpty()) {
      return; // deleted: its objects go with it (owner references)
    }
    Gateway gw = found.get();
    String className = gw.getSpec() == null ? null : gw.getSpec().getGatewayClassName();
    if (className == null) {
      return;
    }
    String controller =
        sources
            .gatewayClass(className)
            .map(c -> c.getSpec() == null ? null : c.getSpec().getControllerName())
            .orElse(builtinClasses.get(className));
    ClassInfo info = controller == null ? null : classes.get(controller);
    if (info == null || info.template() == null || info.template().isEmpty()) {
      return;
    }
    if (!sources.isMine(gw)) {
      log.debug("gateway {}/{} is for another revision", namespace, name);
      return;
    }
    if (!GatewayDeploymentInputs.isManaged(gw)) {
      log.debug("gateway {}/{} names its own deployment (addresses)", namespace, name);
      return;
    }
    Namespace ns = sources.namespace(namespace).orElse(null);
    if (terminating(ns)) {
      // nothing can be created there any more; its Gateway goes with it
      log.debug("gateway {}/{}: its namespace is being deleted", namespace, name);
      return;
    }
    Ownership ownership = GatewayDeploymentInputs.ownership(gw);
    if (ownership == Ownership.NOT_OURS) {
      log.debug("gateway {}/{} is managed by a newer controller version", namespace, name);
      return;
    }
    List<io.fabric8.kubernetes.api.model.gatewayapi.v1.Listener> fromSets =
        GatewayDeploymentInputs.listenerSetListeners(
            gw, sources.listenerSets(namespace, name), sources::namespace);
    InjectorConfig injectorConfig = injector.get();
    GatewayTemplateInput input =
        GatewayDeploymentInputs.input(
            gw, info, ns, settings.get(), fromSets, meshNetwork(injectorConfig));
    if (ownership == Ownership.TAKE_OVER) {
      try {
        writer.writeControllerVersion(gw, GatewayDeploymentInputs.CONTROLLER_VERSION_VALUE);
      } catch (RuntimeException e) {
        throw new ApplyException("update gateway annotation: " + e.getMessage(), e);
      }
    }
    List<ObjectNode> objects;
    try {
      objects =
          GatewayManifests.render(
              injectorConfig,
              mesh.get(),
              proxyConfigs.get(),
              info.template(),
              input,
              overlays(gw, className));
    } catch (GatewayManifests.RenderException e) {
      log.error("gateway {}/{}: error rendering templates: {}", namespace, name, e.getMessage());
      return;
    }
    for (ObjectNode o : objects) {
      apply(info, o);
    }
    log.info("gateway {}/{} updated ({} objects)", namespace, name, objects.size());
  }

  /** The injection values' {@code global.network}: waypoints join that network by default. */
  private static String meshNetwork(InjectorConfig config) {
    if (config == null || config.values() == null) {
      return "";
    }
    var network = config.values().json().path("global").path("network");
    return network.isTextual() ? network.asText() : "";
  }

  private static boolean terminating(Namespace ns) {
    return ns != null
        && (ns.getMetadata().getDeletionTimestamp() != null
            || (ns.getStatus() != null && "Terminating".equals(ns.getStatus().getPhase())));
  }

  /** The ConfigMap overlays: the oldest class-defaults ConfigMap, then the parametersRef one. */
  private List<Map<String, String>> overlays(Gateway gw, String className)
      throws GatewayManifests.RenderException {
    List<Map<String, String>> out = new ArrayList<>();
    sources.classDefaults(className).stream()
        .min(
            Comparator.comparing(
                    (ConfigMap c) -> String.valueOf(c.getMetadata().getCreationTimestamp()))
                .thenComparing(c -> c.getMetadata().getName()))
        .ifPresent(c -> out.add(data(c)));
    LocalParametersReference ref =
        gw.getSpec().getInfrastructure() == null
            ? null
            : gw.getSpec().getInfrastructure().getParametersRef();
    if (ref != null) {
      String group = ref.getGroup() == null ? "" : ref.getGroup();
      if (!"ConfigMap".equals(ref.getKind()) || !group.isEmpty()) {
        throw new GatewayManifests.RenderException(
            "invalid parameters: unknown infrastructure parameters type "
                + group
                + "/"
                + ref.getKind());
      }
      String ns = gw.getMetadata().getNamespace();
      ConfigMap cm =
          sources
              .configMap(ns, ref.getName())
              .orElseThrow(
                  () ->
                      new GatewayManifests.RenderException(
                          "parametersRef targeting configmap \""
                              + ns
                              + "/"
                              + ref.getName()
                              + "\", but configmap does not exist"));
      out.add(data(cm));
    }
    return out;
  }

  private static Map<String, String> data(ConfigMap c) {
    return c.getData() == null ? Map.of() : c.getData();
  }

  private void apply(ClassInfo info, ObjectNode o) throws ApplyException {
    ObjectNode metadata = o.with("metadata");
    metadata.with("labels").put(MANAGED_LABEL, info.controller().replace('/', '-'));
    String apiVersion = o.path("apiVersion").asText();
    String kind = o.path("kind").asText();
    String ns = metadata.path("namespace").asText();
    String name = metadata.path("name").asText();
    Optional<String> version;
    try {
      version = writer.manageable(apiVersion, kind, ns, name);
    } catch (RuntimeException e) {
      throw new ApplyException("get " + kind + " " + ns + "/" + name + ": " + e.getMessage(), e);
    }
    if (version == null) {
      log.debug("skipping {} {}/{}: exists and is not managed by us", kind, ns, name);
      return;
    }
    if (version.isPresent()) {
      // the write fails if the object changed since we looked (stale cache)
      metadata.put("resourceVersion", version.get());
    } else {
      metadata.remove("resourceVersion");
    }
    if ("Deployment".equals(kind)) {
      // Deployments created before 1.24 select on istio.io/gateway-name; a selector is immutable
      writer
          .deploymentSelector(ns, name)
          .filter(s -> s.containsKey("istio.io/gateway-name"))
          .ifPresent(
              s -> {
                ObjectNode spec = o.with("spec");
                ObjectNode selector = spec.putObject("selector").putObject("matchLabels");
                s.forEach(selector::put);
                spec.with("template")
                    .with("metadata")
                    .with("labels")
                    .put("istio.io/gateway-name", s.get("istio.io/gateway-name"));
              });
    }
    try {
      writer.apply(o);
    } catch (RuntimeException e) {
      throw new ApplyException(
          "apply failed: patch "
              + apiVersion
              + ", Kind="
              + kind
              + "/"
              + ns
              + "/"
              + name
              + ": "
              + e.getMessage(),
          e);
    }
  }
}
