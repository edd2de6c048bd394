package io.jistiod.it.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.inject.InjectionOptions;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.istiod.webhook.WebhookOptions;
import io.jistiod.it.kubeinject.InjectCase;
import io.jistiod.it.kubeinject.InjectorConfigs;
import io.jistiod.it.sidebyside.ReferenceIstiod;
import io.jistiod.it.support.FreePorts;
import io.jistiod.it.support.Helm;
import io.jistiod.it.support.IstioModule;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ambient's Gateway classes side by side on a real API server, as {@link GatewayDeploymentE2ETest}
 * does for class istio: Istio's pilot-discovery 1.27 runs first with PILOT_ENABLE_AMBIENT=true and
 * AMBIENT_ENABLE_MULTI_NETWORK=true and the injection config its chart renders (global.network
 * set), then our istiod with the same flags and the config our chart renders. Each creates the
 * GatewayClasses istio-waypoint and istio-east-west (deleted before each turn) and writes their
 * status; each deploys a waypoint, an east-west gateway, a waypoint with a listener it does not
 * expect, and an istio-class gateway (its pods opted out of ambient) from the waypoint and
 * kube-gateway templates. The classes, the objects (managedFields included) and the Gateways'
 * status must be the same. Both run as revision {@link #REVISION}, which the namespace selects.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class WaypointDeploymentE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";
  private static final List<String> CLASSES = List.of("istio-waypoint", "istio-east-west");
  private static final List<String> GATEWAYS =
      List.of("waypoint", "eastwest", "odd-waypoint", "ingress");

  /**
   * A revision of its own: the reference's leases (deployment, status) are per revision and shared
   * by every reference on the rig; the default revision's may be held by a long-running one.
   */
  private static final String REVISION = "waypoint-e2e";

  private static final Map<String, String> AMBIENT =
      Map.of(
          "PILOT_ENABLE_AMBIENT",
          "true",
          "AMBIENT_ENABLE_MULTI_NETWORK",
          "true",
          "REVISION",
          REVISION);

  @TempDir Path tmp;

  private static String objects(String ns) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: waypoint
          namespace: %1$s
          labels: {istio.io/waypoint-for: service}
        spec:
          gatewayClassName: istio-waypoint
          listeners:
          - {name: mesh, port: 15008, protocol: HBONE}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: eastwest
          namespace: %1$s
          labels: {topology.istio.io/network: net-east}
        spec:
          gatewayClassName: istio-east-west
          listeners:
          - name: mesh
            port: 15008
            protocol: HBONE
            tls: {mode: Terminate, options: {gateway.istio.io/tls-terminate-mode: ISTIO_MUTUAL}}
        ---
        # a waypoint listening where istiod does not expect: deployed, its listener not accepted
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: odd-waypoint
          namespace: %1$s
          annotations: {networking.istio.io/service-type: NodePort}
        spec:
          gatewayClassName: istio-waypoint
          listeners:
          - {name: http, port: 80, protocol: HTTP}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: ingress, namespace: %1$s}
        spec:
          gatewayClassName: istio
          listeners:
          - {name: http, port: 80, protocol: HTTP}
        """
        .formatted(ns);
  }

  /** The classes as created, with their status once Accepted: what both must agree on. */
  private static Map<String, JsonNode> awaitClasses(Rig rig) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .until(
            () -> {
              for (String name : CLASSES) {
                JsonNode c = JSON.readTree(rig.kubectl("get", "gatewayclass", name, "-o", "json"));
                if (!c.at("/status/conditions/0/reason").asText().equals("Accepted")) {
                  return false;
                }
                ObjectNode kept = JSON.createObjectNode();
                kept.set("spec", c.path("spec"));
                kept.set("status", GatewayApiStatusDocs.withoutTimes(c.path("status").deepCopy()));
                out.put(name, kept);
              }
              return true;
            });
    return out;
  }

  private static void deleteClasses(Rig rig) throws Exception {
    rig.kubectl(
        "delete", "gatewayclass", CLASSES.get(0), CLASSES.get(1), "--ignore-not-found", "--wait");
  }

  /** Each Gateway's status once settled (Programmed decided on its deployed Service). */
  private static Map<String, JsonNode> awaitStatus(Rig rig, String ns) throws Exception {
    Map<String, JsonNode> out = new TreeMap<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .until(
            () -> {
              for (String gw : GATEWAYS) {
                JsonNode status =
                    GatewayApiStatusDocs.status(rig, "gateways.gateway.networking.k8s.io", ns, gw);
                boolean settled = false;
                for (JsonNode c : status.path("conditions")) {
                  settled |=
                      c.path("type").asText().equals("Programmed")
                          && !c.path("reason").asText().equals("Pending")
                          && !c.path("message").asText().contains("not found");
                }
                if (!settled) {
                  return false;
                }
                out.put(gw, status);
              }
              return true;
            });
    // settled: a later write (the Service's address arriving) would change nothing
    Awaitility.await().pollDelay(Duration.ofSeconds(3)).until(() -> true);
    for (String gw : GATEWAYS) {
      out.put(gw, GatewayApiStatusDocs.status(rig, "gateways.gateway.networking.k8s.io", ns, gw));
    }
    return out;
  }

  @Test
  void oursDeploysAmbientGatewaysAsIstiodDoes(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    String ns = home.name();
    rig.kubectl(
        "label", "namespace", ns, LABEL + "=" + ns, "istio.io/rev=" + REVISION, "--overwrite");
    rig.apply(objects(ns));

    InjectorConfigs configs =
        new InjectorConfigs(
            Helm.require(),
            IstioModule.dir().resolve("manifests/charts/istio-control/istio-discovery"),
            Helm.CHARTS.resolve("istiod"),
            tmp.resolve("charts"));
    ObjectNode values = JSON.createObjectNode();
    values.putObject("global").put("network", "net-mesh");
    InjectorConfigs.Rendered rendered =
        configs.render(new InjectCase.Settings(values, null, Map.of()));
    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");

    // SA, Deployment and Service for each of the four Gateways
    int expected = 12;
    Map<String, JsonNode> reference;
    Map<String, JsonNode> referenceStatus;
    Map<String, JsonNode> referenceClasses;
    deleteClasses(rig);
    try (ReferenceIstiod ref =
        ReferenceIstiod.start(
            "waypoint-" + ns,
            List.of(ns),
            mesh,
            rendered.reference().config().getParent(),
            AMBIENT)) {
      referenceClasses = awaitClasses(rig);
      reference = ManagedGatewayObjects.await(rig, ns, expected);
      referenceStatus = awaitStatus(rig, ns);
    }
    assertThat(referenceClasses.get("istio-waypoint").toString())
        .contains("\"controllerName\":\"istio.io/mesh-controller\"");
    assertThat(reference.keySet())
        .containsExactly(
            "Deployment/eastwest",
            "Deployment/ingress-istio",
            "Deployment/odd-waypoint",
            "Deployment/waypoint",
            "Service/eastwest",
            "Service/ingress-istio",
            "Service/odd-waypoint",
            "Service/waypoint",
            "ServiceAccount/eastwest",
            "ServiceAccount/ingress-istio",
            "ServiceAccount/odd-waypoint",
            "ServiceAccount/waypoint");
    // what the test stands on: the waypoint template, its inputs, the ambient label overrides
    assertThat(reference.get("Deployment/waypoint").toString())
        .contains("\"waypoint\",\"--domain\"")
        .contains("\"gateway.istio.io/managed\":\"istio.io-mesh-controller\"")
        .contains("\"istio.io/waypoint-for\":\"service\"")
        .contains("\"topology.istio.io/network\":\"net-mesh\"");
    assertThat(reference.get("Service/waypoint").toString())
        .contains("\"type\":\"ClusterIP\"")
        .contains("{\"appProtocol\":\"hbone\",\"name\":\"mesh\",\"port\":15008,")
        .contains("PreferClose");
    assertThat(reference.get("Service/eastwest").toString()).contains("\"type\":\"LoadBalancer\"");
    assertThat(reference.get("Deployment/eastwest").toString())
        .contains("\"gateway.istio.io/managed\":\"istio.io-eastwest-controller\"")
        .contains("\"topology.istio.io/network\":\"net-east\"");
    assertThat(reference.get("Deployment/ingress-istio").toString())
        .contains("\"istio.io/dataplane-mode\":\"none\"");
    assertThat(referenceStatus.get("odd-waypoint").toString())
        .contains("Expected a single listener on port 15008 with protocol \\\"HBONE\\\"");
    for (String gw : GATEWAYS) {
      GatewayApiStatusDocs.clearGateway(rig, ns, gw);
    }
    rig.kubectl(
        "delete",
        ManagedGatewayObjects.KINDS,
        "-n",
        ns,
        "-l",
        "gateway.istio.io/managed",
        "--wait=true");
    assertThat(ManagedGatewayObjects.of(rig, ns)).isEmpty();
    deleteClasses(rig);

    Path ourMesh = tmp.resolve("our-mesh.yaml");
    Files.writeString(
        ourMesh, "discoverySelectors:\n- matchLabels: {\"" + LABEL + "\": \"" + ns + "\"}\n");
    Map<String, String> env =
        Map.of("POD_NAMESPACE", ns, "ISTIOD_CUSTOM_HOST", "localhost", "REVISION", REVISION);
    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withEnv(AMBIENT)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withMeshConfigFile(ourMesh)
                .withSecurity(
                    SecurityOptions.fromEnvironment(env::get)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(ns)
                        .withRootCaDir(tmp.resolve("no-cacerts")))
                .withWebhook(
                    WebhookOptions.fromEnvironment(env::get)
                        .withHttpsAddr("127.0.0.1:" + FreePorts.loopback())
                        .withNamespace(ns))
                .withInjection(
                    InjectionOptions.fromEnvironment(env::get)
                        .withDirectory(rendered.ours().config().getParent())))) {
      ours.start();
      Map<String, JsonNode> classes = awaitClasses(rig);
      for (String name : CLASSES) {
        assertThat(classes.get(name).toPrettyString())
            .as("GatewayClass %s", name)
            .isEqualTo(referenceClasses.get(name).toPrettyString());
      }
      Map<String, JsonNode> written = ManagedGatewayObjects.await(rig, ns, expected);
      assertThat(written.keySet()).isEqualTo(reference.keySet());
      for (var e : reference.entrySet()) {
        assertThat(written.get(e.getKey()).toPrettyString())
            .as(e.getKey())
            .isEqualTo(e.getValue().toPrettyString());
      }
      Map<String, JsonNode> status = awaitStatus(rig, ns);
      for (String gw : GATEWAYS) {
        assertThat(status.get(gw).toPrettyString())
            .as("status of Gateway %s", gw)
            .isEqualTo(referenceStatus.get(gw).toPrettyString());
      }
    }
  }
}
