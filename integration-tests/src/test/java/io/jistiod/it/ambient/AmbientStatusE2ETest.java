package io.jistiod.it.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.util.TreeSet;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The status conditions our istiod writes in ambient mode equal those Istio's pilot-discovery 1.27
 * writes for the same objects (both with {@code PILOT_ENABLE_AMBIENT=true}): the reference runs
 * first, its status is read and cleared, then ours runs and writes its own. Compared whole,
 * transition times aside, with the field managers that own them: {@code istio.io/WaypointBound} on
 * Services (bound, opted out, waypoint not ready, waypoint for workloads only) and a ServiceEntry,
 * {@code ZtunnelAccepted} on AuthorizationPolicies (L4, HTTP attributes, AUDIT), {@code
 * WaypointAccepted} on targetRef policies (bound, partially bound, invalid GatewayClass). Then, in
 * each turn, a Service opting out of its waypoint has its condition removed, and one whose waypoint
 * becomes ready (its Gateway's status gets an address) is bound to it, and a ztunnel policy that
 * gains a targetRef ends with the same conditions (only WaypointAccepted: the forced apply of a
 * list in a status without schema replaces it whole).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class AmbientStatusE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONVERGE = Duration.ofSeconds(90);

  /** An object compared: its kind (plural.group) and name. */
  private record Obj(String kind, String name) {
    String key() {
      return kind + "/" + name;
    }
  }

  private static final String APS = "authorizationpolicies.security.istio.io";

  /** Objects that get a condition from both servers. */
  private static final List<Obj> WRITTEN =
      List.of(
          new Obj("services", "productpage"),
          new Obj("services", "reviews"),
          new Obj("services", "details"),
          new Obj("services", "carts"),
          new Obj("serviceentries.networking.istio.io", "ext"),
          new Obj(APS, "allow"),
          new Obj(APS, "http-allow"),
          new Obj(APS, "audit"),
          new Obj(APS, "on-waypoint"),
          new Obj(APS, "on-services"),
          new Obj(APS, "on-class"));

  /** Objects neither writes a condition on. */
  private static final List<Obj> UNTOUCHED =
      List.of(new Obj("services", "ratings"), new Obj(APS, "dry"));

  @TempDir Path tmp;

  private static String objects(String ns) {
    return """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: waypoint, namespace: @NS@}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: wl-only, namespace: @NS@, labels: {istio.io/waypoint-for: workload}}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: not-ready, namespace: @NS@}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: productpage, namespace: @NS@, labels: {istio.io/ingress-use-waypoint: "true"}}
        spec: {selector: {app: productpage}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: reviews, namespace: @NS@}
        spec: {selector: {app: reviews}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: ratings, namespace: @NS@, labels: {istio.io/use-waypoint: none}}
        spec: {selector: {app: ratings}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: details, namespace: @NS@, labels: {istio.io/use-waypoint: not-ready}}
        spec: {selector: {app: details}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: carts, namespace: @NS@, labels: {istio.io/use-waypoint: wl-only}}
        spec: {selector: {app: carts}, ports: [{name: http, port: 9080}]}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext, namespace: @NS@}
        spec:
          hosts: [ext.example.com]
          addresses: [10.9.0.1]
          ports: [{number: 80, name: http, protocol: HTTP}]
          resolution: STATIC
          endpoints: [{address: 10.20.0.9}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow, namespace: @NS@}
        spec:
          rules: [{from: [{source: {namespaces: [@NS@]}}]}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: http-allow, namespace: @NS@}
        spec:
          rules:
          - to: [{operation: {methods: [GET], paths: [/a]}}]
            when: [{key: "request.headers[x]", values: ["z"]}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: audit, namespace: @NS@}
        spec: {action: AUDIT, rules: [{}]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: dry, namespace: @NS@, annotations: {istio.io/dry-run: "true"}}
        spec: {rules: [{}]}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: on-waypoint, namespace: @NS@}
        spec:
          targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: waypoint}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: on-services, namespace: @NS@}
        spec:
          targetRefs:
          - {kind: Service, group: "", name: reviews}
          - {kind: Service, group: "", name: ratings}
          - {kind: Service, group: "", name: nope}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: on-class, namespace: @NS@}
        spec:
          targetRefs: [{kind: GatewayClass, group: gateway.networking.k8s.io, name: istio-waypoint}]
        """
        .replace("@NS@", ns);
  }

  /** The object's conditions (times removed) and the ambient field managers that own them. */
  private static JsonNode read(Rig rig, String ns, Obj o) throws Exception {
    JsonNode obj =
        JSON.readTree(
            rig.kubectl(
                "get", o.kind(), o.name(), "-n", ns, "-o", "json", "--show-managed-fields"));
    ObjectNode out = JSON.createObjectNode();
    ArrayNode conds = out.putArray("conditions");
    for (JsonNode c : obj.path("status").path("conditions")) {
      ObjectNode copy = c.deepCopy();
      copy.remove("lastTransitionTime");
      conds.add(copy);
    }
    TreeSet<String> managers = new TreeSet<>();
    for (JsonNode m : obj.path("metadata").path("managedFields")) {
      String name = m.path("manager").asText();
      if (name.startsWith("istio-ambient")) {
        managers.add(
            name + " " + m.path("operation").asText() + " " + m.path("subresource").asText());
      }
    }
    out.set("managers", JSON.valueToTree(managers));
    return out;
  }

  /** Every object's status, once each of {@link #WRITTEN} has a condition. */
  private static Map<String, JsonNode> awaitStatuses(Rig rig, String ns) {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    Awaitility.await()
        .atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              for (Obj o : WRITTEN) {
                JsonNode s = read(rig, ns, o);
                if (s.path("conditions").isEmpty()) {
                  return false;
                }
                out.put(o.key(), s);
              }
              for (Obj o : UNTOUCHED) {
                out.put(o.key(), read(rig, ns, o));
              }
              return true;
            });
    return out;
  }

  /** reviews opts out of its waypoint: its WaypointBound is removed; then it opts back in. */
  private static JsonNode optOutAndBack(Rig rig, String ns) throws Exception {
    Obj reviews = new Obj("services", "reviews");
    rig.kubectl("label", "service", "reviews", "-n", ns, "istio.io/use-waypoint=none");
    JsonNode[] after = new JsonNode[1];
    Awaitility.await()
        .atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              after[0] = read(rig, ns, reviews);
              return after[0].path("conditions").isEmpty();
            });
    rig.kubectl("label", "service", "reviews", "-n", ns, "istio.io/use-waypoint-");
    return after[0];
  }

  /**
   * Gateway not-ready gets an address (its deployment became ready): details, which names it, is
   * bound to it. Then it loses it again, for the next turn.
   */
  private static JsonNode readyLater(Rig rig, String ns) throws Exception {
    Obj details = new Obj("services", "details");
    patchGatewayAddress(rig, ns, "not-ready", "not-ready." + ns + ".svc.cluster.local");
    JsonNode[] after = new JsonNode[1];
    Awaitility.await()
        .atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              after[0] = read(rig, ns, details);
              return after[0].toString().contains("WaypointAccepted");
            });
    patchGatewayAddress(rig, ns, "not-ready", null);
    return after[0];
  }

  /** Sets the Gateway's status address (a Hostname), or removes it ({@code null}). */
  private static void patchGatewayAddress(Rig rig, String ns, String gw, String hostname)
      throws Exception {
    rig.kubectl(
        "patch",
        "gateways.gateway.networking.k8s.io",
        gw,
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        hostname == null
            ? "{\"status\":{\"addresses\":null}}"
            : "{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"value\":\""
                + hostname
                + "\"}]}}");
  }

  /**
   * A policy for ztunnel (named per turn) gains a targetRef: the status it ends with once the
   * waypoint writer has written.
   */
  private static JsonNode retargeted(Rig rig, String ns, String name) throws Exception {
    Obj ap = new Obj(APS, name);
    rig.apply(
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: %s, namespace: %s}
        spec: {rules: [{}]}
        """
            .formatted(name, ns));
    Awaitility.await()
        .atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(() -> read(rig, ns, ap).toString().contains("ZtunnelAccepted"));
    rig.kubectl(
        "patch",
        APS,
        name,
        "-n",
        ns,
        "--type=merge",
        "-p",
        "{\"spec\":{\"targetRefs\":[{\"kind\":\"Gateway\",\"group\":"
            + "\"gateway.networking.k8s.io\",\"name\":\"waypoint\"}]}}");
    JsonNode[] after = new JsonNode[1];
    Awaitility.await()
        .atMost(CONVERGE)
        .pollInterval(Duration.ofMillis(500))
        .ignoreExceptions()
        .until(
            () -> {
              after[0] = read(rig, ns, ap);
              return after[0].toString().contains("WaypointAccepted");
            });
    return after[0];
  }

  private static void clear(Rig rig, String ns) throws Exception {
    for (Obj o : WRITTEN) {
      rig.kubectl(
          "patch",
          o.kind(),
          o.name(),
          "-n",
          ns,
          "--subresource=status",
          "--type=merge",
          "-p",
          "{\"status\":{\"conditions\":null}}");
    }
  }

  @Test
  void oursWritesTheAmbientStatusIstiodWrites(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    String ns = home.name();
    rig.kubectl(
        "label",
        "namespace",
        ns,
        "jistiod.io/scenario=" + ns,
        "istio.io/dataplane-mode=ambient",
        "istio.io/use-waypoint=waypoint",
        "--overwrite");
    rig.apply(objects(ns));
    // the waypoint is ready (the rig runs none): its status has an address
    for (String gw : List.of("waypoint", "wl-only")) {
      rig.kubectl(
          "patch",
          "gateways.gateway.networking.k8s.io",
          gw,
          "-n",
          ns,
          "--subresource=status",
          "--type=merge",
          "-p",
          "{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"value\":\""
              + gw
              + "."
              + ns
              + ".svc.cluster.local\"}]}}");
    }
    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    Map<String, String> env =
        Map.of(
            "PILOT_ENABLE_AMBIENT", "true",
            // the waypoints' status is the test's
            "PILOT_ENABLE_GATEWAY_API_STATUS", "false");

    Map<String, JsonNode> reference;
    JsonNode referenceOptOut;
    JsonNode referenceReady;
    JsonNode referenceRetargeted;
    Path refMesh = tmp.resolve("reference-mesh.yaml");
    Map<String, String> refEnv = new java.util.HashMap<>(env);
    refEnv.put("POD_NAMESPACE", ns);
    try (ReferenceIstiod ref =
        ReferenceIstiod.start("ambient-status-" + ns, List.of(ns), mesh, null, refEnv)) {
      // ours runs with the reference's mesh config (its rootNamespace and discoverySelectors)
      Files.copy(ref.meshFile(), refMesh);
      reference = awaitStatuses(rig, ns);
      referenceOptOut = optOutAndBack(rig, ns);
      referenceReady = readyLater(rig, ns);
      referenceRetargeted = retargeted(rig, ns, "retarget-reference");
      // back with its condition before the reference goes
      Awaitility.await()
          .atMost(CONVERGE)
          .ignoreExceptions()
          .until(() -> !read(rig, ns, new Obj("services", "reviews")).path("conditions").isEmpty());
    }
    clear(rig, ns);
    assertThat(read(rig, ns, WRITTEN.get(0)).path("conditions")).isEmpty();

    try (Istiod ours =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(SecurityOptions.disabled().withNamespace(ns))
                .withMeshConfigFile(refMesh)
                .withEnv(env))) {
      ours.start();
      Map<String, JsonNode> written = awaitStatuses(rig, ns);
      for (var e : reference.entrySet()) {
        assertThat(written.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
      assertThat(optOutAndBack(rig, ns)).isEqualTo(referenceOptOut);
      assertThat(readyLater(rig, ns)).isEqualTo(referenceReady);
      assertThat(retargeted(rig, ns, "retarget-ours")).isEqualTo(referenceRetargeted);
    }
    // what Istio wrote: the cases this test is about
    assertThat(reference.get("services/details").toString()).contains("WaypointIsNotReady");
    assertThat(reference.get("services/carts").toString()).contains("UnsupportedTrafficType");
    assertThat(reference.get("services/ratings").path("conditions")).isEmpty();
    assertThat(reference.get(APS + "/dry").path("conditions")).isEmpty();
    assertThat(reference.get(APS + "/on-services").toString()).contains("PartiallyInvalid");
    // the waypoint writer's forced apply replaced the whole (schemaless, hence atomic) list
    assertThat(referenceRetargeted.path("conditions").size()).isEqualTo(1);
    assertThat(referenceRetargeted.toString()).doesNotContain("ZtunnelAccepted");
    // each condition owned by its writer's field manager, through server-side apply on /status
    assertThat(reference.get("services/productpage").path("managers").toString())
        .contains("istio-ambient-service Apply status");
    assertThat(reference.get(APS + "/allow").path("managers").toString())
        .contains("istio-ambient-ztunnel-policy Apply status");
    assertThat(reference.get(APS + "/on-waypoint").path("managers").toString())
        .contains("istio-ambient-waypoint-policy Apply status");
  }
}
