package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestHost;
import io.jistiod.it.support.TestNamespace;
import io.jistiod.it.support.WhoAmIMain;
import io.jistiod.it.support.WhoAmIServer;
import io.jistiod.it.support.XdsClients;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * istiod in Kubernetes mode against a real kube-apiserver: objects applied with kubectl show up in
 * istiod's registry and reach a real gRPC xDS client, which calls a workload on a test host of its
 * own (a network namespace), since the API server refuses loopback endpoint addresses.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class KubernetesModeE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path tmp;
  private Istiod istiod;

  @AfterEach
  void stop() {
    if (istiod != null) {
      istiod.close();
    }
  }

  private void startIstiod(Rig rig, TestNamespace ns) throws Exception {
    istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(ns.name())))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                // istiod's own namespace is that of its identity: its Leases live there
                .withSecurity(
                    io.jistiod.istiod.security.SecurityOptions.disabled()
                        .withNamespace(ns.name())));
    istiod.start();
  }

  private JsonNode debug(String path) throws Exception {
    return JSON.readTree(Http.get("http://127.0.0.1:" + istiod.httpPort() + "/debug/" + path));
  }

  private static String workload(String ns, String address, int port) {
    return """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: %1$s}
        spec:
          selector: {app: echo}
          ports: [{name: grpc, port: 7070, targetPort: %3$d}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: echo-1, namespace: %1$s, labels: {app: echo, version: v1}}
        spec:
          serviceAccountName: default
          containers: [{name: app, image: example.invalid/echo:1}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-1
          namespace: %1$s
          labels: {kubernetes.io/service-name: echo}
        addressType: IPv4
        ports: [{name: grpc, port: %3$d, protocol: TCP}]
        endpoints:
        - addresses: [%2$s]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: echo-1, namespace: %1$s}
        """
        .formatted(ns, address, port);
  }

  @Test
  void appliedObjectsReachTheRegistryAndDeletesLeaveIt(Rig rig, TestNamespace ns) throws Exception {
    startIstiod(rig, ns);
    String host = "echo." + ns.name() + ".svc.cluster.local";
    long applied = System.nanoTime();
    rig.apply(workload(ns.name(), "10.250.99.2", 8080));
    rig.kubectl(
        "patch",
        "pod",
        "echo-1",
        "-n",
        ns.name(),
        "--subresource=status",
        "--type=merge",
        "-p",
        "{\"status\":{\"podIP\":\"10.250.99.2\",\"podIPs\":[{\"ip\":\"10.250.99.2\"}]}}");

    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                debug("registryz").findValues("hostname").stream()
                    .anyMatch(h -> h.asText().equals(host)));
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                debug("endpointShardz")
                    .path(host)
                    .path(ns.name())
                    .toString()
                    .contains("10.250.99.2"));
    long seenMillis = (System.nanoTime() - applied) / 1_000_000;
    System.out.println("service and endpoint visible on /debug after " + seenMillis + " ms");

    JsonNode service = null;
    for (JsonNode s : debug("registryz")) {
      if (s.path("hostname").asText().equals(host)) {
        service = s;
      }
    }
    assertThat(service.path("Attributes").path("ServiceRegistry").asText()).isEqualTo("Kubernetes");
    assertThat(service.path("ports").get(0).path("protocol").asText()).isEqualTo("GRPC");
    JsonNode endpoint =
        debug("endpointShardz").path(host).path(ns.name()).path("Shards").elements().next().get(0);
    assertThat(endpoint.path("Labels").path("version").asText()).isEqualTo("v1");
    assertThat(endpoint.path("ServiceAccount").asText())
        .isEqualTo("spiffe://cluster.local/ns/" + ns.name() + "/sa/default");

    rig.kubectl("delete", "endpointslice", "echo-1", "-n", ns.name());
    rig.kubectl("delete", "service", "echo", "-n", ns.name());
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                debug("registryz").findValues("hostname").stream()
                    .noneMatch(h -> h.asText().equals(host)));
    assertThat(debug("endpointShardz").has(host)).isFalse();

    // the informer events, as istiod's pilot_k8s_reg_events counts them (dashboard "K8s events")
    List<String> counted =
        Http.get("http://127.0.0.1:" + istiod.monitoringPort() + "/metrics")
            .lines()
            .filter(l -> l.startsWith("pilot_k8s_reg_events{"))
            .toList();
    for (String[] typeEvent :
        new String[][] {
          {"Services", "add"},
          {"Services", "delete"},
          {"Pods", "add"},
          {"Pods", "update"},
          {"EndpointSlice", "add"},
          {"EndpointSlice", "delete"}
        }) {
      assertThat(counted)
          .as("pilot_k8s_reg_events series")
          .anySatisfy(
              l -> {
                assertThat(l)
                    .contains("type=\"" + typeEvent[0] + "\"", "event=\"" + typeEvent[1] + "\"");
                assertThat(Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                    .isGreaterThanOrEqualTo(1);
              });
    }
  }

  @Test
  void grpcXdsClientReachesTheWorkload(Rig rig, TestNamespace ns) throws Exception {
    TestHost.requireSupported();
    try (TestHost host = TestHost.create(77)) {
      host.start(
          tmp.resolve("server.log"),
          Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-cp",
          System.getProperty("java.class.path"),
          WhoAmIMain.class.getName(),
          "echo-1",
          host.address(),
          "8080");
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  Files.exists(tmp.resolve("server.log"))
                      && Files.readString(tmp.resolve("server.log")).contains("serving"));
      startIstiod(rig, ns);
      rig.apply(workload(ns.name(), host.address(), 8080));
      ManagedChannel channel =
          XdsClients.channel(
              "xds:///echo." + ns.name() + ".svc.cluster.local:7070", istiod.grpcPort());
      try {
        Awaitility.await()
            .atMost(Duration.ofSeconds(20))
            .ignoreExceptions()
            .until(
                () ->
                    ClientCalls.blockingUnaryCall(
                            channel,
                            WhoAmIServer.WHO,
                            io.grpc.CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS),
                            "hi")
                        .equals("echo-1"));
      } finally {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void istioConfigAppliedWithKubectlReachesTheRegistryAndRoutes(Rig rig, TestNamespace ns)
      throws Exception {
    rig.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        Rig.MODULE.resolve("../crds/crd-all.gen.yaml").toString());
    rig.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/virtualservices.networking.istio.io");
    startIstiod(rig, ns);
    rig.apply(workload(ns.name(), "10.250.98.2", 8080));
    rig.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: VirtualService
        metadata: {name: echo, namespace: %1$s}
        spec:
          hosts: [echo]
          http:
          - timeout: 7s
            route: [{destination: {host: echo}}]
        """
            .formatted(ns.name()));
    String key = "VirtualService/" + ns.name() + "/echo";
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> debug("configz").toString().contains(key));
    rig.kubectl("delete", "virtualservice", "echo", "-n", ns.name());
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> !debug("configz").toString().contains(key));
  }
}
