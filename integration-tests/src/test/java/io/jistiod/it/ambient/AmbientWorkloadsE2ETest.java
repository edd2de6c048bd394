package io.jistiod.it.ambient;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
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
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Side by side with Istio's pilot-discovery 1.27.0, both with {@code PILOT_ENABLE_AMBIENT=true}:
 * the {@code istio.workload.Address} and {@code istio.security.Authorization} resources a ztunnel
 * receives over delta ADS are compared field for field (as protobuf JSON, object keys in any
 * order), first after startup, again after pods change and go, and after a policy is deleted. The
 * inputs, in a namespace enrolled in ambient ({@code istio.io/dataplane-mode=ambient}): pods with
 * the status a kubelet would write (the rig has none), one marked redirected as Istio's CNI marks a
 * captured pod, one that speaks HBONE itself, one not ready, one finished, one on the host network;
 * Services with a named target port, headless, node-local and ExternalName; a node with topology
 * labels for locality; AuthorizationPolicies of every shape ztunnel treats differently ({@link
 * #policies}). No difference is allowed.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class AmbientWorkloadsE2ETest {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Duration CONVERGE = Duration.ofSeconds(60);
  private static final String ADDRESS = ZtunnelClient.ADDRESS;
  private static final String AUTHORIZATION = ZtunnelClient.AUTHORIZATION;

  @TempDir Path tmp;

  @Test
  void ztunnelGetsTheAddressesTheReferenceIstiodSends(Rig rig, TestNamespace home)
      throws Exception {
    // the kinds both servers watch, before they start
    rig.installIstioCrds();
    rig.installGatewayApiCrds();
    KubernetesClient k = rig.client();
    String ns = home.name();
    String nodeName = ns + "-node";
    // the namespace enrolled, and the only one both servers see (discoverySelectors)
    k.namespaces()
        .withName(ns)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("jistiod.io/scenario", ns);
              n.getMetadata().getLabels().put("istio.io/dataplane-mode", "ambient");
              // istiod's own namespace too (both run in it): its label is the cluster's network
              n.getMetadata().getLabels().put("topology.istio.io/network", "net-e2e");
              // the namespace's Services go through its waypoint
              n.getMetadata().getLabels().put("istio.io/use-waypoint", "waypoint");
              return n;
            });
    k.nodes()
        .resource(
            new NodeBuilder()
                .withNewMetadata()
                .withName(nodeName)
                .addToLabels("topology.kubernetes.io/region", "eu-west")
                .addToLabels("topology.kubernetes.io/zone", "eu-west-1b")
                .addToLabels("topology.istio.io/subzone", "rack7")
                .endMetadata()
                .build())
        .create();
    try {
      applyInputs(k, ns, nodeName);
      rig.apply(policies(ns));
      applyWaypoints(rig, ns);
      rig.apply(entries(ns));
      Path mesh = tmp.resolve("mesh.yaml");
      Files.writeString(mesh, "");
      try (ReferenceIstiod ref =
          ReferenceIstiod.start(
              "ambient-" + ns,
              List.of(ns),
              mesh,
              null,
              Map.of(
                  "PILOT_ENABLE_AMBIENT",
                  "true",
                  "POD_NAMESPACE",
                  ns,
                  // the waypoints' status is the test's (the rig runs no waypoint)
                  "PILOT_ENABLE_GATEWAY_API_STATUS",
                  "false"))) {
        Istiod ours =
            new Istiod(
                IstiodOptions.defaults(null)
                    .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns)))
                    .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                    .withSecurity(
                        io.jistiod.istiod.security.SecurityOptions.disabled().withNamespace(ns))
                    .withMeshConfigFile(ref.meshFile())
                    .withAmbient(true));
        try {
          ours.start();
          awaitReady(ours.httpPort());
          try (ZtunnelClient theirs = new ZtunnelClient(ref.grpcPort(), nodeName);
              ZtunnelClient mine = new ZtunnelClient(ours.grpcPort(), nodeName)) {
            // 5 pods, 5 Services; ServiceEntries: 3 services, 2 endpoint workloads; 1
            // WorkloadEntry;
            // 2 endpoints of a hand-written EndpointSlice
            Predicate<Map<String, String>> all = a -> a.size() == 18;
            Map<String, String> started = await(mine, ADDRESS, all);
            compare("after startup", await(theirs, ADDRESS, all), started);
            // what the comparison covered: the network and the locality are there
            assertThat(started.get(uid(ns, "productpage-v1-6c8f5-abcde")))
                .contains("\"network\": \"net-e2e\"")
                .contains("\"subzone\": \"rack7\"")
                .contains("\"tunnelProtocol\": \"HBONE\"");
            assertThat(started.get(uid(ns, "reviews-v1-7b9d5-x2x9q"))).contains("\"waypoint\"");
            assertThat(started.get(ns + "/productpage." + ns + ".svc.cluster.local"))
                .contains("\"waypoint\"");
            // a selector-less Service and its hand-written EndpointSlice's endpoints
            assertThat(started).containsKey(ns + "/legacy." + ns + ".svc.cluster.local");
            assertThat(started.get(sliceUid(ns, "10.30.0.1"))).contains("HOST_NETWORK");
            assertThat(started.get(sliceUid(ns, "10.30.0.2"))).contains("UNHEALTHY");
            // 3 AuthorizationPolicies, the static STRICT policy, 2 converted PeerAuthentications
            Predicate<Map<String, String>> six = a -> a.size() == 6;
            compare(
                "policies after startup",
                await(theirs, AUTHORIZATION, six),
                await(mine, AUTHORIZATION, six));

            // a pod goes, another becomes ready, a third changes its labels
            // at once: a pod on a node waits for its kubelet otherwise, and the rig has none
            k.pods().inNamespace(ns).withName("ratings-0").withGracePeriod(0).delete();
            patchStatus(k, ns, "reviews-v1-7b9d5-x2x9q", readyStatus("10.244.7.12", true));
            k.pods()
                .inNamespace(ns)
                .withName("productpage-v1-6c8f5-abcde")
                .edit(
                    p -> {
                      p.getMetadata().getLabels().put("version", "v2");
                      return p;
                    });
            Predicate<Map<String, String>> changed =
                a ->
                    a.size() == 17
                        && a.getOrDefault(uid(ns, "reviews-v1-7b9d5-x2x9q"), "")
                                .indexOf("UNHEALTHY")
                            < 0
                        && a.getOrDefault(uid(ns, "productpage-v1-6c8f5-abcde"), "")
                            .contains("\"v2\"");
            compare(
                "after the changes",
                await(theirs, ADDRESS, changed),
                await(mine, ADDRESS, changed));
            assertThat(mine.removed(ADDRESS)).containsExactly(uid(ns, "ratings-0"));
            assertThat(theirs.removed(ADDRESS)).containsExactly(uid(ns, "ratings-0"));

            // a policy goes: from ztunnel's policies and from the lists of the workloads it
            // selected
            rig.kubectl(
                "delete", "authorizationpolicy.security.istio.io", "-n", ns, "allow-productpage");
            Predicate<Map<String, String>> five = a -> a.size() == 5;
            compare(
                "policies after one is deleted",
                await(theirs, AUTHORIZATION, five),
                await(mine, AUTHORIZATION, five));
            Predicate<Map<String, String>> unlisted =
                a ->
                    a.size() == 17
                        && !a.getOrDefault(
                                uid(ns, "productpage-v1-6c8f5-abcde"), "allow-productpage")
                            .contains("allow-productpage");
            compare(
                "after a policy is deleted",
                await(theirs, ADDRESS, unlisted),
                await(mine, ADDRESS, unlisted));
            assertThat(mine.removed(AUTHORIZATION)).containsExactly(ns + "/allow-productpage");
            assertThat(theirs.removed(AUTHORIZATION)).containsExactly(ns + "/allow-productpage");
          }
        } finally {
          ours.close();
        }
      }
    } finally {
      k.nodes().withName(nodeName).delete();
    }
  }

  /**
   * AuthorizationPolicies of every kind ztunnel treats differently: L4 ALLOW with every source and
   * destination attribute, DENY with HTTP attributes (kept without them), ALLOW whose HTTP rule is
   * dropped; and three ztunnel never gets (AUDIT, dry-run, targetRefs for a waypoint).
   * PeerAuthentications: STRICT in the namespace, a PERMISSIVE port for productpage, a STRICT port
   * of a PERMISSIVE reviews.
   */
  private static String policies(String ns) {
    return """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-productpage, namespace: NS}
        spec:
          selector: {matchLabels: {app: productpage}}
          rules:
          - from:
            - source:
                principals: ["cluster.local/ns/NS/sa/frontend", "*"]
                notPrincipals: ["cluster.local/ns/NS/sa/blocked"]
                namespaces: ["team-*", "*-prod", "NS"]
                ipBlocks: ["10.0.0.0/8", "192.168.1.7"]
                notIpBlocks: ["10.9.0.0/16"]
            - source:
                serviceAccounts: ["bot", "ops/admin"]
                notServiceAccounts: ["NS/intruder"]
            to:
            - operation: {ports: ["9080"], notPorts: ["22"]}
            when:
            - key: destination.port
              values: ["9080"]
            - key: source.ip
              notValues: ["10.1.2.3"]
          - {}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-admin, namespace: NS}
        spec:
          action: DENY
          rules:
          - to:
            - operation: {paths: [/admin], ports: ["8080"]}
            when:
            - key: "request.headers[x-test]"
              values: ["1"]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: allow-get, namespace: NS}
        spec:
          selector: {matchLabels: {app: reviews}}
          rules:
          - to: [{operation: {methods: [GET]}}]
          - from: [{source: {namespaces: [NS]}}]
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: audit, namespace: NS}
        spec: {action: AUDIT}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata:
          name: trying
          namespace: NS
          annotations: {istio.io/dry-run: "true"}
        spec: {action: DENY, rules: [{}]}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: NS}
        spec: {mtls: {mode: STRICT}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: productpage, namespace: NS}
        spec:
          selector: {matchLabels: {app: productpage}}
          portLevelMtls: {"9080": {mode: PERMISSIVE}}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: reviews, namespace: NS}
        spec:
          selector: {matchLabels: {app: reviews}}
          mtls: {mode: PERMISSIVE}
          portLevelMtls: {"15021": {mode: STRICT}}
        ---
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: for-waypoint, namespace: NS}
        spec:
          targetRefs: [{kind: Service, group: "", name: productpage}]
          rules: [{}]
        """
        .replace("NS", ns);
  }

  /**
   * Two waypoints, as a waypoint deployment's status would show them ready: the namespace's (by
   * hostname, service traffic) and one for all traffic (by IP) that the reviews pod names.
   */
  private static void applyWaypoints(Rig rig, String ns) throws Exception {
    rig.apply(
        """
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata: {name: waypoint, namespace: NS}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        ---
        apiVersion: gateway.networking.k8s.io/v1
        kind: Gateway
        metadata:
          name: wp-all
          namespace: NS
          labels: {istio.io/waypoint-for: all}
        spec:
          gatewayClassName: istio-waypoint
          listeners: [{name: mesh, port: 15008, protocol: HBONE}]
        """
            .replace("NS", ns));
    rig.kubectl(
        "patch",
        "gateways.gateway.networking.k8s.io",
        "waypoint",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"value\":\"waypoint."
            + ns
            + ".svc.cluster.local\"}]}}");
    rig.kubectl(
        "patch",
        "gateways.gateway.networking.k8s.io",
        "wp-all",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"addresses\":[{\"type\":\"IPAddress\",\"value\":\"10.96.200.1\"}]}}");
  }

  /**
   * ServiceEntries (static with an endpoint, DNS without, one selecting the productpage pod) and a
   * WorkloadEntry the reviews Service selects. No address is left for Istio's IP autoallocation,
   * whose status write would race the comparison.
   */
  private static String entries(String ns) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: ext, namespace: @NS@}
        spec:
          hosts: [ext.example.com]
          addresses: [10.9.0.1]
          ports:
          - {number: 80, name: http, protocol: HTTP, targetPort: 8080}
          resolution: STATIC
          subjectAltNames: [spiffe://example.com/ext]
          endpoints:
          - {address: 10.20.0.9, ports: {http: 9080}, locality: eu-west/eu-west-1b, weight: 3}
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata:
          name: dns
          namespace: @NS@
          labels: {networking.istio.io/enable-autoallocate-ip: "false"}
        spec:
          hosts: [api.example.com]
          ports: [{number: 443, name: tls, protocol: TLS}]
          resolution: DNS
        ---
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: mesh, namespace: @NS@}
        spec:
          hosts: [productpage.mesh.internal]
          addresses: [240.240.0.1]
          ports: [{number: 9080, name: http-web, protocol: HTTP}]
          resolution: STATIC
          workloadSelector: {labels: {app: productpage}}
        ---
        apiVersion: networking.istio.io/v1
        kind: WorkloadEntry
        metadata:
          name: vm-1
          namespace: @NS@
          labels: {app: reviews}
        spec:
          address: 10.20.0.1
          ports: {http-web: 7070}
          serviceAccount: vm
          network: net-vm
        """
        .replace("@NS@", ns);
  }

  /** A workload istiod makes of an EndpointSlice endpoint that is not a pod. */
  private static String sliceUid(String ns, String ip) {
    return "Kubernetes/discovery.k8s.io/EndpointSlice/" + ns + "/legacy-manual/" + ip;
  }

  private static String uid(String ns, String pod) {
    return "Kubernetes//Pod/" + ns + "/" + pod;
  }

  /** Pods, their status (as a kubelet would write it), and Services. */
  private static void applyInputs(KubernetesClient k, String ns, String node) {
    // a Deployment's pod, captured by ztunnel (the CNI's annotation), two named ports
    Pod productpage =
        pod(ns, "productpage-v1-6c8f5-abcde", "productpage", node)
            .editMetadata()
            .withGenerateName("productpage-v1-6c8f5-")
            .addToLabels("pod-template-hash", "6c8f5")
            .addToLabels("version", "v1")
            .addToAnnotations("ambient.istio.io/redirection", "enabled")
            .addNewOwnerReference()
            .withApiVersion("apps/v1")
            .withKind("ReplicaSet")
            .withName("productpage-v1-6c8f5")
            .withUid("0b7f5e0e-0000-4000-8000-000000000001")
            .withController(true)
            .endOwnerReference()
            .endMetadata()
            .build();
    // not captured and not ready yet
    Pod reviews =
        pod(ns, "reviews-v1-7b9d5-x2x9q", "reviews", node)
            .editMetadata()
            .addToLabels("service.istio.io/canonical-name", "reviews-canonical")
            .addToLabels("istio.io/use-waypoint", "wp-all")
            .addToLabels("app.kubernetes.io/version", "1.2.3")
            .endMetadata()
            .build();
    // speaks HBONE itself (as a waypoint does)
    Pod native_ =
        pod(ns, "native-0", "native", node)
            .editMetadata()
            .addToLabels("networking.istio.io/tunnel", "http")
            .endMetadata()
            .build();
    Pod ratings = pod(ns, "ratings-0", "ratings", node).build();
    Pod host =
        pod(ns, "hostnet-0", "hostnet", node).editSpec().withHostNetwork(true).endSpec().build();
    Pod done = pod(ns, "job-0", "job", node).build();
    for (Pod p : List.of(productpage, reviews, native_, ratings, host, done)) {
      k.pods().inNamespace(ns).resource(p).create();
    }
    patchStatus(k, ns, "productpage-v1-6c8f5-abcde", readyStatus("10.244.7.11", true));
    patchStatus(k, ns, "reviews-v1-7b9d5-x2x9q", readyStatus("10.244.7.12", false));
    patchStatus(k, ns, "native-0", readyStatus("10.244.7.13", true));
    patchStatus(k, ns, "ratings-0", readyStatus("10.244.7.14", true));
    patchStatus(k, ns, "hostnet-0", readyStatus("10.244.7.15", true));
    patchStatus(
        k,
        ns,
        "job-0",
        "{\"status\":{\"phase\":\"Succeeded\",\"podIP\":\"10.244.7.16\",\"podIPs\":[{\"ip\":\"10.244.7.16\"}]}}");

    k.services()
        .inNamespace(ns)
        .resource(service(ns, "productpage", "productpage").build())
        .create();
    k.services().inNamespace(ns).resource(service(ns, "reviews", "reviews").build()).create();
    k.services()
        .inNamespace(ns)
        .resource(
            service(ns, "reviews-headless", "reviews")
                .editMetadata()
                .addToLabels("istio.io/use-waypoint", "none")
                .endMetadata()
                .editSpec()
                .withClusterIP("None")
                .endSpec()
                .build())
        .create();
    k.services()
        .inNamespace(ns)
        .resource(
            service(ns, "ratings-local", "ratings")
                .editSpec()
                .withInternalTrafficPolicy("Local")
                .withPublishNotReadyAddresses(true)
                .endSpec()
                .build())
        .create();
    k.services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("external")
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .withType("ExternalName")
                .withExternalName("example.com")
                .endSpec()
                .build())
        .create();
    // a Service without selector whose endpoints are written by hand: a ready address, one not
    // ready, and a pod's (istiod has the pod already); one slice port the Service does not name
    k.services()
        .inNamespace(ns)
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("legacy")
                .withNamespace(ns)
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .addNewPort()
                .withName("tcp-db")
                .withPort(5432)
                .endPort()
                .endSpec()
                .build())
        .create();
    k.discovery()
        .v1()
        .endpointSlices()
        .inNamespace(ns)
        .resource(
            new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder()
                .withNewMetadata()
                .withName("legacy-manual")
                .withNamespace(ns)
                .addToLabels("kubernetes.io/service-name", "legacy")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("tcp-db")
                .withPort(5432)
                .withProtocol("TCP")
                .endPort()
                .addNewPort()
                .withName("unnamed-by-service")
                .withPort(9999)
                .withProtocol("TCP")
                .endPort()
                .addNewEndpoint()
                .withAddresses("10.30.0.1")
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.30.0.2")
                .withNewConditions()
                .withReady(false)
                .endConditions()
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.244.7.14")
                .withNewTargetRef()
                .withKind("Pod")
                .withName("ratings-0")
                .withNamespace(ns)
                .endTargetRef()
                .endEndpoint()
                .build())
        .create();
  }

  private static PodBuilder pod(String ns, String name, String app, String node) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .addToLabels("app", app)
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .withServiceAccountName("default")
        .addNewContainer()
        .withName("app")
        .withImage("example.invalid/app:1")
        .addNewPort()
        .withName("http-web")
        .withContainerPort(9080)
        .endPort()
        .addNewPort()
        .withName("grpc")
        .withContainerPort(9090)
        .endPort()
        .endContainer()
        .endSpec();
  }

  private static ServiceBuilder service(String ns, String name, String app) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", app))
        .addNewPort()
        .withName("http")
        .withPort(9080)
        .withTargetPort(new IntOrString("http-web"))
        .endPort()
        .addNewPort()
        .withName("tcp-metrics")
        .withPort(15020)
        .withTargetPort(new IntOrString(15021))
        .endPort()
        .endSpec();
  }

  private static String readyStatus(String ip, boolean ready) {
    return "{\"status\":{\"phase\":\"Running\",\"podIP\":\""
        + ip
        + "\",\"podIPs\":[{\"ip\":\""
        + ip
        + "\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\""
        + (ready ? "True" : "False")
        + "\"}]}}";
  }

  private static void patchStatus(KubernetesClient k, String ns, String pod, String patch) {
    k.pods()
        .inNamespace(ns)
        .withName(pod)
        .subresource("status")
        .patch(PatchContext.of(PatchType.JSON_MERGE), patch);
  }

  /** The client's resources of {@code type} once {@code done} holds of them. */
  private static Map<String, String> await(
      ZtunnelClient c, String type, Predicate<Map<String, String>> done)
      throws InterruptedException {
    long deadline = System.nanoTime() + CONVERGE.toNanos();
    Map<String, String> a = c.resources(type);
    while (!done.test(a)) {
      if (c.error() != null) {
        throw new AssertionError("ztunnel stream failed", c.error());
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "addresses did not converge in " + CONVERGE + ": " + String.join("\n", a.values()));
      }
      Thread.sleep(100);
      a = c.resources(type);
    }
    return a;
  }

  /** Every address of either side, field for field; fails listing each difference. */
  private static void compare(String when, Map<String, String> theirs, Map<String, String> ours)
      throws Exception {
    List<String> diffs = new ArrayList<>();
    TreeSet<String> names = new TreeSet<>(theirs.keySet());
    names.addAll(ours.keySet());
    for (String name : names) {
      JsonNode t = theirs.containsKey(name) ? sorted(JSON.readTree(theirs.get(name))) : null;
      JsonNode o = ours.containsKey(name) ? sorted(JSON.readTree(ours.get(name))) : null;
      if (t == null || o == null || !t.equals(o)) {
        diffs.add(
            name
                + "\n  reference: "
                + (t == null ? "(absent)" : JSON.writeValueAsString(t).replace("\n", "\n  "))
                + "\n  ours:      "
                + (o == null ? "(absent)" : JSON.writeValueAsString(o).replace("\n", "\n  ")));
      }
    }
    System.out.println(
        "ambient "
            + when
            + ": "
            + names.size()
            + " resources compared, "
            + diffs.size()
            + " differ");
    assertThat(diffs).as("resources differing from Istio 1.27.0 " + when).isEmpty();
  }

  /** Object keys in order, so that printed differences line up (equality ignores order). */
  private static JsonNode sorted(JsonNode n) {
    if (n.isObject()) {
      ObjectNode out = JSON.createObjectNode();
      TreeMap<String, JsonNode> fields = new TreeMap<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
        var e = it.next();
        fields.put(e.getKey(), sorted(e.getValue()));
      }
      fields.forEach(out::set);
      return out;
    }
    if (n.isArray()) {
      var out = JSON.createArrayNode();
      n.forEach(e -> out.add(sorted(e)));
      return out;
    }
    return n;
  }

  private static void awaitReady(int httpPort) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      try {
        HttpResponse<Void> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/ready"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // not yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("our istiod not ready after 60 s");
      }
      Thread.sleep(100);
    }
  }
}
