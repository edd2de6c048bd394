package io.jistiod.it.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * Automated deployment of Gateway API Gateways, side by side on a real API server: Istio's
 * pilot-discovery 1.27 runs first with the injection config its own istio-discovery chart renders,
 * and the ServiceAccounts, Deployments, Services and PodDisruptionBudgets it server-side applies
 * are recorded and deleted; then our istiod runs with the config our chart renders (on our chart's
 * RBAC) and applies its own. They must be the same objects, field for field, with the same
 * managedFields (manager, operation, the fields each owns), allocated values aside (cluster IPs,
 * node ports, uids, times), ProxyConfig resources merged into the proxies' ProxyConfig as istiod
 * merges them (namespace-wide, then the one selecting the Gateway's pods). A Gateway with a
 * Hostname address gets nothing from either. Then the Gateways' status each writes once its
 * deployed Service exists is the same too (Programmed, the address of the Service, listeners).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class GatewayDeploymentE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";

  /**
   * A revision of its own, which the namespace selects: the reference's leases (deployment, status)
   * are per revision and shared by every reference on the rig, and a long-running one (the load
   * harness's) may hold the default revision's.
   */
  private static final String REVISION = "gateway-deploy-e2e";

  @TempDir Path tmp;

  /** The test's inputs in {@code ns}: the Gateways alone, or everything else. */
  private static String objects(String ns, boolean gateways) {
    StringBuilder out = new StringBuilder();
    for (String doc : allObjects(ns).split("(?m)^---\\n")) {
      if (doc.contains("\nkind: Gateway\n") == gateways) {
        out.append("---\n").append(doc);
      }
    }
    return out.toString();
  }

  /** Waits until pilot-discovery's last push status exists: it has built a push context. */
  private static void awaitFirstPush(ReferenceIstiod ref) {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest req =
        HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + ref.httpPort() + "/debug/push_status"))
            .build();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
              return r.statusCode() == 200 && r.body().trim().startsWith("{");
            });
  }

  private static String allObjects(String ns) {
    return """
        apiVersion: v1
        kind: Secret
        metadata: {name: edge-cert, namespace: %1$s}
        type: kubernetes.io/tls
        data: {tls.crt: "", tls.key: ""}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: edge-options, namespace: %1$s}
        data:
          deployment: |
            spec:
              replicas: 2
              template:
                spec:
                  containers:
                  - name: istio-proxy
                    resources: {limits: {cpu: "2"}}
          podDisruptionBudget: |
            spec:
              minAvailable: 1
        ---
        # The pods the deployed Deployment would run (the rig has no kubelet), as the endpoint
        # controller would list them once the Service exists: they make the Gateway programmed.
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: plain-istio-pods
          namespace: %1$s
          labels: {kubernetes.io/service-name: plain-istio}
        addressType: IPv4
        endpoints: [{addresses: [10.9.9.9], conditions: {ready: true}}]
        ports: [{name: http, port: 80, protocol: TCP}, {name: https-secure, port: 443, protocol: TCP}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: plain, namespace: %1$s}
        spec:
          gatewayClassName: istio
          listeners:
          - {name: http, port: 80, protocol: HTTP}
          - name: https.secure
            port: 443
            protocol: HTTPS
            tls: {mode: Terminate, certificateRefs: [{name: edge-cert}]}
          - {name: also-http, port: 80, protocol: HTTP, hostname: b.example.com}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: edge
          namespace: %1$s
          labels: {team: payments}
          annotations:
            networking.istio.io/service-type: ClusterIP
            gateway.istio.io/service-account: edge-proxy
            sidecar.istio.io/logLevel: debug
        spec:
          gatewayClassName: istio
          infrastructure:
            labels: {topology.istio.io/network: net-1, gateway.networking.k8s.io/ignored: x}
            annotations: {example.com/owner: edge-team}
            parametersRef: {group: "", kind: ConfigMap, name: edge-options}
          listeners:
          - {name: tcp, port: 9000, protocol: TCP}
        ---
        # ProxyConfig resources the deployed proxies' ProxyConfig merges: the namespace's for both
        # Gateways, and over it the one selecting edge's pods by the gateway-name label
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: namespace-wide, namespace: %1$s}
        spec:
          concurrency: 3
          environmentVariables: {NS_WIDE: "yes", SHARED: namespace}
        ---
        apiVersion: networking.istio.io/v1beta1
        kind: ProxyConfig
        metadata: {name: edge-proxy, namespace: %1$s}
        spec:
          selector: {matchLabels: {gateway.networking.k8s.io/gateway-name: edge}}
          concurrency: 4
          image: {imageType: distroless}
          environmentVariables: {FOR_EDGE: "1", SHARED: edge}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: existing, namespace: %1$s}
        spec:
          gatewayClassName: istio
          addresses: [{type: Hostname, value: existing.%1$s.svc.cluster.local}]
          listeners:
          - {name: http, port: 80, protocol: HTTP}
        """
        .formatted(ns);
  }

  private static final List<String> GATEWAYS = List.of("plain", "edge");

  /** Each deployed Gateway's status once it is settled, transition times aside. */
  private static Map<String, JsonNode> awaitProgrammed(Rig rig, String ns) throws Exception {
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
                // settled: Programmed decided, on the deployed Service (not before it existed)
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
    return out;
  }

  private static void clearStatus(Rig rig, String ns) throws Exception {
    for (String gw : GATEWAYS) {
      GatewayApiStatusDocs.clearGateway(rig, ns, gw);
    }
  }

  @Test
  void oursDeploysWhatIstiodDeploys(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    String ns = home.name();
    rig.kubectl(
        "label", "namespace", ns, LABEL + "=" + ns, "istio.io/rev=" + REVISION, "--overwrite");
    // the Gateways come once the reference has built its first push context (below)
    rig.apply(objects(ns, false));

    InjectorConfigs configs =
        new InjectorConfigs(
            Helm.require(),
            IstioModule.dir().resolve("manifests/charts/istio-control/istio-discovery"),
            Helm.CHARTS.resolve("istiod"),
            tmp.resolve("charts"));
    InjectorConfigs.Rendered rendered =
        configs.render(new InjectCase.Settings(JSON.createObjectNode(), null, Map.of()));
    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");

    // 1 + 2: SA, Deployment, Service for plain and edge, and edge's PDB (its overlay asks)
    int expected = 7;
    Map<String, JsonNode> reference;
    Map<String, JsonNode> referenceStatus;
    try (ReferenceIstiod ref =
        ReferenceIstiod.start(
            "deploy-" + ns,
            List.of(ns),
            mesh,
            rendered.reference().config().getParent(),
            Map.of("REVISION", REVISION))) {
      // istiod's deployment controller reads ProxyConfig resources from the push context, which
      // its first push builds: a Gateway rendered before that gets the defaults and is not
      // rendered again. So the Gateways are created once istiod reports a push.
      awaitFirstPush(ref);
      rig.apply(objects(ns, true));
      reference = ManagedGatewayObjects.await(rig, ns, expected);
      referenceStatus = awaitProgrammed(rig, ns);
    }
    // what Istio writes once the deployed Service has endpoints: programmed, at the Service's name
    assertThat(referenceStatus.get("plain").toString())
        .contains("\"reason\":\"Programmed\"")
        .contains("plain-istio." + ns + ".svc.cluster.local");
    // and without endpoints (edge): not assigned
    assertThat(referenceStatus.get("edge").toString()).contains("AddressNotAssigned");
    clearStatus(rig, ns);
    assertThat(reference.keySet())
        .containsExactly(
            "Deployment/edge-istio",
            "Deployment/plain-istio",
            "PodDisruptionBudget/edge-istio",
            "Service/edge-istio",
            "Service/plain-istio",
            "ServiceAccount/edge-proxy",
            "ServiceAccount/plain-istio");
    // the ProxyConfig resources took part: edge's selected one over the namespace's
    String edge = reference.get("Deployment/edge-istio").toString();
    assertThat(edge)
        .contains("proxyv2:1.27.0-distroless")
        .contains("{\"name\":\"FOR_EDGE\",\"value\":\"1\"}")
        .contains("{\"name\":\"SHARED\",\"value\":\"edge\"}")
        .contains("{\"name\":\"NS_WIDE\",\"value\":\"yes\"}");
    assertThat(reference.get("Deployment/plain-istio").toString())
        .contains("{\"name\":\"SHARED\",\"value\":\"namespace\"}")
        .doesNotContain("FOR_EDGE");
    rig.kubectl(
        "delete",
        ManagedGatewayObjects.KINDS,
        "-n",
        ns,
        "-l",
        "gateway.istio.io/managed",
        "--wait=true");
    assertThat(ManagedGatewayObjects.of(rig, ns)).isEmpty();

    Path ourMesh = tmp.resolve("our-mesh.yaml");
    Files.writeString(
        ourMesh, "discoverySelectors:\n- matchLabels: {\"" + LABEL + "\": \"" + ns + "\"}\n");
    Map<String, String> env =
        Map.of("POD_NAMESPACE", ns, "ISTIOD_CUSTOM_HOST", "localhost", "REVISION", REVISION);
    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
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
      Map<String, JsonNode> written = ManagedGatewayObjects.await(rig, ns, expected);
      assertThat(written.keySet()).isEqualTo(reference.keySet());
      for (var e : reference.entrySet()) {
        assertThat(written.get(e.getKey()).toPrettyString())
            .as(e.getKey())
            .isEqualTo(e.getValue().toPrettyString());
      }
      Awaitility.await().pollDelay(Duration.ofSeconds(5)).until(() -> true);
      Map<String, JsonNode> status = awaitProgrammed(rig, ns);
      for (String gw : GATEWAYS) {
        assertThat(status.get(gw).toPrettyString())
            .as("status of Gateway %s", gw)
            .isEqualTo(referenceStatus.get(gw).toPrettyString());
      }

      // a managed object deleted by hand is put back (its owner Gateway is reconciled again)
      rig.kubectl("delete", "deployment", "plain-istio", "-n", ns, "--wait=true");
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .ignoreExceptions()
          .until(() -> ManagedGatewayObjects.of(rig, ns).containsKey("Deployment/plain-istio"));
      assertThat(ManagedGatewayObjects.of(rig, ns).get("Deployment/plain-istio").toPrettyString())
          .isEqualTo(reference.get("Deployment/plain-istio").toPrettyString());
    }
  }
}
