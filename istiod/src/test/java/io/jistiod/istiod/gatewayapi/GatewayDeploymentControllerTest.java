package io.jistiod.istiod.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayClass;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectorConfig;
import io.jistiod.injector.ValuesConfig;
import io.jistiod.injector.template.InjectionFunctions;
import io.jistiod.istiod.gatewayapi.GatewayDeploymentInputs.Settings;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GatewayDeploymentControllerTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TEMPLATE =
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: {{.ServiceAccount | quote}}
        namespace: {{.Namespace | quote}}
        labels: {{ toJsonMap .InfrastructureLabels | nindent 4 }}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: {{.DeploymentName | quote}}
        namespace: {{.Namespace | quote}}
      spec:
        selector:
          matchLabels:
            "{{.GatewayNameLabel}}": {{.Name}}
        template:
          metadata:
            labels:
              "{{.GatewayNameLabel}}": {{.Name}}
          spec:
            securityContext: {runAsUser: {{.ProxyUID}}, runAsGroup: {{.ProxyGID}}}
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: {{.DeploymentName | quote}}
        namespace: {{.Namespace | quote}}
      spec:
        type: {{.ServiceType | quote}}
        ports:
        {{- range .Ports }}
        - {name: {{.Name | quote}}, port: {{.Port}}, appProtocol: {{.AppProtocol}}}
        {{- end }}
      """;

  /** In-memory objects, and what was written. */
  static final class Fake
      implements GatewayDeploymentController.Sources, GatewayDeploymentController.Writer {
    final Map<String, Gateway> gateways = new HashMap<>();
    final Map<String, GatewayClass> classes = new HashMap<>();
    final Map<String, Namespace> namespaces = new HashMap<>();
    final Map<String, ConfigMap> configMaps = new HashMap<>();
    final Map<String, Map<String, String>> existingLabels = new HashMap<>();
    final List<ObjectNode> applied = new ArrayList<>();
    final List<String> versionWrites = new ArrayList<>();
    final Map<String, List<GenericKubernetesResource>> listenerSets = new HashMap<>();
    boolean mine = true;
    RuntimeException applyFailure;

    @Override
    public Optional<Gateway> gateway(String namespace, String name) {
      return Optional.ofNullable(gateways.get(namespace + "/" + name));
    }

    @Override
    public Optional<GatewayClass> gatewayClass(String name) {
      return Optional.ofNullable(classes.get(name));
    }

    @Override
    public Optional<Namespace> namespace(String name) {
      return Optional.ofNullable(namespaces.get(name));
    }

    @Override
    public Optional<ConfigMap> configMap(String namespace, String name) {
      return Optional.ofNullable(configMaps.get(namespace + "/" + name));
    }

    @Override
    public List<ConfigMap> classDefaults(String className) {
      return configMaps.values().stream()
          .filter(
              c ->
                  className.equals(
                      c.getMetadata()
                          .getLabels()
                          .get(GatewayDeploymentController.CLASS_DEFAULTS_LABEL)))
          .toList();
    }

    @Override
    public boolean isMine(Gateway gw) {
      return mine;
    }

    @Override
    public List<GenericKubernetesResource> listenerSets(String namespace, String name) {
      return listenerSets.getOrDefault(namespace + "/" + name, List.of());
    }

    @Override
    public Optional<String> manageable(
        String apiVersion, String kind, String namespace, String name) {
      Map<String, String> labels = existingLabels.get(kind + "/" + namespace + "/" + name);
      if (labels == null) {
        return Optional.empty();
      }
      return labels.containsKey(GatewayDeploymentController.MANAGED_LABEL)
          ? Optional.of("42")
          : null;
    }

    @Override
    public Optional<Map<String, String>> deploymentSelector(String namespace, String name) {
      return Optional.empty();
    }

    @Override
    public void apply(ObjectNode object) {
      if (applyFailure != null) {
        throw applyFailure;
      }
      applied.add(object);
    }

    @Override
    public void writeControllerVersion(Gateway gw, int version) {
      versionWrites.add(gw.getMetadata().getName() + "=" + version);
    }
  }

  private final Fake fake = new Fake();
  private io.jistiod.injector.ProxyConfigResources proxyConfigs =
      io.jistiod.injector.ProxyConfigResources.NONE;

  private GatewayDeploymentController controller(String template) throws Exception {
    String config =
        template == null
            ? "policy: enabled\n"
            : "policy: enabled\ntemplates:\n  kube-gateway: "
                + JSON.writeValueAsString(template)
                + "\n";
    InjectorConfig injector =
        new InjectorConfig(
            InjectionConfig.parse(config, InjectionFunctions.all()),
            ValuesConfig.parse("{\"global\":{\"hub\":\"h\",\"tag\":\"t\"}}"));
    return new GatewayDeploymentController(
        fake,
        fake,
        () -> injector,
        MeshConfig::getDefaultInstance,
        () -> proxyConfigs,
        () -> new Settings("Kubernetes", 132, "", true, "", true, false),
        GatewayDeployments.defaultClasses("istio.io/gateway-controller"),
        Map.of("istio", "istio.io/gateway-controller"));
  }

  /**
   * A controller as istiod runs it with ambient on (waypoints, and east-west with multi-network),
   * {@link #TEMPLATE} as both kube-gateway and waypoint, and the injection values {@code values}.
   */
  private GatewayDeploymentController ambientController(boolean eastWest, String values)
      throws Exception {
    String t = JSON.writeValueAsString(AMBIENT_TEMPLATE);
    InjectorConfig injector =
        new InjectorConfig(
            InjectionConfig.parse(
                "policy: enabled\ntemplates:\n  kube-gateway: " + t + "\n  waypoint: " + t + "\n",
                InjectionFunctions.all()),
            ValuesConfig.parse(values));
    BuiltinClasses builtins =
        new BuiltinClasses("istio", "istio.io/gateway-controller", true, true, eastWest);
    return new GatewayDeploymentController(
        fake,
        fake,
        () -> injector,
        MeshConfig::getDefaultInstance,
        () -> proxyConfigs,
        () -> new Settings("Kubernetes", 132, "", true, "", true, true),
        builtins.controllers(),
        builtins.classes());
  }

  /** {@link #TEMPLATE}, the Deployment also saying what the controller decided for waypoints. */
  private static final String AMBIENT_TEMPLATE =
      TEMPLATE.replace(
          "\n      securityContext:",
          "\n      containers:\n"
              + "      - name: istio-proxy\n"
              + "        env:\n"
              + "        - {name: EAST_WEST, value: \"{{ .IsEastWestGateway }}\"}\n"
              + "        - {name: CONTROLLER_LABEL, value: {{ .ControllerLabel | quote }}}\n"
              + "      securityContext:");

  private Gateway waypoint(String name, String className, String... labels) {
    Gateway g = gateway(name, className);
    g.getSpec()
        .setListeners(
            List.of(
                new io.fabric8.kubernetes.api.model.gatewayapi.v1.ListenerBuilder()
                    .withName("mesh")
                    .withPort(15008)
                    .withProtocol("HBONE")
                    .build()));
    for (int i = 0; i < labels.length; i += 2) {
      g.getMetadata().getLabels().put(labels[i], labels[i + 1]);
    }
    return g;
  }

  private ObjectNode applied(String kind) {
    return fake.applied.stream()
        .filter(o -> o.path("kind").asText().equals(kind))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aWaypointIsDeployedWithTheWaypointTemplateUnderItsOwnName() throws Exception {
    waypoint("waypoint", "istio-waypoint", "istio.io/waypoint-for", "service");
    ambientController(false, "{\"global\":{\"hub\":\"h\",\"tag\":\"t\"}}")
        .reconcile("apps", "waypoint");
    assertThat(fake.versionWrites).containsExactly("waypoint=5");
    assertThat(fake.applied)
        .extracting(o -> o.path("kind").asText() + "/" + o.at("/metadata/name").asText())
        .containsExactly("ServiceAccount/waypoint", "Deployment/waypoint", "Service/waypoint");
    for (ObjectNode o : fake.applied) {
      assertThat(o.at("/metadata/labels/gateway.istio.io~1managed").asText())
          .isEqualTo("istio.io-mesh-controller");
    }
    ObjectNode sa = applied("ServiceAccount");
    // its own labels go along; a waypoint's pods are not opted out of ambient, and with no mesh
    // network no network label is added
    assertThat(sa.at("/metadata/labels/istio.io~1waypoint-for").asText()).isEqualTo("service");
    assertThat(sa.at("/metadata/labels").has("istio.io/dataplane-mode")).isFalse();
    assertThat(sa.at("/metadata/labels").has("topology.istio.io/network")).isFalse();
    ObjectNode service = applied("Service");
    assertThat(service.at("/spec/type").asText()).isEqualTo("ClusterIP");
    assertThat(service.at("/spec/ports").toString())
        .isEqualTo(
            "[{\"name\":\"status-port\",\"port\":15021,\"appProtocol\":\"tcp\"},"
                + "{\"name\":\"mesh\",\"port\":15008,\"appProtocol\":\"hbone\"}]");
    assertThat(applied("Deployment").at("/spec/template/spec/containers/0/env").toString())
        .isEqualTo(
            "[{\"name\":\"EAST_WEST\",\"value\":\"false\"},"
                + "{\"name\":\"CONTROLLER_LABEL\",\"value\":\"istio.io-mesh-controller\"}]");
  }

  @Test
  void anEastWestGatewayIsALoadBalancedWaypointOnTheMeshNetwork() throws Exception {
    waypoint("eastwest", "istio-east-west");
    ambientController(true, "{\"global\":{\"network\":\"net-1\"}}").reconcile("apps", "eastwest");
    assertThat(fake.applied)
        .extracting(o -> o.at("/metadata/name").asText())
        .containsOnly("eastwest");
    assertThat(applied("Service").at("/spec/type").asText()).isEqualTo("LoadBalancer");
    for (ObjectNode o : fake.applied) {
      assertThat(o.at("/metadata/labels/gateway.istio.io~1managed").asText())
          .isEqualTo("istio.io-eastwest-controller");
    }
    assertThat(applied("ServiceAccount").at("/metadata/labels/topology.istio.io~1network").asText())
        .isEqualTo("net-1");
    assertThat(applied("Deployment").at("/spec/template/spec/containers/0/env/0/value").asText())
        .isEqualTo("true");
  }

  @Test
  void theGatewaysOwnNetworkLabelWinsOverTheMeshNetwork() throws Exception {
    // its own label, even where spec.infrastructure.labels replaces the copied ones
    Gateway g = waypoint("waypoint", "istio-waypoint", "topology.istio.io/network", "net-own");
    g.getSpec()
        .setInfrastructure(
            new io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayInfrastructureBuilder()
                .withLabels(Map.of("team", "b"))
                .build());
    ambientController(false, "{\"global\":{\"network\":\"net-1\"}}").reconcile("apps", "waypoint");
    assertThat(applied("ServiceAccount").at("/metadata/labels").toString())
        .isEqualTo("{\"team\":\"b\",\"gateway.istio.io/managed\":\"istio.io-mesh-controller\"}");
  }

  @Test
  void withAmbientOtherGatewaysPodsStayOutOfTheMeshUnlessTheyAsk() throws Exception {
    gateway("gw", "istio");
    gateway("ambient", "istio").getMetadata().getLabels().put("istio.io/dataplane-mode", "ambient");
    GatewayDeploymentController c =
        ambientController(false, "{\"global\":{\"network\":\"net-1\"}}");
    c.reconcile("apps", "gw");
    c.reconcile("apps", "ambient");
    assertThat(fake.applied.get(0).at("/metadata/name").asText()).isEqualTo("gw-istio");
    assertThat(fake.applied.get(0).at("/metadata/labels/istio.io~1dataplane-mode").asText())
        .isEqualTo("none");
    // nor does an istio-class gateway get the mesh network
    assertThat(fake.applied.get(0).at("/metadata/labels").has("topology.istio.io/network"))
        .isFalse();
    assertThat(fake.applied.get(3).at("/metadata/labels/istio.io~1dataplane-mode").asText())
        .isEqualTo("ambient");
  }

  @Test
  void ambientClassesAreNotDeployedWhileTheirFlagsAreOff() throws Exception {
    waypoint("waypoint", "istio-waypoint");
    waypoint("eastwest", "istio-east-west");
    GatewayDeploymentController off = controller(TEMPLATE);
    off.reconcile("apps", "waypoint");
    off.reconcile("apps", "eastwest");
    // ambient without multi-network: the east-west class is unknown
    ambientController(false, "{}").reconcile("apps", "eastwest");
    assertThat(fake.applied).isEmpty();
    assertThat(fake.versionWrites).isEmpty();
  }

  private Gateway gateway(String name, String className) {
    Gateway g =
        new GatewayBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("apps")
            .withUid("uid-" + name)
            .addToLabels("team", "a")
            .endMetadata()
            .withNewSpec()
            .withGatewayClassName(className)
            .addNewListener()
            .withName("http.web")
            .withPort(80)
            .withProtocol("HTTP")
            .endListener()
            .addNewListener()
            .withName("other")
            .withPort(80)
            .withProtocol("HTTP")
            .endListener()
            .addNewListener()
            .withName("tls")
            .withPort(443)
            .withProtocol("HTTPS")
            .endListener()
            .endSpec()
            .build();
    fake.gateways.put("apps/" + name, g);
    return g;
  }

  @Test
  void aGatewayOfClassIstioGetsItsObjectsAppliedWithTheManagedLabel() throws Exception {
    gateway("gw", "istio");
    controller(TEMPLATE).reconcile("apps", "gw");
    assertThat(fake.versionWrites).containsExactly("gw=5");
    assertThat(fake.applied)
        .extracting(o -> o.path("kind").asText() + "/" + o.at("/metadata/name").asText())
        .containsExactly("ServiceAccount/gw-istio", "Deployment/gw-istio", "Service/gw-istio");
    for (ObjectNode o : fake.applied) {
      assertThat(o.at("/metadata/labels/gateway.istio.io~1managed").asText())
          .isEqualTo("istio.io-gateway-controller");
      assertThat(o.at("/metadata/resourceVersion").isMissingNode()).isTrue();
    }
    assertThat(fake.applied.get(0).at("/metadata/labels/team").asText()).isEqualTo("a");
    // status port first; one port per listener port, named after the first listener on it
    assertThat(fake.applied.get(2).at("/spec/ports").toString())
        .isEqualTo(
            "[{\"name\":\"status-port\",\"port\":15021,\"appProtocol\":\"tcp\"},"
                + "{\"name\":\"http-web\",\"port\":80,\"appProtocol\":\"http\"},"
                + "{\"name\":\"tls\",\"port\":443,\"appProtocol\":\"https\"}]");
    assertThat(fake.applied.get(2).at("/spec/type").asText()).isEqualTo("LoadBalancer");
  }

  private static io.jistiod.galley.config.Config proxyConfig(
      String namespace, String name, Map<String, String> selector, String imageType) {
    var b =
        io.jistiod.galley.api.networking.v1beta1.ProxyConfig.newBuilder()
            .putEnvironmentVariables("FROM", name)
            .setImage(
                io.jistiod.galley.api.networking.v1beta1.ProxyImage.newBuilder()
                    .setImageType(imageType));
    if (selector != null) {
      b.setSelector(
          io.jistiod.galley.api.type.v1beta1.WorkloadSelector.newBuilder()
              .putAllMatchLabels(selector));
    }
    return new io.jistiod.galley.config.Config(
        new io.jistiod.galley.config.ConfigMeta(
            io.jistiod.galley.config.IstioKinds.PROXY_CONFIG,
            name,
            namespace,
            Map.of(),
            Map.of(),
            "1",
            1),
        b.build());
  }

  @Test
  void proxyConfigResourcesSelectingTheGatewayNameLabelShapeItsProxy() throws Exception {
    String template =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: {{.DeploymentName | quote}}
          namespace: {{.Namespace | quote}}
          annotations:
            image: {{ .ProxyImage | quote }}
            from: {{ index .ProxyConfig.ProxyMetadata "FROM" | quote }}
        """;
    gateway("gw", "istio");
    gateway("other", "istio");
    proxyConfigs =
        io.jistiod.injector.ProxyConfigResources.of(
            List.of(
                proxyConfig("apps", "ns-wide", null, "debug"),
                proxyConfig(
                    "apps",
                    "for-gw",
                    Map.of("gateway.networking.k8s.io/gateway-name", "gw"),
                    "distroless"),
                // the Gateway's own labels are not what istiod matches
                proxyConfig("apps", "by-team", Map.of("team", "a"), "other")));
    GatewayDeploymentController c = controller(template);
    c.reconcile("apps", "gw");
    c.reconcile("apps", "other");
    assertThat(fake.applied)
        .extracting(
            o ->
                o.at("/metadata/name").asText()
                    + " "
                    + o.at("/metadata/annotations/image").asText()
                    + " "
                    + o.at("/metadata/annotations/from").asText())
        .containsExactly(
            "gw-istio h/proxyv2:t-distroless for-gw", "other-istio h/proxyv2:t-debug ns-wide");
  }

  private static GenericKubernetesResource listenerSet(
      String namespace, String name, Map<String, Object> spec) {
    GenericKubernetesResource r = new GenericKubernetesResource();
    r.setApiVersion("gateway.networking.x-k8s.io/v1alpha1");
    r.setKind("XListenerSet");
    r.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName(name)
            .withNamespace(namespace)
            .build());
    r.setAdditionalProperty("spec", spec);
    return r;
  }

  @Test
  void listenerSetsTheGatewayAllowsAddTheirPortsToItsService() throws Exception {
    Gateway g = gateway("gw", "istio");
    // allowedListeners by selector: namespaces labelled shared=yes (the fabric8 model keeps the
    // field it does not know among the spec's additional properties)
    g.getSpec()
        .setAdditionalProperty(
            "allowedListeners",
            Map.of(
                "namespaces", Map.of("selector", Map.of("matchLabels", Map.of("shared", "yes")))));
    for (String ns : List.of("team-a", "team-b")) {
      fake.namespaces.put(
          ns,
          new NamespaceBuilder()
              .withNewMetadata()
              .withName(ns)
              .addToLabels("shared", ns.equals("team-a") ? "yes" : "no")
              .endMetadata()
              .build());
    }
    Map<String, Object> parent = Map.of("name", "gw", "namespace", "apps");
    fake.listenerSets.put(
        "apps/gw",
        List.of(
            // admitted: 80 is the Gateway's already, 8443 and 9090 are new
            listenerSet(
                "team-a",
                "z-set",
                Map.of(
                    "parentRef",
                    parent,
                    "listeners",
                    List.of(
                        Map.of("name", "dup", "port", 80, "protocol", "HTTP"),
                        Map.of("name", "metrics.v1", "port", 9090, "protocol", "HTTP")))),
            listenerSet(
                "team-a",
                "a-set",
                Map.of(
                    "parentRef",
                    parent,
                    "listeners",
                    List.of(Map.of("name", "secure", "port", 8443, "protocol", "HTTPS")))),
            // its namespace is not selected
            listenerSet(
                "team-b",
                "refused",
                Map.of(
                    "parentRef",
                    parent,
                    "listeners",
                    List.of(Map.of("name", "other", "port", 7000, "protocol", "TCP"))))));
    controller(TEMPLATE).reconcile("apps", "gw");
    assertThat(fake.applied.get(2).at("/spec/ports").toString())
        .isEqualTo(
            "[{\"name\":\"status-port\",\"port\":15021,\"appProtocol\":\"tcp\"},"
                + "{\"name\":\"http-web\",\"port\":80,\"appProtocol\":\"http\"},"
                + "{\"name\":\"tls\",\"port\":443,\"appProtocol\":\"https\"},"
                + "{\"name\":\"secure\",\"port\":8443,\"appProtocol\":\"https\"},"
                + "{\"name\":\"metrics-v1\",\"port\":9090,\"appProtocol\":\"http\"}]");

    // without allowedListeners no set is taken
    g.getSpec().getAdditionalProperties().remove("allowedListeners");
    fake.applied.clear();
    controller(TEMPLATE).reconcile("apps", "gw");
    assertThat(fake.applied.get(2).at("/spec/ports").size()).isEqualTo(3);
  }

  @Test
  void allowedListenersFromAllSameOrNone() {
    Gateway g = gateway("gw", "istio");
    java.util.function.Function<String, Optional<Namespace>> none = n -> Optional.empty();
    assertThat(GatewayDeploymentInputs.allowsListenersFrom(g, "apps", none)).isFalse();
    for (var c :
        List.of(
            List.of("All", "other", true),
            List.of("Same", "apps", true),
            List.of("Same", "other", false),
            List.of("None", "apps", false),
            // as istiod 1.27: a selector is only read when "from" is unset
            List.of("Selector", "apps", false))) {
      g.getSpec()
          .setAdditionalProperty(
              "allowedListeners", Map.of("namespaces", Map.of("from", c.get(0))));
      assertThat(GatewayDeploymentInputs.allowsListenersFrom(g, (String) c.get(1), none))
          .as(c.toString())
          .isEqualTo(c.get(2));
    }
  }

  @Test
  void annotationsRenameAndRetypeAndOurVersionIsNotWrittenAgain() throws Exception {
    Gateway g = gateway("gw", "istio");
    g.getMetadata()
        .setAnnotations(
            Map.of(
                "gateway.istio.io/name-override", "edge",
                "gateway.istio.io/service-account", "edge-sa",
                "networking.istio.io/service-type", "ClusterIP",
                "gateway.istio.io/controller-version", "5"));
    fake.namespaces.put(
        "apps",
        new NamespaceBuilder()
            .withNewMetadata()
            .withName("apps")
            .addToAnnotations("openshift.io/sa.scc.uid-range", "1000620000/10000")
            .addToAnnotations("openshift.io/sa.scc.supplemental-groups", "5000-5009,6000/10")
            .endMetadata()
            .build());
    controller(TEMPLATE).reconcile("apps", "gw");
    assertThat(fake.versionWrites).isEmpty();
    assertThat(fake.applied)
        .extracting(o -> o.path("kind").asText() + "/" + o.at("/metadata/name").asText())
        .containsExactly("ServiceAccount/edge-sa", "Deployment/edge", "Service/edge");
    assertThat(fake.applied.get(2).at("/spec/type").asText()).isEqualTo("ClusterIP");
    assertThat(fake.applied.get(1).at("/spec/template/spec/securityContext").toString())
        .isEqualTo("{\"runAsUser\":1000629999,\"runAsGroup\":5009}");
  }

  @Test
  void gatewaysNotForUsAreLeftAlone() throws Exception {
    GatewayDeploymentController c = controller(TEMPLATE);
    gateway("other-class", "someone-else");
    c.reconcile("apps", "other-class");
    Gateway hostname = gateway("hostname", "istio");
    hostname.getSpec().setAddresses(List.of(address("Hostname", "gw.example.com")));
    c.reconcile("apps", "hostname");
    Gateway newer = gateway("newer", "istio");
    newer.getMetadata().setAnnotations(Map.of("gateway.istio.io/controller-version", "6"));
    c.reconcile("apps", "newer");
    c.reconcile("apps", "missing");
    fake.mine = false;
    gateway("other-revision", "istio");
    c.reconcile("apps", "other-revision");
    fake.mine = true;
    fake.namespaces.put(
        "gone",
        new NamespaceBuilder()
            .withNewMetadata()
            .withName("gone")
            .withDeletionTimestamp("2026-12-05T00:00:00Z")
            .endMetadata()
            .build());
    Gateway inDeletedNamespace = gateway("in-deleted-namespace", "istio");
    inDeletedNamespace.getMetadata().setNamespace("gone");
    fake.gateways.put("gone/in-deleted-namespace", inDeletedNamespace);
    c.reconcile("gone", "in-deleted-namespace");
    assertThat(fake.applied).isEmpty();
    assertThat(fake.versionWrites).isEmpty();

    // one IP address is a request for that address: deployed
    Gateway ip = gateway("ip", "istio");
    ip.getSpec().setAddresses(List.of(address("IPAddress", "10.0.0.1")));
    c.reconcile("apps", "ip");
    assertThat(fake.applied).hasSize(3);
  }

  @Test
  void anObjectThatExistsWithoutTheLabelIsNeverTakenOver() throws Exception {
    gateway("gw", "istio");
    fake.existingLabels.put("Service/apps/gw-istio", Map.of("app", "mine"));
    fake.existingLabels.put(
        "Deployment/apps/gw-istio",
        Map.of(GatewayDeploymentController.MANAGED_LABEL, "istio.io-gateway-controller"));
    controller(TEMPLATE).reconcile("apps", "gw");
    assertThat(fake.applied)
        .extracting(o -> o.path("kind").asText())
        .containsExactly("ServiceAccount", "Deployment");
    // ours already: written at the version we saw, so a stale cache fails instead of overwriting
    assertThat(fake.applied.get(1).at("/metadata/resourceVersion").asText()).isEqualTo("42");
  }

  @Test
  void overlaysFromClassDefaultsAndParametersRefApplyInOrder() throws Exception {
    Gateway g = gateway("gw", "istio");
    g.getSpec()
        .setInfrastructure(
            new io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayInfrastructureBuilder()
                .withNewParametersRef()
                .withGroup("")
                .withKind("ConfigMap")
                .withName("gw-options")
                .endParametersRef()
                .build());
    fake.configMaps.put(
        "istio-system/defaults",
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("defaults")
            .withNamespace("istio-system")
            .addToLabels(GatewayDeploymentController.CLASS_DEFAULTS_LABEL, "istio")
            .endMetadata()
            .addToData("deployment", "spec:\n  replicas: 2\n")
            .addToData("service", "spec:\n  type: NodePort\n")
            .build());
    GatewayDeploymentController c = controller(TEMPLATE);
    c.reconcile("apps", "gw");
    // the parametersRef ConfigMap is missing: nothing is applied, and it is not an error to retry
    assertThat(fake.applied).isEmpty();
    fake.configMaps.put(
        "apps/gw-options",
        new ConfigMapBuilder()
            .withNewMetadata()
            .withName("gw-options")
            .withNamespace("apps")
            .endMetadata()
            .addToData("deployment", "spec:\n  replicas: 3\n")
            .build());
    c.reconcile("apps", "gw");
    assertThat(fake.applied.get(1).at("/spec/replicas").asInt()).isEqualTo(3);
    assertThat(fake.applied.get(2).at("/spec/type").asText()).isEqualTo("NodePort");
  }

  @Test
  void aMissingTemplateIsLoggedAndAFailedWriteIsRetried() throws Exception {
    gateway("gw", "istio");
    controller(null).reconcile("apps", "gw"); // no kube-gateway template: nothing, no exception
    assertThat(fake.applied).isEmpty();
    fake.applyFailure = new RuntimeException("connection refused");
    assertThatThrownBy(() -> controller(TEMPLATE).reconcile("apps", "gw"))
        .isInstanceOf(GatewayDeploymentController.ApplyException.class)
        .hasMessageContaining("apply failed: patch v1, Kind=ServiceAccount/apps/gw-istio")
        .hasMessageContaining("connection refused");
  }

  private static io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddress address(
      String type, String value) {
    return new io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddressBuilder()
        .withType(type)
        .withValue(value)
        .build();
  }
}
