package io.jistiod.it.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.UInt32Value;
import io.envoyproxy.envoy.config.cluster.v3.CircuitBreakers;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Address;
import io.envoyproxy.envoy.config.core.v3.SocketAddress;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.endpoint.v3.Endpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LbEndpoint;
import io.envoyproxy.envoy.config.endpoint.v3.LocalityLbEndpoints;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteAction;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.config.route.v3.VirtualHost;
import io.envoyproxy.envoy.config.route.v3.WeightedCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison harness's pure logic: percentiles, the ratio line, the content detectors. */
class CompareHarnessLogicTest {
  @TempDir Path tmp;

  @Test
  void largeMeshesConnectSlowerWaitLongerAndMayUseHalfTheMachine() {
    assertThat(CompareHarness.defaultConnectRate(100)).isEqualTo(20);
    assertThat(CompareHarness.defaultConnectRate(1000)).isEqualTo(20);
    assertThat(CompareHarness.defaultConnectRate(5000)).isEqualTo(2);
    assertThat(CompareHarness.defaultChangeTimeout(1000)).isEqualTo(120);
    assertThat(CompareHarness.defaultChangeTimeout(5000)).isEqualTo(300);
    assertThat(CompareHarness.defaultMaxServerRssMib(24L << 20)).isEqualTo(12 << 10);
    assertThat(CompareHarness.defaultMaxServerRssMib(4L << 20)).isEqualTo(8192);
    assertThat(CompareHarness.defaultMaxServerRssMib(0)).isEqualTo(8192);
  }

  @Test
  void percentilesAreNearestRankAndUnconvergedProxiesCountAsTheTimeout() {
    Convergence c = Convergence.of(Arrays.asList(30.0, 10.0, 20.0, null), 5000);
    assertThat(c.expected()).isEqualTo(4);
    assertThat(c.converged()).isEqualTo(3);
    assertThat(c.complete()).isFalse();
    assertThat(c.p50()).isEqualTo(20.0);
    assertThat(c.p99()).isEqualTo(5000.0);
    assertThat(c.max()).isEqualTo(5000.0);

    List<Double> hundred = new java.util.ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      hundred.add((double) i);
    }
    Convergence h = Convergence.of(hundred, 1e9);
    assertThat(h.p50()).isEqualTo(50.0);
    assertThat(h.p99()).isEqualTo(99.0);
    assertThat(Convergence.percentile(List.of(7.0), 0.99)).isEqualTo(7.0);
    assertThat(Convergence.percentile(List.of(), 0.5)).isNaN();
  }

  @Test
  void ratioLineIsOursOverTheReferenceWithTheWorstChangeForConvergence() {
    ServerFigures ref = figures("reference", 300, 10.0, 100 * 1024, 200.0, 400.0);
    ServerFigures ours = figures("ours", 300, 4.0, 150 * 1024, 100.0, 600.0);
    String out = CompareReport.table(ours, ref) + CompareReport.ratioLine(ours, ref);
    String[] lines = out.split("\n");
    // VS: 100/200 = 0.5, DR: 600/400 = 1.5 -> the worst is 1.5
    assertThat(lines[lines.length - 1]).isEqualTo("ratio convergence_p99=1.50 rss=1.50 cpu=0.40");
    assertThat(out).contains("VirtualService edit p99 (ms)").contains("peak RSS (MiB, VmHWM)");
    assertThat(out).containsPattern("CPU \\(s, utime\\+stime\\)\\s+4\\.0\\s+10\\.0\\s+0\\.40");
  }

  @Test
  void routeWeightDetectorNeedsTheNewWeightOnTheNamedCluster() {
    Any rc = Any.pack(route("outbound|8080||a.ns.svc.cluster.local", 50, "outbound|8080||b", 50));
    assertThat(ContentDetectors.routeWeight("outbound|8080||a.ns.svc.cluster.local", 50).test(rc))
        .isTrue();
    assertThat(ContentDetectors.routeWeight("outbound|8080||a.ns.svc.cluster.local", 90).test(rc))
        .isFalse();
    assertThat(ContentDetectors.routeWeight("outbound|7070||a.ns.svc.cluster.local", 50).test(rc))
        .isFalse();
    // another type is never taken for a route configuration
    assertThat(ContentDetectors.routeWeight("x", 50).test(Any.pack(Cluster.getDefaultInstance())))
        .isFalse();
  }

  @Test
  void routeWalkReadsTheClustersAFullParseFinds() throws Exception {
    RouteConfiguration rc =
        RouteConfiguration.newBuilder()
            .setName("outbound|7070||a.ns.svc.cluster.local")
            .addVirtualHosts(
                VirtualHost.newBuilder()
                    .setName("a:7070")
                    .addDomains("a.ns.svc.cluster.local:7070")
                    .addRoutes(
                        Route.newBuilder()
                            .setName("default")
                            .setMatch(
                                io.envoyproxy.envoy.config.route.v3.RouteMatch.newBuilder()
                                    .setPrefix("/"))
                            .setRoute(
                                RouteAction.newBuilder()
                                    .setCluster("outbound|7070||a.ns.svc.cluster.local")
                                    .setTimeout(com.google.protobuf.Duration.newBuilder()))))
            .addVirtualHosts(
                route("outbound|7070||b", 90, "outbound|7070||c", 0).getVirtualHosts(0))
            .addVirtualHosts(
                VirtualHost.newBuilder()
                    .addRoutes(
                        Route.newBuilder()
                            .setDirectResponse(
                                io.envoyproxy.envoy.config.route.v3.DirectResponseAction
                                    .newBuilder()
                                    .setStatus(404))))
            .setValidateClusters(com.google.protobuf.BoolValue.of(false))
            .build();
    Map<String, Long> seen = new LinkedHashMap<>();
    String name = RouteWalk.clusters(rc.toByteString(), seen::put);
    assertThat(name).isEqualTo(rc.getName());
    assertThat(seen)
        .containsExactly(
            Map.entry("outbound|7070||a.ns.svc.cluster.local", -1L),
            Map.entry("outbound|7070||b", 90L),
            Map.entry("outbound|7070||c", 0L));
  }

  @Test
  void endpointDetectorNeedsTheAddedAddress() {
    ClusterLoadAssignment cla =
        ClusterLoadAssignment.newBuilder()
            .setClusterName("outbound|8080||a")
            .addEndpoints(
                LocalityLbEndpoints.newBuilder()
                    .addLbEndpoints(endpoint("10.1.0.1"))
                    .addLbEndpoints(endpoint("10.9.0.1")))
            .build();
    assertThat(ContentDetectors.hasEndpoint("10.9.0.1").test(Any.pack(cla))).isTrue();
    assertThat(ContentDetectors.hasEndpoint("10.9.0.2").test(Any.pack(cla))).isFalse();
  }

  @Test
  void connectionPoolDetectorReadsTheCircuitBreakers() {
    Cluster c =
        Cluster.newBuilder()
            .setName("outbound|8080||a")
            .setCircuitBreakers(
                CircuitBreakers.newBuilder()
                    .addThresholds(
                        CircuitBreakers.Thresholds.newBuilder()
                            .setMaxConnections(UInt32Value.of(200))))
            .build();
    assertThat(ContentDetectors.maxConnections(200).test(Any.pack(c))).isTrue();
    assertThat(ContentDetectors.maxConnections(100).test(Any.pack(c))).isFalse();
    assertThat(ContentDetectors.maxConnections(200).test(Any.pack(Cluster.getDefaultInstance())))
        .isFalse();
  }

  @Test
  void expectationMatchesTypeNameAndContent() {
    Expectation e =
        new Expectation(SidecarProxy.CDS, "outbound|8080||a", ContentDetectors.present());
    Any any = Any.pack(Cluster.getDefaultInstance());
    assertThat(e.metBy(SidecarProxy.CDS, "outbound|8080||a", any)).isTrue();
    assertThat(e.metBy(SidecarProxy.CDS, "outbound|8080||b", any)).isFalse();
    assertThat(e.metBy(SidecarProxy.EDS, "outbound|8080||a", any)).isFalse();
    assertThat(
            new Expectation(SidecarProxy.CDS, null, ContentDetectors.present())
                .metBy(SidecarProxy.CDS, "anything", any))
        .isTrue();
  }

  @Test
  void inputsSpreadServicesOverLabelledNamespaces() {
    LoadInputs in = new LoadInputs("ldtest", 250);
    assertThat(in.namespaces).isEqualTo(3);
    assertThat(in.host(4)).isEqualTo("svc-4.ldtest-1.svc.cluster.local");
    assertThat(in.namespaceDocs()).hasSize(3);
    assertThat(in.namespaceDocs().get(0)).contains("jistiod.io/scenario: \"ldtest\"");
    // 250 services and slices, a VirtualService and a DestinationRule for every tenth
    assertThat(in.baseDocs()).hasSize(250 * 2 + 25 * 2);
    assertThat(in.endpointSlice(0, true)).contains(LoadInputs.addedAddress());
    assertThat(in.endpointSlice(0, false)).doesNotContain(LoadInputs.addedAddress());
    assertThat(in.virtualService(0, 50)).contains("weight: 50").contains("svc-1.ldtest-1");
  }

  @Test
  void chartReadsTheLatestFigurePerServerAndDrawsAPng() throws Exception {
    List<String> tsv =
        List.of(
            "# header",
            "t\t1000\t250\treference\t1 1 1\t1\t1\t1\t1\t1\t900\tx",
            "t\t1000\t250\treference\t1 1 1\t1\t1\t1\t1\t1\t800\tx",
            "t\t1000\t250\tours\t1 1 1\t1\t1\t1\t1\t1\t400\tx",
            "t\t1000\t500\tours\t1 1 1\t1\t1\t1\t1\t1\t600\tx",
            "t\t5000\t500\tours\t1 1 1\t1\t1\t1\t1\t1\t9999\tx");
    Map<String, TreeMap<Integer, Double>> s = ConvergenceChart.read(tsv, 1000);
    assertThat(s.get("reference")).containsExactly(Map.entry(250, 800.0));
    assertThat(s.get("ours")).containsExactly(Map.entry(250, 400.0), Map.entry(500, 600.0));
    Path png = tmp.resolve("chart.png");
    System.setProperty("java.awt.headless", "true");
    ConvergenceChart.draw(s, 1000, png);
    byte[] head = Arrays.copyOf(Files.readAllBytes(png), 4);
    assertThat(head).containsExactly(0x89, 'P', 'N', 'G');
    assertThat(ConvergenceChart.niceCeiling(730)).isEqualTo(1000.0);
    assertThat(ConvergenceChart.niceCeiling(130)).isEqualTo(200.0);
  }

  private static ServerFigures figures(
      String kind, long bytes, double cpu, long hwmKib, double vsP99, double drP99) {
    Map<String, Convergence> changes = new LinkedHashMap<>();
    changes.put("VirtualService edit", Convergence.of(List.of(vsP99 / 2, vsP99), 1e6));
    changes.put("DestinationRule edit", Convergence.of(List.of(drP99 / 2, drP99), 1e6));
    return new ServerFigures(
        kind,
        1.0,
        2.0,
        cpu,
        Map.of("start to ready", 1.0),
        hwmKib,
        bytes,
        bytes,
        changes,
        Map.of("sidecar", "cds 1"));
  }

  private static RouteConfiguration route(String c1, int w1, String c2, int w2) {
    return RouteConfiguration.newBuilder()
        .setName("8080")
        .addVirtualHosts(
            VirtualHost.newBuilder()
                .addRoutes(
                    Route.newBuilder()
                        .setRoute(
                            RouteAction.newBuilder()
                                .setWeightedClusters(
                                    WeightedCluster.newBuilder()
                                        .addClusters(cw(c1, w1))
                                        .addClusters(cw(c2, w2))))))
        .build();
  }

  private static WeightedCluster.ClusterWeight cw(String name, int w) {
    return WeightedCluster.ClusterWeight.newBuilder()
        .setName(name)
        .setWeight(UInt32Value.of(w))
        .build();
  }

  private static LbEndpoint endpoint(String ip) {
    return LbEndpoint.newBuilder()
        .setEndpoint(
            Endpoint.newBuilder()
                .setAddress(
                    Address.newBuilder()
                        .setSocketAddress(SocketAddress.newBuilder().setAddress(ip))))
        .build();
  }
}
