package io.jistiod.it.interop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.grpc.Status;
import io.grpc.testing.integration.Messages.LoadBalancerAccumulatedStatsResponse;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.EnvoyValidator;
import io.jistiod.it.support.PilotAgent;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestHost;
import io.jistiod.it.support.TestNamespace;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security for proxyless gRPC with real peers: Istio's pilot-agent 1.27.0 in proxyless mode gets
 * each workload's certificate from our CA and writes the gRPC bootstrap with its certificate
 * provider; grpc-java's {@code XdsTestServer --secure_mode=true} (an xDS server, in a test host of
 * its own) and {@code XdsTestClient --secure_mode=true} (xDS channel credentials) read those
 * bootstraps, so the TLS they speak and the RBAC the server enforces are exactly what istiod sends
 * them. With a STRICT PeerAuthentication and an ISTIO_MUTUAL DestinationRule, two clients of
 * different identities get answers and a plaintext client gets none; an AuthorizationPolicy that
 * DENYs one client's principal makes that client's RPCs fail with PERMISSION_DENIED while the other
 * still succeeds; deleting the policy restores traffic, with nothing restarted.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class GrpcSecurityE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Test host 150 (10.250.150.2): this class owns 150..159. */
  private static final int SERVER_HOST = 150;

  private static final int SERVICE_PORT = 7070;
  private static final int QPS = 20;
  private static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private Rig rig;
  private TestNamespace ns;
  private InteropBackend server;

  @AfterEach
  void cleanUp() throws Exception {
    keepLogs();
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      try {
        c.close();
      } catch (Exception e) {
        System.out.println("[grpc-security] cleanup: " + e);
      }
    }
    cleanup.clear();
    if (rig != null && ns != null) {
      // The rig has no controller-manager to empty a deleted namespace: remove the config here.
      rig.kubectl(
          "delete",
          "peerauthentications.security.istio.io,authorizationpolicies.security.istio.io,"
              + "destinationrules.networking.istio.io",
          "--all",
          "--ignore-not-found",
          "-n",
          ns.name());
    }
  }

  @Test
  void mutualTlsAndAuthorizationPolicyBetweenProxylessWorkloads(Rig rig, TestNamespace ns)
      throws Exception {
    PilotAgent.requireBuilt();
    TestHost.requireSupported();
    this.rig = rig;
    this.ns = ns;
    String n = ns.name();
    installCrds();

    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(null)
                .withKubernetes(new KubernetesAccess(rig.istiodKubeconfig(n)))
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0")
                .withSecurity(
                    SecurityOptions.fromEnvironment(k -> null)
                        .withSecureGrpcAddr("127.0.0.1:0")
                        .withNamespace(n)
                        .withRootCaDir(tmp.resolve("no-cacerts"))));
    cleanup.add(istiod);
    istiod.start();
    String root = rig.publishedRoot(n, WAIT);

    String serverIp = "10.250." + SERVER_HOST + ".2";
    for (String sa : List.of("echo", "client-a", "client-b")) {
      rig.kubectl("create", "serviceaccount", sa, "-n", n);
    }
    rig.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: echo, namespace: %1$s}
        spec:
          selector: {app: echo}
          ports: [{name: grpc-echo, port: %3$d, targetPort: %4$d}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: echo-1, namespace: %1$s, labels: {app: echo}}
        spec:
          serviceAccountName: echo
          containers: [{name: echo, image: example.invalid/xds-test-server:1}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: echo-1
          namespace: %1$s
          labels: {kubernetes.io/service-name: echo}
        addressType: IPv4
        ports: [{name: grpc-echo, port: %4$d, protocol: TCP}]
        endpoints:
        - addresses: ["%2$s"]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: echo-1, namespace: %1$s}
        ---
        apiVersion: security.istio.io/v1
        kind: PeerAuthentication
        metadata: {name: default, namespace: %1$s}
        spec:
          mtls: {mode: STRICT}
        ---
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: echo, namespace: %1$s}
        spec:
          host: echo
          trafficPolicy: {tls: {mode: ISTIO_MUTUAL}}
        """
            .formatted(n, serverIp, SERVICE_PORT, InteropBackend.PORT));
    rig.client()
        .pods()
        .inNamespace(n)
        .withName("echo-1")
        .editStatus(
            p ->
                new PodBuilder(p)
                    .editOrNewStatus()
                    .withPhase("Running")
                    .withPodIP(serverIp)
                    .withPodIPs(new PodIP(serverIp))
                    .endStatus()
                    .build());

    // One agent per workload, each with its own service account's token and certificate.
    PilotAgent echoAgent = agent(istiod, root, "echo-1", "echo", serverIp, "{\"app\":\"echo\"}");
    PilotAgent agentA = agent(istiod, root, "client-a-1", "client-a", "127.0.0.1", null);
    PilotAgent agentB = agent(istiod, root, "client-b-1", "client-b", "127.0.0.1", null);
    for (PilotAgent a : List.of(echoAgent, agentA, agentB)) {
      awaitCertificateAndBootstrap(a);
    }

    InteropBackend server =
        InteropBackend.createXdsServer(
            SERVER_HOST,
            "echo-1",
            Files.createDirectories(tmp.resolve("echo")),
            echoAgent.bootstrap());
    cleanup.add(server);
    this.server = server;
    server.start();
    server.awaitServing(WAIT);

    String target = "xds:///echo." + n + ".svc.cluster.local:" + SERVICE_PORT;
    InteropDriver a = client("client-a", agentA, target, true);
    InteropDriver b = client("client-b", agentB, target, true);
    // The plaintext client needs no agent (one agent serves one client): a bootstrap straight to
    // istiod's plaintext xDS port, as the interop cases use.
    Path plainDir = Files.createDirectories(tmp.resolve("client-plaintext"));
    InteropClient plainClient =
        InteropClient.java(
            plainDir,
            InteropClient.bootstrap(plainDir, istiod.grpcPort(), n, "region-a", null),
            target,
            QPS,
            List.of());
    cleanup.add(plainClient);
    InteropDriver plain = new InteropDriver(plainClient, QPS);

    // mTLS with the certificates our CA issued: both identities get answers from the server.
    try {
      a.awaitAllRpcsGoTo(List.of("echo-1"), 20, WAIT, false);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + serverDiagnostics(), e);
    }
    b.awaitAllRpcsGoTo(List.of("echo-1"), 20, WAIT, false);
    System.out.println("[grpc-security] client-a and client-b reach echo-1 over mTLS");

    // STRICT: a client without xDS credentials speaks plaintext and gets nothing.
    Map<Integer, Integer> plainResults = Map.of();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (plainResults.isEmpty() && System.nanoTime() < deadline) {
      plainResults = window(plain, Duration.ofSeconds(2));
    }
    assertThat(plainResults)
        .as(
            "results of the plaintext client's RPCs to a STRICT server"
                + plain.client().diagnostics())
        .isNotEmpty()
        .doesNotContainKey(Status.Code.OK.value());
    System.out.println("[grpc-security] plaintext client refused: " + plainResults);

    validateServed(istiod, agentA);

    // DENY on client-a's principal: client-a is refused by the server's RBAC, client-b is not.
    // Istio's form of a principal: the SPIFFE identity without its scheme.
    String principal = "cluster.local/ns/" + n + "/sa/client-a";
    rig.apply(
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-client-a, namespace: %s}
        spec:
          selector: {matchLabels: {app: echo}}
          action: DENY
          rules:
          - from: [{source: {principals: ["%s"]}}]
        """
            .formatted(n, principal));
    awaitOnly(a, Status.Code.PERMISSION_DENIED, "client-a under the DENY policy");
    awaitOnly(b, Status.Code.OK, "client-b under the DENY policy");
    System.out.println("[grpc-security] DENY on " + principal + ": client-a PERMISSION_DENIED");

    // Deleting the policy restores client-a's traffic; nothing was restarted.
    rig.kubectl("delete", "authorizationpolicy", "deny-client-a", "-n", n);
    awaitOnly(a, Status.Code.OK, "client-a after the DENY policy was deleted");
    awaitOnly(b, Status.Code.OK, "client-b after the DENY policy was deleted");
    assertThat(server.running()).as("the server never restarted").isTrue();
    System.out.println("[grpc-security] policy deleted: client-a served again");
  }

  /** The server's log and its xDS view (CSDS on its maintenance port), for failure messages. */
  private String serverDiagnostics() {
    String csds;
    io.grpc.ManagedChannel ch =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                "10.250." + SERVER_HOST + ".2", InteropBackend.PORT + 1)
            .usePlaintext()
            .build();
    try {
      var r =
          io.envoyproxy.envoy.service.status.v3.ClientStatusDiscoveryServiceGrpc.newBlockingStub(ch)
              .withDeadlineAfter(10, TimeUnit.SECONDS)
              .fetchClientStatus(
                  io.envoyproxy.envoy.service.status.v3.ClientStatusRequest.getDefaultInstance());
      csds =
          JsonFormat.printer()
              .usingTypeRegistry(
                  JsonFormat.TypeRegistry.newBuilder()
                      .add(io.envoyproxy.envoy.config.listener.v3.Listener.getDescriptor())
                      .add(
                          io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3
                              .HttpConnectionManager.getDescriptor())
                      .add(
                          io.envoyproxy.envoy.extensions.filters.http.router.v3.Router
                              .getDescriptor())
                      .add(io.envoyproxy.envoy.extensions.filters.http.rbac.v3.RBAC.getDescriptor())
                      .add(
                          io.envoyproxy.envoy.extensions.transport_sockets.tls.v3
                              .DownstreamTlsContext.getDescriptor())
                      .build())
              .print(r);
    } catch (Exception e) {
      csds = "(no CSDS: " + e + ")";
    } finally {
      ch.shutdownNow();
    }
    return "\n--- server log (tail) ---\n"
        + (server == null ? "(none)" : server.logTail())
        + "\n--- server CSDS ---\n"
        + csds;
  }

  /**
   * Copies the logs and gRPC bootstraps of the agents, server and clients to {@code
   * target/grpc-security-e2e/}, since the temporary folder goes with the test.
   */
  private void keepLogs() {
    Path out = Rig.MODULE.resolve("target/grpc-security-e2e");
    try (var files = Files.walk(tmp)) {
      for (Path f : files.toList()) {
        String name = f.getFileName().toString();
        if (Files.isRegularFile(f) && (name.endsWith(".log") || name.endsWith("bootstrap.json"))) {
          Path dest = out.resolve(tmp.relativize(f).toString().replace('/', '_'));
          Files.createDirectories(out);
          Files.copy(f, dest, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (Exception e) {
      System.out.println("[grpc-security] keeping logs: " + e);
    }
  }

  private void installCrds() throws Exception {
    rig.kubectl(
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        Rig.MODULE.resolve("../crds/crd-all.gen.yaml").toString());
    for (String crd :
        List.of(
            "destinationrules.networking.istio.io",
            "peerauthentications.security.istio.io",
            "authorizationpolicies.security.istio.io")) {
      rig.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/" + crd);
    }
  }

  private PilotAgent agent(
      Istiod istiod, String root, String pod, String sa, String ip, String labels)
      throws Exception {
    String token =
        rig.kubectl("create", "token", sa, "-n", ns.name(), "--audience", "istio-ca").strip();
    Map<String, String> env = new TreeMap<>();
    // grpc-java's file_watcher certificate provider reads PKCS#8 keys only; the agent writes
    // PKCS#1 (RSA) unless told otherwise, with its own switch for this.
    env.put("PKCS8_KEY", "true");
    if (labels != null) {
      env.put("ISTIO_METAJSON_LABELS", labels);
    }
    PilotAgent agent =
        PilotAgent.startProxyless(
            tmp.resolve("agent-" + pod),
            istiod.secureGrpcPort(),
            "istiod." + ns.name() + ".svc",
            ns.name(),
            pod,
            sa,
            token,
            root,
            ip,
            env);
    cleanup.add(agent);
    return agent;
  }

  /**
   * Waits for the agent's workload certificate and its gRPC bootstrap, which must name the
   * certificate files in a {@code file_watcher} certificate provider called {@code default}: the
   * instance istiod's TLS settings refer to.
   */
  private static void awaitCertificateAndBootstrap(PilotAgent agent) throws Exception {
    try {
      Awaitility.await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .failFast("pilot-agent exited", () -> !agent.alive())
          .until(
              () ->
                  Files.exists(agent.bootstrap())
                      && Files.exists(agent.certChain())
                      && Files.size(agent.certChain()) > 0);
    } catch (RuntimeException e) {
      throw new AssertionError("pilot-agent did not get ready; its log:\n" + agent.log(), e);
    }
    JsonNode provider =
        JSON.readTree(agent.bootstrap().toFile()).path("certificate_providers").path("default");
    assertThat(provider.path("plugin_name").asText()).isEqualTo("file_watcher");
    assertThat(provider.path("config").path("certificate_file").asText())
        .isEqualTo(agent.certChain().toString());
    assertThat(provider.path("config").path("private_key_file").asText())
        .isEqualTo(agent.key().toString());
    assertThat(Files.readString(agent.key()))
        .as("the agent's key as grpc-java's file_watcher reads it (PKCS#8)")
        .startsWith("-----BEGIN PRIVATE KEY-----");
  }

  private InteropDriver client(String name, PilotAgent agent, String target, boolean xdsCredentials)
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("client-" + name));
    InteropClient c =
        InteropClient.java(
            dir,
            agent.bootstrap(),
            target,
            QPS,
            xdsCredentials
                ? List.of("--secure_mode=true", "--print_response=true")
                : List.of("--print_response=true"));
    cleanup.add(c);
    return new InteropDriver(c, QPS);
  }

  /** Waits until every RPC the client finishes over a 2 s window ends with {@code code}. */
  private static void awaitOnly(InteropDriver d, Status.Code code, String what) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    Map<Integer, Integer> last;
    do {
      last = window(d, Duration.ofSeconds(2));
      if (last.keySet().equals(java.util.Set.of(code.value()))) {
        return;
      }
    } while (System.nanoTime() < deadline);
    throw new AssertionError(
        what
            + ": RPC results (status code -> count) over the last 2 s were "
            + last
            + ", expected only "
            + code
            + d.client().diagnostics());
  }

  /** The client's UnaryCall results (status code -> count) over {@code window}. */
  private static Map<Integer, Integer> window(InteropDriver d, Duration window) {
    LoadBalancerAccumulatedStatsResponse before = d.client().accumulated();
    try {
      Thread.sleep(window.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    LoadBalancerAccumulatedStatsResponse after = d.client().accumulated();
    Map<Integer, Integer> out = new TreeMap<>();
    var now = after.getStatsPerMethodOrDefault(InteropDriver.UNARY, null);
    if (now == null) {
      return out;
    }
    var then = before.getStatsPerMethodOrDefault(InteropDriver.UNARY, null);
    for (var r : now.getResultMap().entrySet()) {
      int delta = r.getValue() - (then == null ? 0 : then.getResultOrDefault(r.getKey(), 0));
      if (delta > 0) {
        out.put(r.getKey(), delta);
      }
    }
    return out;
  }

  /**
   * What istiod serves client-a (with the node the agent wrote into its bootstrap): the listener it
   * dials, its routes, the cluster with its TLS settings and the endpoints, each valid for Envoy.
   */
  private void validateServed(Istiod istiod, PilotAgent agent) throws Exception {
    JsonNode bootstrapNode = JSON.readTree(agent.bootstrap().toFile()).path("node");
    Node.Builder node = Node.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(bootstrapNode.toString(), node);
    var served =
        ServedConfig.fetch(
            istiod.grpcPort(),
            node.build(),
            "echo." + ns.name() + ".svc.cluster.local:" + SERVICE_PORT);
    assertThat(served).hasSizeGreaterThanOrEqualTo(4);
    EnvoyValidator.get().assertValid(served);
  }
}
