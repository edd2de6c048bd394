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
 * listener that does not exist, and a listener whose certificate Secret is missing. With
 * PILOT_ENABLE_ALPHA_GATEWAY_API on both servers, the same for TCPRoutes and TLSRoutes on TCP, TLS
 * passthrough and TLS terminate listeners.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class GatewayApiStatusE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String LABEL = "jistiod.io/scenario";
  private static final String HTTP_ROUTES = "httproutes.gateway.networking.k8s.io";
  private static final String TCP_ROUTES = "tcproutes.gateway.networking.k8s.io";
  private static final String TLS_ROUTES = "tlsroutes.gateway.networking.k8s.io";

  /** The routes compared, as kind (plural.group) and name. */
  private record Route(String kind, String name) {
    String key() {
      return kind.substring(0, kind.indexOf('.')) + "/" + name;
    }
  }

  private static final List<Route> ROUTES =
      List.of(
          new Route(HTTP_ROUTES, "good"),
          new Route(HTTP_ROUTES, "missing-backend"),
          new Route(HTTP_ROUTES, "no-such-listener"));

  private static final List<Route> ALPHA_ROUTES =
      List.of(
          new Route(TCP_ROUTES, "tcp-good"),
          new Route(TCP_ROUTES, "tcp-missing-backend"),
          new Route(TCP_ROUTES, "tcp-terminated"),
          new Route(TLS_ROUTES, "tls-good"),
          new Route(TLS_ROUTES, "tls-on-tcp-listener"),
          new Route(TLS_ROUTES, "tls-other-hostname"));

  private static final Map<String, String> ALPHA = Map.of("PILOT_ENABLE_ALPHA_GATEWAY_API", "true");

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

  private static String alphaObjects(String ns) {
    return """
        apiVersion: v1
        kind: Service
        metadata: {name: gw-istio, namespace: %1$s}
        spec:
          selector: {gateway.networking.k8s.io/gateway-name: gw}
          ports:
          - {name: tcp, port: 9000, targetPort: 9000}
          - {name: tls, port: 443, targetPort: 8443}
          - {name: tls-terminate, port: 8443, targetPort: 9443}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: %1$s}
        spec:
          selector: {app: echo}
          ports: [{name: tcp, port: 9000}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: gw, namespace: %1$s}
        spec:
          gatewayClassName: istio
          addresses: [{type: Hostname, value: gw-istio.%1$s.svc.cluster.local}]
          listeners:
          - {name: tcp, port: 9000, protocol: TCP}
          - name: tls
            port: 443
            protocol: TLS
            hostname: "*.example.com"
            tls: {mode: Passthrough}
          - name: tls-terminate
            port: 8443
            protocol: TLS
            tls: {mode: Terminate, certificateRefs: [{name: no-such-secret}]}
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TCPRoute
        metadata: {name: tcp-good, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tcp}]
          rules: [{backendRefs: [{name: echo, port: 9000}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TCPRoute
        metadata: {name: tcp-missing-backend, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tcp}]
          rules: [{backendRefs: [{name: nope, port: 9000}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TCPRoute
        metadata: {name: tcp-terminated, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tls-terminate}]
          rules: [{backendRefs: [{name: echo, port: 9000}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TLSRoute
        metadata: {name: tls-good, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tls}]
          hostnames: [a.example.com]
          rules: [{backendRefs: [{name: echo, port: 9000}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TLSRoute
        metadata: {name: tls-on-tcp-listener, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tcp}]
          rules: [{backendRefs: [{name: echo, port: 9000}]}]
        ---
        apiVersion: gateway.networking.k8s.io/v1alpha2
        kind: TLSRoute
        metadata: {name: tls-other-hostname, namespace: %1$s}
        spec:
          parentRefs: [{name: gw, sectionName: tls}]
          hostnames: [a.example.org]
          rules: [{backendRefs: [{name: echo, port: 9000}]}]
        """
        .formatted(ns);
  }

  private static JsonNode status(Rig rig, String kind, String ns, String name) throws Exception {
    return GatewayApiStatusDocs.status(rig, kind, ns, name);
  }

  /** Every status compared: the Gateway's and each route's parents, once all have been written. */
  private static Map<String, JsonNode> awaitStatuses(
      Rig rig, String ns, List<Route> routes, int listeners) {
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
              if (!programmed || gw.path("listeners").size() != listeners) {
                return false;
              }
              out.put("Gateway/gw", gw);
              for (Route r : routes) {
                JsonNode s = status(rig, r.kind(), ns, r.name());
                if (s.path("parents").isEmpty()) {
                  return false;
                }
                out.put(r.key(), s);
              }
              return true;
            });
    return out;
  }

  /** Back to no status: what the objects had before any istiod saw them. */
  private static void clearStatuses(Rig rig, String ns, List<Route> routes) throws Exception {
    GatewayApiStatusDocs.clearGateway(rig, ns, "gw");
    for (Route r : routes) {
      GatewayApiStatusDocs.clearRoute(rig, r.kind(), ns, r.name());
    }
  }

  @Test
  void oursWritesTheStatusIstiodWrites(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    String ns = home.name();
    Map<String, JsonNode> reference = compare(rig, ns, objects(ns), ROUTES, 2, Map.of());
    // what Istio wrote: the reasons this test is about
    assertThat(reference.get("httproutes/missing-backend").toString()).contains("BackendNotFound");
    assertThat(reference.get("httproutes/no-such-listener").toString())
        .contains("NoMatchingParent");
    assertThat(reference.get("Gateway/gw").toString()).contains("InvalidCertificateRef");
  }

  @Test
  void withAlphaRoutesOursWritesTheStatusIstiodWrites(Rig rig, TestNamespace home)
      throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    rig.installGatewayApiAlphaCrds();
    String ns = home.name();
    Map<String, JsonNode> reference = compare(rig, ns, alphaObjects(ns), ALPHA_ROUTES, 3, ALPHA);
    // what Istio wrote: the alpha kinds were read (the flag took) and these cases are distinct
    assertThat(reference.get("tcproutes/tcp-good").toString()).contains("\"reason\":\"Accepted\"");
    assertThat(reference.get("tcproutes/tcp-missing-backend").toString())
        .contains("BackendNotFound");
    assertThat(reference.get("tlsroutes/tls-on-tcp-listener").toString())
        .doesNotContain("\"reason\":\"Accepted\"");
    assertThat(reference.get("tlsroutes/tls-other-hostname").toString())
        .doesNotContain("\"reason\":\"Accepted\"");
  }

  /**
   * Applies {@code objects} in {@code ns}, lets the reference write its status, clears it, lets
   * ours write, and asserts they are equal; both servers run with {@code env}. Returns the
   * reference's.
   */
  private Map<String, JsonNode> compare(
      Rig rig,
      String ns,
      String objects,
      List<Route> routes,
      int listeners,
      Map<String, String> env)
      throws Exception {
    rig.kubectl("label", "namespace", ns, LABEL + "=" + ns, "--overwrite");
    rig.apply(objects);

    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    Map<String, JsonNode> reference;
    try (ReferenceIstiod ref =
        ReferenceIstiod.start("status-" + ns, List.of(ns), mesh, null, env)) {
      reference = awaitStatuses(rig, ns, routes, listeners);
    }
    clearStatuses(rig, ns, routes);
    assertThat(status(rig, routes.get(0).kind(), ns, routes.get(0).name()).path("parents"))
        .isEmpty();
    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(SecurityOptions.disabled().withNamespace(ns))
                .withEnv(env))) {
      ours.start();
      Map<String, JsonNode> written = awaitStatuses(rig, ns, routes, listeners);
      for (var e : reference.entrySet()) {
        assertThat(written.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
    return reference;
  }
}
