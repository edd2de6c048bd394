package io.jistiod.it.template;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayAddressBuilder;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GatewayBuilder;
import io.jistiod.galley.api.mesh.v1alpha1.MeshConfig;
import io.jistiod.galley.mesh.MeshConfigs;
import io.jistiod.injector.GatewayTemplateInput;
import io.jistiod.injector.InjectionConfig;
import io.jistiod.injector.InjectorConfig;
import io.jistiod.injector.ValuesConfig;
import io.jistiod.injector.template.GoStruct;
import io.jistiod.injector.template.InjectionFunctions;
import io.jistiod.it.support.Rig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our chart's {@code kube-gateway} template (manifests/charts/istiod/files/kube-gateway.yaml)
 * against Istio 1.27.0's, read from the Go module cache: for a matrix of Gateways, chart values and
 * MeshConfigs that takes every branch of Istio's template, both render (with our engine, on the
 * data {@link GatewayTemplateInput#data} builds, all five documents) to the same text, or both fail
 * for the same reason. Each template is given as the charts give it to istiod: trimmed, then one
 * newline (a {@code |} block).
 */
class KubeGatewayTemplateAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path REPO = Rig.MODULE.getParent();

  /** Istio's renderings, one file per case, for reading. */
  private static final Path OUT = Rig.MODULE.resolve("target/kube-gateway-agreement");

  private static ChartTemplatePair pair;
  private static ObjectNode chartValues;
  private static String chartMesh;

  @BeforeAll
  static void load() throws Exception {
    pair = ChartTemplatePair.load("kube-gateway");
    Path chart = REPO.resolve("injector/src/test/resources/chart-injection");
    chartValues = (ObjectNode) JSON.readTree(Files.readString(chart.resolve("values.json")));
    chartMesh = Files.readString(chart.resolve("mesh.yaml"));
  }

  /** One input: the Gateway, what the controller works out for it, values and mesh. */
  private static final class Case {
    String name = "chart defaults";
    ObjectNode values = chartValues.deepCopy();
    String mesh = chartMesh;
    Map<String, String> gatewayAnnotations = new LinkedHashMap<>();
    List<String> addresses = new ArrayList<>();
    List<ServicePort> ports = List.of(port("status-port", 15021, "tcp"), port("http", 80, "http"));
    String serviceType = "LoadBalancer";
    String deploymentName = "gw-istio";
    String serviceAccount = "gw-istio";
    String clusterId = "Kubernetes";
    int kubeVersion = 132;
    String revision = "";
    long proxyUid = 1337;
    long proxyGid = 1337;
    Map<String, String> labels = new LinkedHashMap<>();
    Map<String, String> annotations = new LinkedHashMap<>();

    Case copy(String name) {
      Case c = new Case();
      c.name = name;
      c.values = values.deepCopy();
      c.mesh = mesh;
      c.gatewayAnnotations = new LinkedHashMap<>(gatewayAnnotations);
      c.addresses = new ArrayList<>(addresses);
      c.ports = ports;
      c.serviceType = serviceType;
      c.deploymentName = deploymentName;
      c.serviceAccount = serviceAccount;
      c.clusterId = clusterId;
      c.kubeVersion = kubeVersion;
      c.revision = revision;
      c.proxyUid = proxyUid;
      c.proxyGid = proxyGid;
      c.labels = new LinkedHashMap<>(labels);
      c.annotations = new LinkedHashMap<>(annotations);
      return c;
    }

    /** Sets the chart value at a JSON pointer ("/global/network"), making parents as needed. */
    Case value(String pointer, Object value) {
      int slash = pointer.lastIndexOf('/');
      ObjectNode parent = values;
      for (String part : pointer.substring(0, slash).split("/")) {
        if (part.isEmpty()) {
          continue;
        }
        if (!parent.path(part).isObject()) {
          parent.putObject(part);
        }
        parent = (ObjectNode) parent.get(part);
      }
      parent.set(pointer.substring(slash + 1), JSON.valueToTree(value));
      return this;
    }

    Case remove(String pointer) {
      int slash = pointer.lastIndexOf('/');
      ((ObjectNode) values.at(pointer.substring(0, slash))).remove(pointer.substring(slash + 1));
      return this;
    }

    GoStruct data() throws Exception {
      Gateway gateway =
          new GatewayBuilder()
              .withNewMetadata()
              .withName("gw")
              .withNamespace("apps")
              .withUid("5f3a1c2e-7d4b-4e8a-9c61-0b2d3e4f5a6b")
              .withAnnotations(gatewayAnnotations)
              .endMetadata()
              .withNewSpec()
              .withGatewayClassName("istio")
              .withAddresses(
                  addresses.stream()
                      .map(a -> new GatewayAddressBuilder().withValue(a).build())
                      .toList())
              .endSpec()
              .build();
      GatewayTemplateInput input =
          new GatewayTemplateInput(
              gateway,
              deploymentName,
              serviceAccount,
              ports,
              serviceType,
              clusterId,
              kubeVersion,
              revision,
              false,
              proxyUid,
              proxyGid,
              "",
              labels,
              annotations,
              "gateway.networking.k8s.io/gateway-name",
              false,
              "istio.io-gateway-controller");
      InjectorConfig injector =
          new InjectorConfig(
              InjectionConfig.parse("policy: enabled\n", InjectionFunctions.all()),
              ValuesConfig.parse(JSON.writeValueAsString(values)));
      MeshConfig meshConfig = MeshConfigs.parse(mesh, "mesh.yaml");
      return input.data(injector, meshConfig);
    }

    /** The same data as the Go peer decodes it: Kubernetes, protobuf and plain JSON. */
    JsonNode goData(GoStruct data) throws Exception {
      GoStruct in = (GoStruct) data.fields().get("TemplateInput");
      ObjectNode d = JSON.createObjectNode();
      for (var f : in.fields().entrySet()) {
        d.set(f.getKey(), JSON.valueToTree(f.getValue()));
      }
      d.put("ProxyImage", (String) data.fields().get("ProxyImage"));
      JsonFormat.Printer proto = JsonFormat.printer();
      d.set("ProxyConfig", JSON.readTree(proto.print((Message) data.fields().get("ProxyConfig"))));
      d.set("MeshConfig", JSON.readTree(proto.print((Message) data.fields().get("MeshConfig"))));
      d.set("Values", values);
      return d;
    }
  }

  private static ServicePort port(String name, int port, String appProtocol) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withAppProtocol(appProtocol)
        .build();
  }

  private static List<Case> cases() {
    Case base = new Case();
    List<Case> out = new ArrayList<>();
    out.add(base);
    Map<String, Consumer<Case>> variants = new LinkedHashMap<>();
    // ServiceAccount owner reference from Kubernetes 1.28 on.
    variants.put("kubernetes 1.27", c -> c.kubeVersion = 127);
    variants.put("kubernetes 1.28", c -> c.kubeVersion = 128);
    variants.put("kubernetes unknown", c -> c.kubeVersion = -1);
    // Pod securityContext.
    variants.put(
        "gateways.securityContext",
        c ->
            c.value(
                "/gateways/securityContext",
                Map.of(
                    "runAsNonRoot",
                    true,
                    "sysctls",
                    List.of(Map.of("name", "net.ipv4.ip_unprivileged_port_start", "value", "0")))));
    variants.put(
        "gateways.seccompProfile",
        c -> c.value("/gateways/seccompProfile", Map.of("type", "RuntimeDefault")));
    variants.put(
        "securityContext over seccompProfile",
        c ->
            c.value("/gateways/seccompProfile", Map.of("type", "RuntimeDefault"))
                .value("/gateways/securityContext", Map.of("fsGroup", 1337)));
    variants.put("no gateways values", c -> c.remove("/gateways"));
    // Image.
    variants.put(
        "proxyImage annotation with a registry",
        c -> c.gatewayAnnotations.put("sidecar.istio.io/proxyImage", "my.registry/envoy:7"));
    variants.put(
        "proxyImage annotation without a registry",
        c -> c.gatewayAnnotations.put("sidecar.istio.io/proxyImage", "proxyv2-custom"));
    variants.put(
        "proxyImageType annotation",
        c -> c.gatewayAnnotations.put("sidecar.istio.io/proxyImageType", "distroless"));
    variants.put(
        "global.proxy.image with a registry",
        c -> c.value("/global/proxy/image", "gcr.io/istio-release/proxyv2:1.27.0"));
    variants.put(
        "distroless variant",
        c -> c.value("/global/variant", "distroless").value("/global/tag", "1.27.1"));
    // Container.
    variants.put("no proxy resources", c -> c.remove("/global/proxy/resources"));
    variants.put("empty proxy resources", c -> c.value("/global/proxy/resources", Map.of()));
    variants.put(
        "proxy limits only",
        c ->
            c.value(
                "/global/proxy/resources",
                Map.of("limits", Map.of("cpu", "1", "memory", "512Mi"))));
    variants.put("imagePullPolicy", c -> c.value("/global/imagePullPolicy", "IfNotPresent"));
    variants.put("sts.servicePort", c -> c.value("/global/sts/servicePort", 15463));
    variants.put("logAsJson", c -> c.value("/global/logAsJson", true));
    variants.put(
        "proxy.lifecycle",
        c ->
            c.value(
                "/global/proxy/lifecycle",
                Map.of(
                    "preStop",
                    Map.of("exec", Map.of("command", List.of("sleep", "5"))),
                    "postStart",
                    Map.of("exec", Map.of("command", List.of("pilot-agent", "wait"))))));
    variants.put("clusterDomain", c -> c.value("/global/proxy/clusterDomain", "corp.example"));
    variants.put(
        "log level annotations",
        c -> {
          c.gatewayAnnotations.put("sidecar.istio.io/logLevel", "debug");
          c.gatewayAnnotations.put(
              "sidecar.istio.io/componentLogLevel", "upstream:trace,misc:info");
          c.gatewayAnnotations.put("sidecar.istio.io/agentLogLevel", "default:debug,xds:warn");
        });
    variants.put(
        "log levels from values",
        c ->
            c.value("/global/proxy/logLevel", "error")
                .value("/global/proxy/componentLogLevel", "")
                .value("/global/logging/level", "all:error"));
    variants.put("proxy uid and gid 0", c -> c.proxyUid = c.proxyGid = 0);
    variants.put(
        "proxy uid and gid from the namespace",
        c -> {
          c.proxyUid = 1000680000;
          c.proxyGid = 1000680001;
        });
    // CA address.
    variants.put(
        "caAddress",
        c -> c.value("/global/caAddress", "cert-manager-istio-csr.cert-manager.svc:443"));
    variants.put(
        "revision",
        c -> {
          c.value("/revision", "canary");
          c.revision = "canary";
        });
    variants.put(
        "caAddress and revision",
        c -> {
          c.value("/global/caAddress", "ca.example:15012").value("/revision", "1-27");
          c.revision = "1-27";
        });
    variants.put("istioNamespace", c -> c.value("/global/istioNamespace", "istio-control"));
    variants.put("no revision value", c -> c.remove("/revision"));
    variants.put("numeric revision value", c -> c.value("/revision", 2));
    // Network and cluster.
    variants.put(
        "network label",
        c -> {
          c.labels.put("topology.istio.io/network", "net-a");
          c.labels.put("team", "edge");
        });
    variants.put("global.network", c -> c.value("/global/network", "net-b"));
    variants.put(
        "network label over global.network",
        c -> {
          c.labels.put("topology.istio.io/network", "net-a");
          c.value("/global/network", "net-b");
        });
    variants.put(
        "multiCluster.clusterName", c -> c.value("/global/multiCluster/clusterName", "west"));
    variants.put("cluster id only", c -> c.clusterId = "east");
    // Mesh id and trust domain.
    variants.put("meshID", c -> c.value("/global/meshID", "mesh-1"));
    variants.put(
        "mesh trustDomain", c -> c.mesh = chartMesh.replace("cluster.local", "corp.example"));
    variants.put(
        "values trustDomain under mesh trustDomain",
        c -> c.value("/global/trustDomain", "values.example"));
    variants.put(
        "values trustDomain, mesh trustDomain empty",
        c -> {
          c.mesh = chartMesh.replace("trustDomain: cluster.local", "trustDomain: \"\"");
          c.value("/global/trustDomain", "values.example");
        });
    variants.put(
        "no trust domain",
        c -> c.mesh = chartMesh.replace("trustDomain: cluster.local", "trustDomain: \"\""));
    variants.put(
        "meshID and no trust domain",
        c -> {
          c.mesh = chartMesh.replace("trustDomain: cluster.local", "trustDomain: \"\"");
          c.value("/global/meshID", "mesh-2");
        });
    // ProxyConfig.
    variants.put(
        "proxyMetadata",
        c ->
            c.mesh =
                chartMesh.replace(
                    "defaultConfig:\n",
                    "defaultConfig:\n  proxyMetadata:\n    ISTIO_META_DNS_CAPTURE: \"true\"\n"
                        + "    B_SECOND: b\n    A_FIRST: \"quote \\\" and <tag>\"\n"));
    variants.put(
        "interception TPROXY",
        c ->
            c.mesh =
                chartMesh.replace(
                    "defaultConfig:\n", "defaultConfig:\n  interceptionMode: TPROXY\n"));
    variants.put(
        "proxy config fields",
        c ->
            c.mesh =
                chartMesh.replace(
                    "defaultConfig:\n",
                    "defaultConfig:\n  concurrency: 2\n  holdApplicationUntilProxyStarts: true\n"
                        + "  tracing:\n    zipkin:\n      address: zipkin.istio-system:9411\n"));
    // Certificates.
    variants.put(
        "caName GkeWorkloadCertificate", c -> c.value("/global/caName", "GkeWorkloadCertificate"));
    variants.put(
        "pilotCertProvider kubernetes", c -> c.value("/global/pilotCertProvider", "kubernetes"));
    variants.put(
        "cluster trust bundle", c -> c.value("/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API", true));
    variants.put(
        "cluster trust bundle named",
        c ->
            c.value("/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API", true)
                .value("/global/trustBundleName", "corp-root"));
    variants.put(
        "cluster trust bundle off",
        c -> c.value("/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API", false));
    variants.put(
        "cluster trust bundle as a string",
        c -> c.value("/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API", "true"));
    variants.put(
        "cluster trust bundle, pilotCertProvider kubernetes",
        c ->
            c.value("/pilot/env/ENABLE_CLUSTER_TRUST_BUNDLE_API", true)
                .value("/global/pilotCertProvider", "kubernetes"));
    variants.put("no pilot values", c -> c.remove("/pilot"));
    variants.put("trustBundleName", c -> c.value("/global/trustBundleName", "corp-root-cert"));
    variants.put("sds audience", c -> c.value("/global/sds/token/aud", "corp-ca"));
    variants.put(
        "imagePullSecrets", c -> c.value("/global/imagePullSecrets", List.of("regcred", "mirror")));
    // Service.
    variants.put("address, LoadBalancer", c -> c.addresses.add("203.0.113.7"));
    variants.put(
        "addresses, ClusterIP",
        c -> {
          c.addresses.add("10.96.0.40");
          c.serviceType = "ClusterIP";
        });
    variants.put(
        "two addresses, LoadBalancer",
        c -> {
          c.addresses.add("lb.example.com");
          c.addresses.add("203.0.113.8");
        });
    variants.put("NodePort", c -> c.serviceType = "NodePort");
    variants.put(
        "several ports",
        c ->
            c.ports =
                List.of(
                    port("status-port", 15021, "tcp"),
                    port("http", 80, "http"),
                    port("https", 443, "https"),
                    port("grpc", 9090, "grpc"),
                    port("tcp-db", 5432, "tcp"),
                    port("tls-passthrough", 8443, "tls")));
    // Labels and annotations.
    variants.put(
        "infrastructure annotations",
        c -> {
          c.annotations.put(
              "kubectl.kubernetes.io/last-applied-configuration", "{\"kind\":\"Gateway\"}");
          c.annotations.put("gateway.istio.io/name-override", "other");
          c.annotations.put("gateway.istio.io/service-account", "other-sa");
          c.annotations.put("gateway.istio.io/controller-version", "5");
          c.annotations.put("service.beta.kubernetes.io/aws-load-balancer-type", "nlb");
          c.annotations.put("example.com/html", "<a & b>");
          c.annotations.put("istio.io/rev", "infra");
          c.annotations.put("prometheus.io/port", "9999");
        });
    variants.put(
        "infrastructure labels colliding with the template's",
        c -> {
          c.labels.put("gateway.networking.k8s.io/gateway-name", "spoof");
          c.labels.put("gateway.istio.io/managed", "someone");
          c.labels.put("service.istio.io/canonical-name", "from-infra");
          c.labels.put("sidecar.istio.io/inject", "true");
          c.labels.put("app", "edge");
        });
    variants.put(
        "names",
        c -> {
          c.deploymentName = "custom-name";
          c.serviceAccount = "custom-sa";
        });
    // Values istiod would not build or a user might write: they print or fail as in istiod.
    variants.put(
        "edge: port without appProtocol",
        c -> c.ports = List.of(new ServicePortBuilder().withName("http").withPort(80).build()));
    variants.put("edge: null pilot values", c -> c.value("/pilot", null));
    variants.put("edge: no multiCluster values", c -> c.remove("/global/multiCluster"));
    variants.put("edge: null multiCluster values", c -> c.value("/global/multiCluster", null));
    variants.put(
        "edge: html in values and annotations",
        c -> {
          c.value("/global/network", "<net&1>").value("/global/meshID", "a&b");
          c.annotations.put("x", "<&>");
          c.gatewayAnnotations.put("sidecar.istio.io/logLevel", "<debug>");
        });
    for (var e : variants.entrySet()) {
      Case c = base.copy(e.getKey());
      e.getValue().accept(c);
      out.add(c);
    }
    // Everything at once.
    Case all = base.copy("everything");
    for (var e : variants.entrySet()) {
      if (!e.getKey().contains("as a string")
          && !e.getKey().startsWith("numeric")
          && !e.getKey().startsWith("edge:")) {
        e.getValue().accept(all);
      }
    }
    out.add(all);
    return out;
  }

  private static List<ChartTemplatePair.Input> inputs() throws Exception {
    List<ChartTemplatePair.Input> out = new ArrayList<>();
    for (Case c : cases()) {
      GoStruct d = c.data();
      out.add(new ChartTemplatePair.Input(c.name, d, c.goData(d)));
    }
    return out;
  }

  /**
   * Our engine against Go's (the gotemplate peer, with the data as istiod's deployment controller
   * builds it): both templates render to the same bytes, or fail with the same message.
   */
  @Test
  void bothRenderAsGoRendersThem() throws Exception {
    List<String> mismatches = pair.mismatchesWithGo(inputs());
    assertThat(mismatches).as(String.join("\n", mismatches)).isEmpty();
  }

  @Test
  void rendersAsIstiosTemplate() throws Exception {
    pair.assertRendersAsIstios(
        inputs(),
        OUT,
        // the matrix takes both sides of every branch of Istio's template
        List.of(
            "# Safe since 1.28",
            "sysctls:\n",
            "seccompProfile:\n",
            "fsGroup: 1337",
            "image: \"my.registry/envoy:7\"",
            "image: \"docker.io/istio/proxyv2:1.27.0-distroless\"",
            "        resources:\n",
            "imagePullPolicy: \"IfNotPresent\"",
            "--stsPort=15463",
            "--log_as_json",
            "lifecycle:",
            "value: cert-manager-istio-csr.cert-manager.svc:443",
            "value: istiod-canary.istio-system.svc:15012",
            "value: istiod.istio-control.svc:15012",
            "ISTIO_META_NETWORK",
            "ISTIO_META_REQUESTED_NETWORK_VIEW",
            "value: \"mesh-1\"",
            "name: ISTIO_META_MESH_ID\n          value: \"corp.example\"",
            "name: TRUST_DOMAIN",
            "name: A_FIRST",
            "value: \"TPROXY\"",
            "gke-workload-certificate",
            "name: istiod-ca-cert",
            "clusterTrustBundle:",
            "name: istio.io:istiod-ca:corp-root\n",
            "name: corp-root-cert\n",
            "imagePullSecrets:",
            "loadBalancerIP: \"203.0.113.7\"",
            "runAsUser: 1337",
            "runAsUser: 1000680000",
            "value: \"west\"",
            "\"service.beta.kubernetes.io/aws-load-balancer-type\":\"nlb\"",
            "\"service.istio.io/canonical-name\":\"from-infra\"",
            "- name: \"tls-passthrough\""),
        // Omitted annotations, Gateway annotations (not infrastructure ones), an image name without
        // a registry (the resolved image instead).
        List.of(
            "last-applied-configuration",
            "name-override",
            "controller-version",
            "\"sidecar.istio.io/logLevel\"",
            "proxyv2-custom"));
  }
}
