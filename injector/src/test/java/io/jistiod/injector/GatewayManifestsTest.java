package io.jistiod.injector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.injector.template.InjectionFunctions;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatewayManifestsTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A small deployment template reading the input the way kube-gateway does. */
  private static final String TEMPLATE =
      """
      apiVersion: v1
      kind: ServiceAccount
      metadata:
        name: {{.ServiceAccount | quote}}
        namespace: {{.Namespace | quote}}
      ---
      apiVersion: apps/v1
      kind: Deployment
      metadata:
        name: {{.DeploymentName | quote}}
        namespace: {{.Namespace}}
        labels:
          {{- toJsonMap .InfrastructureLabels (strdict "gateway.networking.k8s.io/gateway-name" .Name) | nindent 4 }}
        ownerReferences:
        - apiVersion: gateway.networking.k8s.io/v1beta1
          kind: Gateway
          name: {{.Name}}
          uid: "{{.UID}}"
      spec:
        template:
          spec:
            containers:
            - name: istio-proxy
              image: "{{.ProxyImage}}"
              args: [{{ annotation .ObjectMeta `sidecar.istio.io/logLevel` .Values.global.proxy.logLevel | quote }}]
      ---
      apiVersion: v1
      kind: Service
      metadata:
        name: {{.DeploymentName | quote}}
      spec:
        ports:
        {{- range .Ports }}
        - name: {{ .Name | quote }}
          port: {{ .Port }}
          appProtocol: {{ .AppProtocol }}
        {{- end }}
        {{- if .Spec.Addresses }}
        loadBalancerIP: {{ (index .Spec.Addresses 0).Value | quote }}
        {{- end }}
        type: {{ .ServiceType | quote }}
      ---
      apiVersion: policy/v1
      kind: PodDisruptionBudget
      metadata:
        name: {{.DeploymentName | quote}}
      spec: {}
      """;

  private static InjectorConfig injector(String template) throws Exception {
    String config =
        "policy: enabled\ntemplates:\n  kube-gateway: " + JSON.writeValueAsString(template) + "\n";
    return new InjectorConfig(
        InjectionConfig.parse(config, InjectionFunctions.all()),
        ValuesConfig.parse(
            "{\"global\":{\"hub\":\"docker.io/istio\",\"tag\":\"1.27.0\","
                + "\"proxy\":{\"logLevel\":\"warning\"}}}"));
  }

  private static GatewayTemplateInput input(Gateway gw) {
    return new GatewayTemplateInput(
        gw,
        "gw-istio",
        "gw-istio",
        List.of(
            new ServicePortBuilder()
                .withName("status-port")
                .withPort(15021)
                .withAppProtocol("tcp")
                .build(),
            new ServicePortBuilder().withName("http").withPort(80).withAppProtocol("http").build()),
        "LoadBalancer",
        "Kubernetes",
        132,
        "",
        false,
        1337,
        1337,
        "",
        Map.of("team", "a"),
        Map.of(),
        "gateway.networking.k8s.io/gateway-name",
        false,
        "istio.io-gateway-controller");
  }

  private static Gateway gateway() {
    return new GatewayBuilder()
        .withNewMetadata()
        .withName("gw")
        .withNamespace("apps")
        .withUid("u-1")
        .addToAnnotations("sidecar.istio.io/logLevel", "debug")
        .endMetadata()
        .withNewSpec()
        .withGatewayClassName("istio")
        .addNewAddress()
        .withValue("10.0.0.9")
        .endAddress()
        .endSpec()
        .build();
  }

  @Test
  void rendersEachDocumentWithTheGatewayEmbedded() throws Exception {
    List<ObjectNode> out =
        GatewayManifests.render(
            injector(TEMPLATE),
            MeshConfig.getDefaultInstance(),
            "kube-gateway",
            input(gateway()),
            List.of());
    assertThat(out)
        .extracting(o -> o.path("kind").asText())
        .containsExactly("ServiceAccount", "Deployment", "Service"); // PDB: no overlay asks
    ObjectNode deployment = out.get(1);
    assertThat(deployment.at("/metadata/namespace").asText()).isEqualTo("apps");
    assertThat(deployment.at("/metadata/labels").toString())
        .isEqualTo("{\"gateway.networking.k8s.io/gateway-name\":\"gw\",\"team\":\"a\"}");
    assertThat(deployment.at("/metadata/ownerReferences/0/uid").asText()).isEqualTo("u-1");
    assertThat(deployment.at("/spec/template/spec/containers/0/image").asText())
        .isEqualTo("docker.io/istio/proxyv2:1.27.0");
    assertThat(deployment.at("/spec/template/spec/containers/0/args/0").asText())
        .isEqualTo("debug");
    ObjectNode service = out.get(2);
    assertThat(service.at("/spec/ports").toString())
        .isEqualTo(
            "[{\"name\":\"status-port\",\"port\":15021,\"appProtocol\":\"tcp\"},"
                + "{\"name\":\"http\",\"port\":80,\"appProtocol\":\"http\"}]");
    assertThat(service.at("/spec/loadBalancerIP").asText()).isEqualTo("10.0.0.9");
  }

  @Test
  void overlaysMergeInOrderAndBringOptionalKinds() throws Exception {
    Map<String, String> classDefaults =
        Map.of(
            "deployment",
            "spec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n"
                + "      - name: istio-proxy\n        resources: {limits: {cpu: '2'}}\n",
            "podDisruptionBudget",
            "spec:\n  minAvailable: 1\n");
    Map<String, String> params =
        Map.of(
            "deployment",
            "spec:\n  replicas: 3\n",
            "service",
            "spec:\n  ports:\n  - port: 80\n    nodePort: 30080\n");
    List<ObjectNode> out =
        GatewayManifests.render(
            injector(TEMPLATE),
            MeshConfig.getDefaultInstance(),
            "kube-gateway",
            input(gateway()),
            List.of(classDefaults, params));
    assertThat(out)
        .extracting(o -> o.path("kind").asText())
        .containsExactly("ServiceAccount", "Deployment", "Service", "PodDisruptionBudget");
    ObjectNode deployment = out.get(1);
    assertThat(deployment.at("/spec/replicas").asInt()).isEqualTo(3);
    // Containers merge by name: the image stays, the resources come in.
    assertThat(deployment.at("/spec/template/spec/containers").size()).isEqualTo(1);
    assertThat(deployment.at("/spec/template/spec/containers/0/image").asText())
        .isEqualTo("docker.io/istio/proxyv2:1.27.0");
    assertThat(deployment.at("/spec/template/spec/containers/0/resources/limits/cpu").asText())
        .isEqualTo("2");
    // Service ports merge by port number.
    assertThat(out.get(2).at("/spec/ports/1/nodePort").asInt()).isEqualTo(30080);
    assertThat(out.get(2).at("/spec/ports/1/appProtocol").asText()).isEqualTo("http");
    assertThat(out.get(3).at("/spec/minAvailable").asInt()).isEqualTo(1);
  }

  @Test
  void badOverlaysAndTemplatesAreErrorsThatNameTheReason() throws Exception {
    InjectorConfig injector = injector(TEMPLATE);
    MeshConfig mesh = MeshConfig.getDefaultInstance();
    GatewayTemplateInput in = input(gateway());
    assertThatThrownBy(
            () ->
                GatewayManifests.render(
                    injector, mesh, "kube-gateway", in, List.of(Map.of("ingress", "x: 1"))))
        .hasMessage(
            "unsupported overlay \"ingress\" (supported: [deployment, horizontalPodAutoscaler,"
                + " podDisruptionBudget, service, serviceAccount])");
    assertThatThrownBy(
            () ->
                GatewayManifests.render(
                    injector,
                    mesh,
                    "kube-gateway",
                    in,
                    List.of(Map.of("service", "metadata:\n  name: other\n"))))
        .hasMessage("illegal metadata change");
    assertThatThrownBy(() -> GatewayManifests.render(injector, mesh, "waypoint", in, List.of()))
        .hasMessage("no \"waypoint\" template defined");
    assertThatThrownBy(
            () ->
                GatewayManifests.render(
                    injector("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"),
                    mesh,
                    "kube-gateway",
                    in,
                    List.of()))
        .hasMessage("unknown overlay kind \"ConfigMap\"");
  }

  @Test
  void documentsSplitOnDashLines() {
    assertThat(GatewayManifests.split("a: 1\n---\n\n--- # c\nb: 2\n"))
        .containsExactly("a: 1\n", "b: 2\n\n");
  }
}
