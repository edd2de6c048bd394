package io.jistiod.it.gatewayapi;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.sidebyside.ReferenceIstiod;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Gateway API status our istiod writes on a real API server equals what Istio's pilot-discovery
 * 1.27 writes for the same objects: the reference runs first and writes its status, the status is
 * cleared, then ours runs (on the istiod chart's ServiceAccount, holding the status Lease) and
 * writes its own. Gateway (conditions, listeners, addresses) and route parent statuses are compared
 * whole, transition times aside: an accepted route, a route to a missing backend, a route naming a
 * listener that does not exist, and a listener whose certificate Secret is missing.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class GatewayApiStatusE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";
  private static final List<String> ROUTES = List.of("good", "missing-backend", "no-such-listener");

  @TempDir Path tmp;

  private static String objects(String ns) {
    return """
        apiVersion: v1
        kind: Service
        metadata: {name: gw-istio, namespace: %1$s}
        spec:
          selector: {gateway.networking.k8s.io/gateway-name: gw}
          ports: [{name: http, port: 80, targetPort: 8080}, {name: https, port: 443, targetPort: 8443}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: %1$s}
        spec:
          selector: {app: echo}
          ports: [{name: http, port: 8080}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: %1$s}
        spec:
          gatewayClassName: istio
          addresses: [{type: Hostname, value: gw-istio.%1$s.svc.cluster.local}]
          listeners:
          - {name: http, port: 80, protocol: HTTP}
          - name: https
            port: 443
            protocol: HTTPS
            hostname: secure.example.com
            tls: {mode: Terminate, certificateRefs: [{name: no-such-secret}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: good, namespace: %1$s}
        spec:
          parentRefs: [{name: gw}]
          hostnames: [a.example.com]
          rules: [{backendRefs: [{name: echo, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: missing-backend, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: http}]
          rules: [{backendRefs: [{name: nope, port: 8080}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: HTTPRoute
        metadata: {name: no-such-listener, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: nosuch}]
          rules: [{backendRefs: [{name: echo, port: 8080}]}]
        """
        .formatted(ns);
  }

  private static JsonNode status(Rig rig, String kind, String ns, String name) throws Exception {
    return GatewayApiStatusDocs.status(rig, kind, ns, name);
  }

  /** Every status compared: the Gateway's and each route's parents, once all have been written. */
  private static Map<String, JsonNode> awaitStatuses(Rig rig, String ns) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(250))
        .ignoreExceptions()
        .until(
            () -> {
              JsonNode gw = status(rig, "gateways.gateway.networking.k8s.io", ns, "gw");
              boolean programmed = false;
              for (JsonNode c : gw.path("conditions")) {
                programmed |=
                    c.path("type").asText().equals("Programmed")
                        && !c.path("reason").asText().equals("Pending");
              }
              if (!programmed || gw.path("listeners").size() != 2) {
                return false;
              }
              out.put("Gateway/gw", gw);
              for (String r : ROUTES) {
                JsonNode s = status(rig, "httproutes.gateway.networking.k8s.io", ns, r);
                if (s.path("parents").isEmpty()) {
                  return false;
                }
                out.put("HTTPRoute/" + r, s);
              }
              return true;
            });
    return out;
  }

  /** Back to no status: what the objects had before any istiod saw them. */
  private static void clearStatuses(Rig rig, String ns) throws Exception {
    GatewayApiStatusDocs.clearGateway(rig, ns, "gw");
    for (String r : ROUTES) {
      GatewayApiStatusDocs.clearHttpRoute(rig, ns, r);
    }
  }

  @Test
  void oursWritesTheStatusIstiodWrites(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    String ns = home.name();
    rig.kubectl("label", "namespace", ns, LABEL + "=" + ns, "--overwrite");
    rig.apply(objects(ns));

    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    Map<String, JsonNode> reference;
    try (ReferenceIstiod ref = ReferenceIstiod.start("status-" + ns, List.of(ns), mesh)) {
      reference = awaitStatuses(rig, ns);
    }
    // what Istio wrote: the reasons this test is about
    assertThat(reference.get("HTTPRoute/missing-backend").toString()).contains("BackendNotFound");
    assertThat(reference.get("HTTPRoute/no-such-listener").toString()).contains("NoMatchingParent");
    assertThat(reference.get("Gateway/gw").toString()).contains("InvalidCertificateRef");

    clearStatuses(rig, ns);
    assertThat(status(rig, "httproutes.gateway.networking.k8s.io", ns, "good").path("parents"))
        .isEmpty();
    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(SecurityOptions.disabled().withNamespace(ns)))) {
      ours.start();
      Map<String, JsonNode> written = awaitStatuses(rig, ns);
      for (var e : reference.entrySet()) {
        assertThat(written.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }
}
