package io.jistiod.it.vm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Status;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.sidebyside.ReferenceIstiod;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * VM auto-registration side by side with Istio's pilot-discovery 1.27: a simulated pilot-agent
 * connects to each in turn (the reference first, then ours, on the same WorkloadGroup) with the
 * node metadata a VM of the group sends, and the WorkloadEntry each server writes is compared at
 * every step, times and the controlling instance's name aside: registered on connect, its Healthy
 * condition after an unhealthy and a healthy report, stamped disconnected when the stream ends,
 * kept by a reconnect within the grace period (and still there after it), deleted once the grace
 * period passes with no stream. A VM naming a missing group is refused by both alike.
 *
 * <p>Both run on plaintext xDS, where no identity is verified, so both run with
 * ISTIO_WORKLOAD_ENTRY_VALIDATE_IDENTITY=false (the unit tests cover the check).
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class WorkloadAutoRegistrationE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Duration GRACE = Duration.ofSeconds(4);
  private static final String IP = "10.77.0.5";
  private static final String ENTRY = "ratings-" + IP + "-vm-network";

  @TempDir Path tmp;

  private static String group(String ns) {
    return """
        apiVersion: networking.istio.io/v1
        kind: WorkloadGroup
        metadata: {name: ratings, namespace: @NS@}
        spec:
          metadata:
            labels: {app: ratings, team: reviews}
            annotations: {example.com/owner: team-reviews}
          template:
            serviceAccount: ratings-vm
            network: template-network
            locality: template/locality
            weight: 3
            ports: {http: 8080, grpc: 9090}
            labels: {app: template, tier: backend}
          probe:
            periodSeconds: 5
            httpGet: {path: /ready, port: 8080}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ratings-vm, namespace: @NS@}
        spec:
          hosts: [ratings.vm.example]
          location: MESH_INTERNAL
          resolution: STATIC
          ports: [{number: 8080, name: http, protocol: HTTP}]
          workloadSelector: {labels: {app: ratings}}
        """
        .replace("@NS@", ns);
  }

  /** The entry as the API server holds it, with what differs by nature made constant. */
  private static JsonNode read(Rig rig, String ns) throws Exception {
    String out;
    try {
      out =
          rig.kubectl("get", "workloadentries.networking.istio.io", ENTRY, "-n", ns, "-o", "json");
    } catch (java.io.IOException e) {
      if (e.getMessage() != null && e.getMessage().contains("NotFound")) {
        return JSON.nullNode();
      }
      throw e;
    }
    ObjectNode o = (ObjectNode) JSON.readTree(out);
    ObjectNode meta = (ObjectNode) o.get("metadata");
    for (String f : List.of("uid", "resourceVersion", "creationTimestamp", "generation")) {
      meta.remove(f);
    }
    meta.remove("managedFields");
    JsonNode annotations = meta.get("annotations");
    if (annotations instanceof ObjectNode a) {
      for (String f : List.of("istio.io/connectedAt", "istio.io/disconnectedAt")) {
        if (a.has(f)) {
          assertThat(a.get(f).asText()).as(f).matches("\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z");
          a.put(f, "<time>");
        }
      }
      if (a.has("istio.io/workloadController")) {
        a.put("istio.io/workloadController", "<instance>");
      }
    }
    for (JsonNode c : o.path("status").path("conditions")) {
      for (String f : List.of("lastProbeTime", "lastTransitionTime")) {
        if (c.has(f)) {
          ((ObjectNode) c).put(f, "<time>");
        }
      }
    }
    return o;
  }

  private static JsonNode await(Rig rig, String ns, Predicate<JsonNode> until) {
    JsonNode[] last = new JsonNode[1];
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = read(rig, ns);
              return until.test(last[0]);
            });
    return last[0];
  }

  private static boolean annotated(JsonNode e, String annotation) {
    return e.path("metadata").path("annotations").has(annotation);
  }

  private static boolean healthIs(JsonNode e, String status) {
    for (JsonNode c : e.path("status").path("conditions")) {
      if ("Healthy".equals(c.path("type").asText())) {
        return status.equals(c.path("status").asText());
      }
    }
    return false;
  }

  /** Everything one server does with the VM, step by step; the entry is gone at the end. */
  private static Map<String, Object> lifecycle(Rig rig, String ns, int grpcPort) throws Exception {
    Map<String, Object> steps = new LinkedHashMap<>();
    try (VmAgentClient vm = new VmAgentClient(grpcPort, VmAgentClient.node(ns, "ratings", IP))) {
      vm.awaitServed(WAIT);
      steps.put("registered", await(rig, ns, e -> annotated(e, "istio.io/connectedAt")));
      // health-checked: not an endpoint until its probe passes
      steps.put("endpoints when registered", endpoints(grpcPort, ns, List::isEmpty));
      vm.health(false, "Get \"http://127.0.0.1:8080/ready\": connection refused");
      steps.put("unhealthy", await(rig, ns, e -> healthIs(e, "False")));
      steps.put("endpoints when unhealthy", endpoints(grpcPort, ns, List::isEmpty));
      vm.health(true, "");
      steps.put("healthy", await(rig, ns, e -> healthIs(e, "True")));
      steps.put("endpoints when healthy", endpoints(grpcPort, ns, l -> !l.isEmpty()));
      vm.health(false, "probe timed out");
      steps.put("unhealthy again", await(rig, ns, e -> healthIs(e, "False")));
      steps.put("endpoints when unhealthy again", endpoints(grpcPort, ns, List::isEmpty));
    }
    steps.put("disconnected", await(rig, ns, e -> annotated(e, "istio.io/disconnectedAt")));
    long reconnected = System.nanoTime();
    try (VmAgentClient vm = new VmAgentClient(grpcPort, VmAgentClient.node(ns, "ratings", IP))) {
      vm.awaitServed(WAIT);
      steps.put("reconnected", await(rig, ns, e -> annotated(e, "istio.io/connectedAt")));
      assertThat(Duration.ofNanos(System.nanoTime() - reconnected)).isLessThan(GRACE);
      // past the grace period of the first disconnect: still there, still connected
      Thread.sleep(GRACE.plusSeconds(2).toMillis());
      steps.put("after grace while connected", read(rig, ns));
    }
    steps.put("disconnected again", await(rig, ns, e -> annotated(e, "istio.io/disconnectedAt")));
    long gone = System.nanoTime();
    steps.put("after grace", await(rig, ns, JsonNode::isNull));
    // not deleted before the grace period (counted from our view of the disconnect)
    assertThat(Duration.ofNanos(System.nanoTime() - gone)).isGreaterThan(GRACE.minusSeconds(2));
    try (VmAgentClient stray =
        new VmAgentClient(grpcPort, VmAgentClient.node(ns, "no-such-group", "10.77.0.6"))) {
      Status refused = stray.awaitRefusal(WAIT);
      steps.put("missing group", refused.getCode() + ": " + refused.getDescription());
    }
    return steps;
  }

  /** The VM service's endpoints a sidecar is sent, once {@code until} holds. */
  private static List<String> endpoints(int grpcPort, String ns, Predicate<List<String>> until) {
    @SuppressWarnings("unchecked")
    List<String>[] last = new List[1];
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(300))
        .ignoreExceptions()
        .until(
            () -> {
              last[0] = VmAgentClient.endpoints(grpcPort, ns, "outbound|8080||ratings.vm.example");
              return until.test(last[0]);
            });
    return last[0];
  }

  private static void awaitReady(int httpPort) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () ->
                http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + httpPort + "/ready"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
  }

  @Test
  void oursRegistersVmsAsIstiodDoes(Rig rig, TestNamespace home) throws Exception {
    rig.installIstioCrds();
    String ns = home.name();
    rig.kubectl("label", "namespace", ns, "jistiod.io/scenario=" + ns, "--overwrite");
    rig.apply(group(ns));
    Map<String, String> env =
        Map.of(
            "PILOT_WORKLOAD_ENTRY_GRACE_PERIOD",
            GRACE.toSeconds() + "s",
            "ISTIO_WORKLOAD_ENTRY_VALIDATE_IDENTITY",
            "false",
            "POD_NAMESPACE",
            ns);
    Path mesh = tmp.resolve("mesh.yaml");
    Files.writeString(mesh, "");
    Path refMesh = tmp.resolve("reference-mesh.yaml");
    Map<String, Object> reference;
    try (ReferenceIstiod ref =
        ReferenceIstiod.start("autoreg-" + ns, List.of(ns), mesh, null, env)) {
      Files.copy(ref.meshFile(), refMesh);
      reference = lifecycle(rig, ns, ref.grpcPort());
    }
    Map<String, String> ourEnv = new java.util.HashMap<>(env);
    ourEnv.put("POD_NAME", "jistiod-" + ns);
    Map<String, Object> ours;
    try (Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(SecurityOptions.disabled().withNamespace(ns))
                .withMeshConfigFile(refMesh)
                .withEnv(ourEnv))) {
      istiod.start();
      awaitReady(istiod.httpPort());
      ours = lifecycle(rig, ns, istiod.grpcPort());
    }
    assertThat(ours.keySet()).containsExactlyElementsOf(reference.keySet());
    for (String step : reference.keySet()) {
      assertThat(ours.get(step)).as(step).isEqualTo(reference.get(step));
    }

    // what the comparison covered
    JsonNode registered = (JsonNode) reference.get("registered");
    assertThat(registered.path("spec").path("address").asText()).isEqualTo(IP);
    assertThat(registered.path("spec").path("network").asText()).isEqualTo("vm-network");
    assertThat(registered.path("spec").path("locality").asText()).isEqualTo("eu-west/eu-west-1a");
    assertThat(registered.path("metadata").path("labels").toString())
        .contains("\"app\":\"ratings\"")
        .contains("\"team\":\"reviews\"")
        .doesNotContain("istio-locality");
    assertThat(registered.path("metadata").path("annotations").toString())
        .contains("\"istio.io/autoRegistrationGroup\":\"ratings\"")
        .contains("\"proxy.istio.io/health-checks-enabled\":\"true\"")
        .contains("\"example.com/owner\":\"team-reviews\"");
    assertThat(registered.path("metadata").path("ownerReferences").get(0).path("kind").asText())
        .isEqualTo("WorkloadGroup");
    assertThat(reference.get("unhealthy").toString()).contains("connection refused");
    assertThat((List<?>) reference.get("endpoints when healthy"))
        .singleElement()
        .asString()
        .startsWith(IP + " ");
    assertThat(
            annotated(
                (JsonNode) reference.get("after grace while connected"), "istio.io/connectedAt"))
        .isTrue();
    assertThat(reference.get("after grace")).isEqualTo(JSON.nullNode());
    assertThat((String) reference.get("missing group"))
        .startsWith("FAILED_PRECONDITION: auto-registration WorkloadEntry of vm-1." + ns);
  }
}
