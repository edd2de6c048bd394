package io.jistiod.it.sidecar;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Any;
import com.google.protobuf.util.JsonFormat;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.ConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.istiod.KubernetesAccess;
import io.jistiod.istiod.security.SecurityOptions;
import io.jistiod.it.support.DeltaAdsClient;
import io.jistiod.it.support.EnvoyValidator;
import io.jistiod.it.support.Peers;
import io.jistiod.it.support.PilotAgent;
import io.jistiod.it.support.Rig;
import io.jistiod.it.support.RigExtension;
import io.jistiod.it.support.TestNamespace;
import io.jistiod.pilot.xds.EnvoyJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A sidecar as istio/proxyv2 runs it, minus Envoy itself (there is no Envoy binary here): Istio's
 * real pilot-agent in sidecar mode gets its certificate from our CA, writes Envoy's bootstrap and
 * serves xDS on its socket; the test then plays Envoy, with the node the agent wrote into the
 * bootstrap, over delta ADS (Envoy's mode under pilot-agent) through the agent to istiod. The
 * listeners, clusters, routes and endpoints that come back are the Envoy config for that pod, and
 * each passes Envoy's own proto constraints.
 */
@Tag("e2e")
@ExtendWith(RigExtension.class)
class SidecarAgentE2ETest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String POD_IP = "10.251.0.5";

  @TempDir Path tmp;
  private final List<AutoCloseable> cleanup = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    Collections.reverse(cleanup);
    for (AutoCloseable c : cleanup) {
      try {
        c.close();
      } catch (Exception e) {
        System.out.println("cleanup: " + e);
      }
    }
  }

  /** Istio's istioctl 1.27.0, built by build-istio.sh next to pilot-agent. */
  private static final Path ISTIOCTL = PilotAgent.BINARY.resolveSibling("istioctl");

  @Test
  void envoyBehindPilotAgentGetsItsConfigOverDeltaAdsAndIstioctlSeesItSynced(
      Rig rig, TestNamespace ns) throws Exception {
    PilotAgent.requireBuilt();
    Peers.require(ISTIOCTL, "Istio's istioctl 1.27.0", "build-istio.sh");
    String n = ns.name();
    rig.installIstioCrds(); // before istiod starts, so its informers see the Istio kinds
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
    istiod.discovery().identify("istiod-e2e-0", "1.27.0", "jistiod-e2e");

    rig.kubectl("create", "serviceaccount", "web", "-n", n);
    rig.apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: %1$s}
        spec:
          selector: {app: web}
          ports: [{name: http, port: 80, targetPort: 8080}]
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: web-1, namespace: %1$s, labels: {app: web, version: v1}}
        spec:
          serviceAccountName: web
          containers: [{name: web, image: web}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: web-1
          namespace: %1$s
          labels: {kubernetes.io/service-name: web}
        addressType: IPv4
        ports: [{name: http, port: 8080, protocol: TCP}]
        endpoints:
        - addresses: [%2$s]
          conditions: {ready: true}
          targetRef: {kind: Pod, name: web-1, namespace: %1$s}
        """
            .formatted(n, POD_IP));
    rig.client()
        .pods()
        .inNamespace(n)
        .withName("web-1")
        .editStatus(
            p ->
                new PodBuilder(p)
                    .editOrNewStatus()
                    .withPhase("Running")
                    .withPodIP(POD_IP)
                    .withPodIPs(new PodIP(POD_IP))
                    .endStatus()
                    .build());

    Path fakeEnvoy = tmp.resolve("envoy");
    Files.writeString(fakeEnvoy, "#!/bin/sh\nexec sleep 600\n");
    Files.setPosixFilePermissions(fakeEnvoy, PosixFilePermissions.fromString("rwxr-xr-x"));
    String token = rig.kubectl("create", "token", "web", "-n", n, "--audience", "istio-ca").strip();
    PilotAgent agent =
        PilotAgent.startSidecar(
            tmp.resolve("agent"),
            istiod.secureGrpcPort(),
            "istiod." + n + ".svc",
            n,
            "web-1",
            "web",
            token,
            rig.publishedRoot(n, WAIT),
            POD_IP,
            "{\"app\":\"web\",\"version\":\"v1\"}",
            fakeEnvoy);
    cleanup.add(agent);
    try {
      Awaitility.await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(100))
          .failFast("pilot-agent exited", () -> !agent.alive())
          .until(() -> Files.exists(agent.envoyBootstrap()) && Files.exists(agent.xdsSocket()));
    } catch (RuntimeException e) {
      throw new AssertionError("pilot-agent did not get ready; its log:\n" + agent.log(), e);
    }

    JsonNode bootstrapNode = JSON.readTree(agent.envoyBootstrap().toFile()).path("node");
    Node.Builder node = Node.newBuilder();
    JsonFormat.parser().ignoringUnknownFields().merge(bootstrapNode.toString(), node);
    assertThat(node.getId())
        .isEqualTo("sidecar~" + POD_IP + "~web-1." + n + "~" + n + ".svc.cluster.local");

    EpollEventLoopGroup group = new EpollEventLoopGroup(1);
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(new DomainSocketAddress(agent.xdsSocket().toString()))
            .channelType(EpollDomainSocketChannel.class)
            .eventLoopGroup(group)
            .usePlaintext()
            .build();
    cleanup.add(() -> group.shutdownGracefully().await(5, TimeUnit.SECONDS));
    cleanup.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    DeltaAdsClient envoy = new DeltaAdsClient(channel, node.build());
    cleanup.add(envoy);

    String host = "web." + n + ".svc.cluster.local";
    String outbound = "outbound|80||" + host;
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(100))
        .failFast("ADS stream failed: " + envoy.error(), () -> envoy.error() != null)
        .untilAsserted(
            () -> {
              assertThat(envoy.resources(DeltaAdsClient.LDS))
                  .containsKeys("virtualOutbound", "virtualInbound", "0.0.0.0_80");
              assertThat(envoy.resources(DeltaAdsClient.CDS))
                  .containsKeys(outbound, "BlackHoleCluster", "PassthroughCluster");
              assertThat(envoy.resources(DeltaAdsClient.RDS)).containsKey("80");
              assertThat(envoy.resources(DeltaAdsClient.EDS)).containsKey(outbound);
            });

    RouteConfiguration routes =
        envoy.resources(DeltaAdsClient.RDS).get("80").unpack(RouteConfiguration.class);
    assertThat(routes.getVirtualHostsList())
        .anySatisfy(vh -> assertThat(vh.getDomainsList()).contains(host));
    ClusterLoadAssignment endpoints =
        envoy.resources(DeltaAdsClient.EDS).get(outbound).unpack(ClusterLoadAssignment.class);
    assertThat(endpoints.getEndpointsList())
        .flatMap(l -> l.getLbEndpointsList())
        .anySatisfy(
            e -> {
              assertThat(e.getEndpoint().getAddress().getSocketAddress().getAddress())
                  .isEqualTo(POD_IP);
              assertThat(e.getEndpoint().getAddress().getSocketAddress().getPortValue())
                  .isEqualTo(8080);
            });
    EnvoyValidator.get().assertValid(envoy.all());

    // istioctl proxy-status asks istiod over ADS (istio.io/debug/syncz) for every proxy's state;
    // the "Envoy" above has ACKed everything it got, so each of its types reads SYNCED. On the
    // plaintext port first:
    String proxy = "web-1." + n;
    assertSyncedInProxyStatus(
        rig, proxy, "--xds-address", "127.0.0.1:" + istiod.grpcPort(), "--plaintext", "-n", n);
    // and over the TLS port as istioctl does by default: with a token it asks the API server for
    // (ServiceAccount "default" of its Istio namespace, -i), which istiod reviews
    rig.apply(
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: default, namespace: %s}\n"
            .formatted(n));
    assertSyncedInProxyStatus(
        rig, proxy, "--xds-address", "127.0.0.1:" + istiod.secureGrpcPort(), "-i", n, "-n", n);

    // istioctl x version asks the same debug type: our version as istiod's, one proxy at 1.27.0
    assertThat(
            istioctl(
                    rig,
                    "x",
                    "version",
                    "--xds-address",
                    "127.0.0.1:" + istiod.grpcPort(),
                    "--plaintext",
                    "--remote=true",
                    "--short")
                .lines())
        .contains("control plane version: 1.27.0", "data plane version: 1.27.0 (1 proxies)");

    // the same state in istiod's /debug/syncz JSON
    JsonNode syncz =
        JSON.readTree(
            java.net.http.HttpClient.newHttpClient()
                .send(
                    java.net.http.HttpRequest.newBuilder(
                            java.net.URI.create(
                                "http://127.0.0.1:" + istiod.httpPort() + "/debug/syncz"))
                        .build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString())
                .body());
    JsonNode entry = null;
    for (JsonNode e : syncz) {
      if (e.path("proxy").asText().equals(proxy)) {
        entry = e;
      }
    }
    assertThat(entry).as("syncz entry for %s in %s", proxy, syncz).isNotNull();
    assertThat(entry.path("proxy_type").asText()).isEqualTo("sidecar");
    assertThat(entry.path("istio_version").asText()).isEqualTo("1.27.0");
    for (String t : List.of("cluster", "listener", "route", "endpoint")) {
      assertThat(entry.path(t + "_sent").asText()).isNotEmpty();
      assertThat(entry.path(t + "_acked").asText()).isEqualTo(entry.path(t + "_sent").asText());
    }

    // istiod's other debug endpoints istioctl and users read, in istiod's shapes
    String debug = "http://127.0.0.1:" + istiod.httpPort() + "/debug/";
    JsonNode adsz = JSON.readTree(httpGet(debug + "adsz?proxyID=" + proxy));
    assertThat(adsz.path("totalClients").asInt()).as("%s", adsz).isEqualTo(1);
    JsonNode client = adsz.path("clients").get(0);
    assertThat(client.path("connectionId").asText()).startsWith(proxy);
    assertThat(client.path("address").asText()).startsWith("127.0.0.1:");
    assertThat(client.path("metadata").path("NAMESPACE").asText()).isEqualTo(n);
    assertThat(client.path("watches").path(DeltaAdsClient.RDS).toString()).contains("\"80\"");
    assertThat(JSON.readTree(httpGet(debug + "connections")).findValuesAsText("connectionId"))
        .anySatisfy(id -> assertThat(id).startsWith(proxy));
    JsonNode dump = JSON.readTree(httpGet(debug + "config_dump?proxyID=" + proxy));
    assertThat(dump.path("configs").findValuesAsText("name")).contains(outbound, "virtualInbound");
    assertThat(dump.path("configs").get(0).path("@type").asText())
        .isEqualTo("type.googleapis.com/envoy.admin.v3.BootstrapConfigDump");
    JsonNode instances = JSON.readTree(httpGet(debug + "instancesz")).path(proxy);
    assertThat(instances.findValuesAsText("hostname")).containsExactly(host);
    assertThat(instances.findValuesAsText("TargetPort")).containsExactly("8080");
    JsonNode mesh = JSON.readTree(httpGet(debug + "mesh"));
    assertThat(mesh.path("trustDomain").asText()).isEqualTo("cluster.local");
    assertThat(mesh.path("defaultConfig").path("discoveryAddress").asText())
        .isEqualTo("istiod.istio-system.svc:15012");
    assertThat(httpGet(debug + "pprof/goroutine")).contains("\tat io.jistiod.");
    // a dump of some types only, and istiod's edsz; syncz of one namespace
    JsonNode clustersOnly =
        JSON.readTree(httpGet(debug + "config_dump?proxyID=" + proxy + "&types=cds"));
    assertThat(clustersOnly.path("configs"))
        .isNotEmpty()
        .allSatisfy(
            c ->
                assertThat(c.path("@type").asText())
                    .isEqualTo("type.googleapis.com/envoy.config.cluster.v3.Cluster"));
    assertThat(clustersOnly.path("configs").findValuesAsText("name")).contains(outbound);
    assertThat(JSON.readTree(httpGet(debug + "edsz?proxyID=" + proxy)).path("configs").toString())
        .contains("\"clusterName\":\"" + outbound + "\"");
    assertThat(JSON.readTree(httpGet(debug + "syncz?namespace=" + n)).findValuesAsText("proxy"))
        .containsExactly(proxy);
    assertThat(JSON.readTree(httpGet(debug + "syncz?namespace=elsewhere"))).isEmpty();
    assertThat(httpGet(debug + "adsz?push=true")).startsWith("Pushed to ");
    assertThat(JSON.readTree(httpGet(debug + "list")).toString())
        .contains("\"adsz\"", "\"config_dump\"", "\"syncz\"")
        .doesNotContain("\"list\"");

    // istioctl proxy-status <pod>: istiod's config dump of the proxy (istio.io/debug/config_dump)
    // diffed with Envoy's own /config_dump, here written from what the "Envoy" above received
    String plaintext = "127.0.0.1:" + istiod.grpcPort();
    Path envoyDump = tmp.resolve("envoy-config-dump.json");
    Files.writeString(envoyDump, EnvoyJson.print(configDump(envoy, null)));
    assertThat(
            istioctl(
                rig,
                "proxy-status",
                proxy,
                "--file",
                envoyDump.toString(),
                "--xds-address",
                plaintext,
                "--plaintext",
                "-n",
                n))
        .contains("Clusters Match", "Listeners Match", "Routes Match");
    // an Envoy without one of the clusters differs from istiod, and istioctl shows which
    Files.writeString(envoyDump, EnvoyJson.print(configDump(envoy, outbound)));
    assertThat(
            istioctl(
                rig,
                "proxy-status",
                proxy,
                "--file",
                envoyDump.toString(),
                "--xds-address",
                plaintext,
                "--plaintext",
                "-n",
                n))
        .contains("Clusters Don't Match", "Listeners Match", "Routes Match")
        .containsPattern("(?m)^-.*\"name\": \"" + java.util.regex.Pattern.quote(outbound) + "\"");

    // istioctl x internal-debug: istiod's debug endpoints over ADS on the TLS port, for a caller
    // verified in istiod's namespace (the token of ServiceAccount default of -i n)
    String secure = "127.0.0.1:" + istiod.secureGrpcPort();
    assertThat(istioctl(rig, "x", "internal-debug", "syncz", "--xds-address", secure, "-i", n))
        .contains("\"proxy\": \"" + proxy + "\"");
    assertThat(
            istioctl(
                rig,
                "x",
                "internal-debug",
                "config_dump?proxyID=" + proxy,
                "--xds-address",
                secure,
                "-i",
                n))
        .contains("type.googleapis.com/envoy.admin.v3.ClustersConfigDump")
        .contains("\"" + outbound + "\"");
    // a name istiod does not serve: istioctl recognises the 404 and lists what it does serve
    assertThat(istioctl(rig, "x", "internal-debug", "nosuchz", "--xds-address", secure, "-i", n))
        .contains("\"config_dump\"", "\"syncz\"", "\"adsz\"");
    // without a verified caller (the plaintext port) istiod refuses, as istiod does
    assertThat(
            istioctlFailing(
                rig, "x", "internal-debug", "syncz", "--xds-address", plaintext, "--plaintext"))
        .contains("authentication required");

    // last, as it changes the proxy's listeners: /debug/authorizationz lists the policies
    rig.apply(
        """
        apiVersion: security.istio.io/v1
        kind: AuthorizationPolicy
        metadata: {name: deny-all, namespace: %s}
        spec: {}
        """
            .formatted(n));
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () -> {
              JsonNode authz = JSON.readTree(httpGet(debug + "authorizationz"));
              assertThat(
                      authz
                          .path("authorization_policies")
                          .path("namespace_to_policies")
                          .path(n)
                          .findValuesAsText("name"))
                  .containsExactly("deny-all");
              assertThat(authz.path("authorization_policies").path("root_namespace").asText())
                  .isEqualTo("istio-system");
            });
    // push_status: a service without endpoints is reported, web (with its pod) is not
    rig.apply(
        "apiVersion: v1\nkind: Service\nmetadata: {name: lonely, namespace: %s}\n".formatted(n)
            + "spec: {ports: [{name: http, port: 80}]}\n");
    Awaitility.await()
        .atMost(WAIT)
        .untilAsserted(
            () ->
                assertThat(
                        JSON.readTree(httpGet(debug + "push_status"))
                            .path("pilot_eds_no_instances")
                            .has("outbound|80||lonely." + n + ".svc.cluster.local"))
                    .isTrue());
    assertThat(
            JSON.readTree(httpGet(debug + "push_status"))
                .path("pilot_eds_no_instances")
                .has(outbound))
        .isFalse();
  }

  /**
   * Runs {@code istioctl proxy-status -v 1} with {@code args} until {@code proxy}'s row shows its
   * four main types SYNCED, our istiod's id and 1.27.0.
   */
  private static void assertSyncedInProxyStatus(Rig rig, String proxy, String... args) {
    List<String> command = new ArrayList<>(List.of("proxy-status", "-v", "1"));
    command.addAll(List.of(args));
    Awaitility.await()
        .atMost(WAIT)
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              String table = istioctl(rig, command.toArray(String[]::new));
              List<String> lines = table.lines().toList();
              String row =
                  lines.stream()
                      .filter(l -> l.startsWith(proxy + " "))
                      .findFirst()
                      .orElseThrow(() -> new AssertionError("no row for " + proxy + ":\n" + table));
              Map<String, String> cells = columns(lines.get(0), row);
              assertThat(cells.get("NAME")).isEqualTo(proxy);
              // the agent here has no ISTIO_META_CLUSTER_ID (injection sets it): istiod shows ""
              assertThat(cells.get("CLUSTER")).isEmpty();
              for (String type : List.of("CDS", "LDS", "EDS", "RDS")) {
                assertThat(cells.get(type)).startsWith("SYNCED");
              }
              assertThat(cells.get("ISTIOD")).isEqualTo("istiod-e2e-0");
              assertThat(cells.get("VERSION")).isEqualTo("1.27.0");
            });
  }

  /** A row of istioctl's table by column, cut where the (tab-aligned) header's columns start. */
  private static Map<String, String> columns(String header, String row) {
    Map<String, String> out = new java.util.LinkedHashMap<>();
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\S+").matcher(header);
    List<int[]> spans = new ArrayList<>();
    List<String> names = new ArrayList<>();
    while (m.find()) {
      spans.add(new int[] {m.start()});
      names.add(m.group());
    }
    for (int i = 0; i < names.size(); i++) {
      int from = Math.min(spans.get(i)[0], row.length());
      int to = i + 1 < names.size() ? Math.min(spans.get(i + 1)[0], row.length()) : row.length();
      out.put(names.get(i), row.substring(from, to).trim());
    }
    return out;
  }

  /**
   * The dump Envoy's admin {@code /config_dump} would print of what {@code envoy} holds: its
   * clusters (all but {@code leaveOut}), listeners and routes as dynamic resources.
   */
  private static ConfigDump configDump(DeltaAdsClient envoy, String leaveOut) {
    ClustersConfigDump.Builder clusters = ClustersConfigDump.newBuilder();
    envoy
        .resources(DeltaAdsClient.CDS)
        .forEach(
            (name, body) -> {
              if (!name.equals(leaveOut)) {
                clusters.addDynamicActiveClusters(
                    ClustersConfigDump.DynamicCluster.newBuilder().setCluster(body));
              }
            });
    ListenersConfigDump.Builder listeners = ListenersConfigDump.newBuilder();
    envoy
        .resources(DeltaAdsClient.LDS)
        .forEach(
            (name, body) ->
                listeners.addDynamicListeners(
                    ListenersConfigDump.DynamicListener.newBuilder()
                        .setName(name)
                        .setActiveState(
                            ListenersConfigDump.DynamicListenerState.newBuilder()
                                .setListener(body))));
    RoutesConfigDump.Builder routes = RoutesConfigDump.newBuilder();
    envoy
        .resources(DeltaAdsClient.RDS)
        .forEach(
            (name, body) ->
                routes.addDynamicRouteConfigs(
                    RoutesConfigDump.DynamicRouteConfig.newBuilder().setRouteConfig(body)));
    return ConfigDump.newBuilder()
        .addConfigs(Any.pack(clusters.build()))
        .addConfigs(Any.pack(listeners.build()))
        .addConfigs(Any.pack(routes.build()))
        .build();
  }

  private static String httpGet(String url) throws Exception {
    var response =
        java.net.http.HttpClient.newHttpClient()
            .send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as("GET %s: %s", url, response.body()).isEqualTo(200);
    return response.body();
  }

  /** Runs istioctl expecting it to fail; its output. */
  private static String istioctlFailing(Rig rig, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ISTIOCTL.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--kubeconfig", rig.kubeconfig().toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() == 0) {
      throw new AssertionError("istioctl " + String.join(" ", args) + " did not fail:\n" + out);
    }
    return out;
  }

  private static String istioctl(Rig rig, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(ISTIOCTL.toString()));
    cmd.addAll(List.of(args));
    cmd.addAll(List.of("--kubeconfig", rig.kubeconfig().toString()));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new AssertionError("istioctl " + String.join(" ", args) + " failed:\n" + out);
    }
    return out;
  }
}
