package io.jistiod.pilot.grpcgen;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.endpoint.v3.ClusterLoadAssignment;
import io.envoyproxy.envoy.config.listener.v3.Listener;
import io.envoyproxy.envoy.config.route.v3.Route;
import io.envoyproxy.envoy.config.route.v3.RouteConfiguration;
import io.envoyproxy.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.Proxy;
import io.jistiod.pilot.networking.EndpointGenerator;
import io.jistiod.pilot.push.PushContext;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import io.jistiod.pilot.xds.XdsResource;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GrpcGeneratorsTest {
  private static final String FQDN = "greeter.default.svc.cluster.local";
  private FakeIstiod istiod;
  private PushContext push;
  private Proxy proxy;

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER, Meshes.greeterSplit(80, 20));
    push = istiod.discovery.current();
    var node = Meshes.grpcNode();
    proxy = Proxy.fromNode(node.getId(), node.getMetadata(), Locality.UNKNOWN);
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  private static <T extends com.google.protobuf.Message> T unpack(XdsResource r, Class<T> type)
      throws Exception {
    return r.body().unpack(type);
  }

  private static XdsResource byName(List<XdsResource> resources, String name) {
    return resources.stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void listenersAreNamedAsDialledAndPointAtTheServiceRoute() throws Exception {
    List<XdsResource> out =
        new GrpcListenerGenerator()
            .generate(
                proxy, push, Set.of(FQDN + ":50051", "greeter:50051", "greeter.default", "nope:1"));
    assertThat(out)
        .extracting(XdsResource::name)
        .containsExactlyInAnyOrder(FQDN + ":50051", "greeter.default:50051", "greeter:50051");
    Listener l = unpack(byName(out, "greeter:50051"), Listener.class);
    HttpConnectionManager hcm =
        l.getApiListener().getApiListener().unpack(HttpConnectionManager.class);
    assertThat(hcm.getRds().getRouteConfigName()).isEqualTo("outbound|50051||" + FQDN);
    assertThat(hcm.getRds().getConfigSource().hasAds()).isTrue();
    assertThat(hcm.getHttpFiltersList())
        .extracting(f -> f.getName())
        .containsExactly("envoy.filters.http.fault", "envoy.filters.http.router");
  }

  @Test
  void serverListenersAcceptEverything() throws Exception {
    List<XdsResource> out =
        new GrpcListenerGenerator()
            .generate(proxy, push, Set.of("xds.istio.io/grpc/lds/inbound/0.0.0.0:50061"));
    Listener l = unpack(out.get(0), Listener.class);
    assertThat(l.getAddress().getSocketAddress().getPortValue()).isEqualTo(50061);
    assertThat(l.getListenerFiltersCount()).isZero();
    HttpConnectionManager hcm =
        l.getFilterChains(0).getFilters(0).getTypedConfig().unpack(HttpConnectionManager.class);
    assertThat(hcm.getRouteConfig().getVirtualHosts(0).getRoutes(0).hasNonForwardingAction())
        .isTrue();
  }

  @Test
  void routesCarryTheVirtualService() throws Exception {
    String name = "outbound|50051||" + FQDN;
    RouteConfiguration rc =
        unpack(
            new GrpcRouteGenerator().generate(proxy, push, Set.of(name)).get(0),
            RouteConfiguration.class);
    assertThat(rc.getName()).isEqualTo(name);
    var vh = rc.getVirtualHosts(0);
    assertThat(vh.getDomainsList())
        .contains(FQDN, FQDN + ":50051", "greeter", "greeter:50051", "greeter.default:50051");
    Route first = vh.getRoutes(0);
    assertThat(first.getMatch().getPrefix()).isEqualTo("/helloworld.Greeter/SayHelloAgain");
    assertThat(first.getRoute().getCluster()).isEqualTo("outbound|50051|v2|" + FQDN);
    assertThat(first.getRoute().getMaxStreamDuration().getMaxStreamDuration().getSeconds())
        .isEqualTo(3);
    Route split = vh.getRoutes(1);
    assertThat(split.getRoute().getWeightedClusters().getClustersList())
        .extracting(c -> c.getName() + "=" + c.getWeight().getValue())
        .containsExactly("outbound|50051|v1|" + FQDN + "=80", "outbound|50051|v2|" + FQDN + "=20");
  }

  @Test
  void namesOfOnePortShareTheirVirtualHostsAndAreCanonicallyEncoded() throws Exception {
    String a = "outbound|50051||" + FQDN;
    String b = "outbound|50051||other.default.svc.cluster.local";
    List<XdsResource> out = new GrpcRouteGenerator().generate(proxy, push, Set.of(a, b));
    RouteConfiguration ra = unpack(byName(out, a), RouteConfiguration.class);
    RouteConfiguration rb = unpack(byName(out, b), RouteConfiguration.class);
    assertThat(ra.getName()).isEqualTo(a);
    assertThat(rb.getName()).isEqualTo(b);
    assertThat(ra.getVirtualHostsList()).isNotEmpty().isEqualTo(rb.getVirtualHostsList());
    // the body is exactly what protobuf would write for the message (so digests and golden files
    // see no difference)
    for (XdsResource r : out) {
      assertThat(r.body().getValue())
          .isEqualTo(r.body().unpack(RouteConfiguration.class).toByteString());
    }
  }

  @Test
  void routeConfigurationsAreTheSidecarsVirtualHostsOfThePortAsIstiodsGrpcgenSends()
      throws Exception {
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: echo, namespace: default}
        spec:
          hosts: [echo.default.svc.cluster.local]
          resolution: STATIC
          ports: [{name: grpc, number: 50051, protocol: GRPC}]
          endpoints: [{address: 10.0.0.9}]
        """);
    istiod.push();
    PushContext after = istiod.discovery.current();
    String name = "outbound|50051||" + FQDN;
    RouteConfiguration rc =
        unpack(
            new GrpcRouteGenerator().generate(proxy, after, Set.of(name)).get(0),
            RouteConfiguration.class);
    // istiod's grpcgen answers with every service of the port, not only the named one
    assertThat(rc.getVirtualHostsList())
        .extracting(v -> v.getName())
        .containsExactlyInAnyOrder("echo.default.svc.cluster.local:50051", FQDN + ":50051");
    var echo =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getName().startsWith("echo."))
            .findFirst()
            .orElseThrow();
    String e = "echo.default.svc.cluster.local";
    assertThat(echo.getDomainsList())
        .containsExactly(
            e,
            e + ":50051",
            // istiod also sends e + ".", which grpc-java rejects (it fails the whole route config)
            e + ".:50051",
            "echo",
            "echo:50051",
            "echo.default.svc",
            "echo.default.svc:50051",
            "echo.default",
            "echo.default:50051");
    assertThat(echo.getIncludeRequestAttemptCount()).isTrue();
    var dflt = echo.getRoutes(0).getRoute();
    assertThat(dflt.getCluster()).isEqualTo("outbound|50051||" + e);
    assertThat(dflt.getRetryPolicy().getRetryOn())
        .isEqualTo("connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes");
    assertThat(dflt.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
    assertThat(dflt.getRetryPolicy().getHostSelectionRetryMaxAttempts()).isEqualTo(5);
    assertThat(dflt.getRetryPolicy().getRetryHostPredicate(0).getName())
        .isEqualTo("envoy.retry_host_predicates.previous_hosts");
    // a default route is a sidecar's: max_grpc_timeout; VirtualService routes: max_stream_duration
    assertThat(dflt.hasMaxGrpcTimeout()).isTrue();
    assertThat(dflt.hasMaxStreamDuration()).isFalse();
    assertThat(dflt.hasTimeout()).isTrue();
    var greeter =
        rc.getVirtualHostsList().stream()
            .filter(v -> v.getName().startsWith("greeter."))
            .findFirst()
            .orElseThrow();
    var split = greeter.getRoutes(1).getRoute();
    assertThat(split.hasMaxStreamDuration()).isTrue();
    assertThat(split.hasMaxGrpcTimeout()).isFalse();
    assertThat(split.getRetryPolicy().getNumRetries().getValue()).isEqualTo(2);
  }

  @Test
  void withoutAVirtualServiceTheRouteGoesToTheService() throws Exception {
    istiod.store.delete(
        new io.jistiod.galley.config.ConfigKey(
            io.jistiod.galley.config.IstioKinds.VIRTUAL_SERVICE, "default", "greeter"));
    istiod.push();
    PushContext after = istiod.discovery.current();
    RouteConfiguration rc =
        unpack(
            new GrpcRouteGenerator()
                .generate(proxy, after, Set.of("outbound|50051||" + FQDN))
                .get(0),
            RouteConfiguration.class);
    assertThat(rc.getVirtualHosts(0).getRoutesList()).hasSize(1);
    assertThat(rc.getVirtualHosts(0).getRoutes(0).getRoute().getCluster())
        .isEqualTo("outbound|50051||" + FQDN);
  }

  @Test
  void clustersApplyTheDestinationRule() throws Exception {
    List<XdsResource> out =
        new GrpcClusterGenerator()
            .generate(
                proxy,
                push,
                Set.of(
                    "outbound|50051|v1|" + FQDN,
                    "outbound|50051|v2|" + FQDN,
                    "outbound|50051|v9|" + FQDN));
    assertThat(out).hasSize(2); // v9 is no subset
    Cluster v1 = unpack(out.get(0), Cluster.class);
    Cluster v2 = unpack(out.get(1), Cluster.class);
    assertThat(v1.getType()).isEqualTo(Cluster.DiscoveryType.EDS);
    assertThat(v1.getEdsClusterConfig().getServiceName()).isEqualTo(v1.getName());
    assertThat(v1.getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
    assertThat(v2.getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
  }

  @Test
  void endpointsAreFilteredBySubsetAndGroupedByLocality() throws Exception {
    List<XdsResource> out =
        new EndpointGenerator()
            .generate(
                proxy,
                push,
                Set.of(
                    "outbound|50051|v1|" + FQDN, "outbound|50051||" + FQDN, "outbound|1||unknown"));
    ClusterLoadAssignment unknown =
        unpack(byName(out, "outbound|1||unknown"), ClusterLoadAssignment.class);
    assertThat(unknown.getEndpointsCount()).isZero();
    ClusterLoadAssignment all =
        unpack(byName(out, "outbound|50051||" + FQDN), ClusterLoadAssignment.class);
    assertThat(all.getEndpointsList()).hasSize(2);
    assertThat(all.getEndpointsList())
        .allSatisfy(l -> assertThat(l.getLoadBalancingWeight().getValue()).isPositive());
    ClusterLoadAssignment v1 =
        unpack(byName(out, "outbound|50051|v1|" + FQDN), ClusterLoadAssignment.class);
    assertThat(v1.getEndpointsList()).hasSize(1);
    assertThat(v1.getEndpoints(0).getLbEndpointsList())
        .extracting(
            e ->
                e.getEndpoint().getAddress().getSocketAddress().getAddress()
                    + ":"
                    + e.getEndpoint().getAddress().getSocketAddress().getPortValue())
        .containsExactly("10.0.0.1:50061", "10.0.0.2:50061");
    assertThat(v1.getEndpoints(0).getLoadBalancingWeight().getValue()).isEqualTo(2);
  }

  @Test
  void outlierDetectionTurnsOnLocalityFailoverWithContiguousPriorities() throws Exception {
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter, namespace: default}
        spec:
          host: greeter
          trafficPolicy:
            outlierDetection: {consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 30s}
        """);
    istiod.push();
    var node = Meshes.grpcNode().toBuilder();
    node.getLocalityBuilder().setRegion("us-east").setZone("zone-b");
    Proxy local =
        Proxy.fromNode(node.getId(), node.getMetadata(), new Locality("us-east", "zone-b", ""));
    ClusterLoadAssignment cla =
        unpack(
            new EndpointGenerator()
                .generate(local, istiod.discovery.current(), Set.of("outbound|50051||" + FQDN))
                .get(0),
            ClusterLoadAssignment.class);
    // 10.0.0.3 is in us-east/zone-b (priority 0); the others have no locality (priority 3 -> 1).
    assertThat(cla.getEndpointsList())
        .extracting(l -> l.getLocality().getZone() + "=" + l.getPriority())
        .containsExactlyInAnyOrder("=1", "zone-b=0");
    // Without outlier detection there are no priorities.
    ClusterLoadAssignment plain =
        unpack(
            new EndpointGenerator().generate(local, push, Set.of("outbound|50051||" + FQDN)).get(0),
            ClusterLoadAssignment.class);
    assertThat(plain.getEndpointsList()).allSatisfy(l -> assertThat(l.getPriority()).isZero());
  }

  @Test
  void consistentHashBecomesRingHashAndARouteHashPolicy() throws Exception {
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter, namespace: default}
        spec:
          host: greeter
          trafficPolicy:
            loadBalancer: {consistentHash: {httpHeaderName: x-user, ringHash: {minimumRingSize: 1024}}}
          subsets:
          - {name: v1, labels: {version: v1}}
          - {name: v2, labels: {version: v2}}
        """);
    istiod.push();
    PushContext after = istiod.discovery.current();
    Cluster c =
        unpack(
            new GrpcClusterGenerator()
                .generate(proxy, after, Set.of("outbound|50051|v1|" + FQDN))
                .get(0),
            Cluster.class);
    assertThat(c.getLbPolicy()).isEqualTo(Cluster.LbPolicy.RING_HASH);
    assertThat(c.getRingHashLbConfig().getMinimumRingSize().getValue()).isEqualTo(1024);
    RouteConfiguration rc =
        unpack(
            new GrpcRouteGenerator()
                .generate(proxy, after, Set.of("outbound|50051||" + FQDN))
                .get(0),
            RouteConfiguration.class);
    assertThat(
            rc.getVirtualHosts(0)
                .getRoutes(1)
                .getRoute()
                .getHashPolicy(0)
                .getHeader()
                .getHeaderName())
        .isEqualTo("x-user");
  }

  @Test
  void sidecarEgressHostsLimitWhatAProxySees() throws Exception {
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: payments, namespace: billing}
        spec:
          hosts: [payments.billing.svc.cluster.local]
          resolution: STATIC
          ports: [{name: grpc, number: 7070}]
          endpoints: [{address: 10.0.2.1}]
        """);
    istiod.push();
    assertThat(istiod.discovery.current().servicesVisibleTo(proxy)).hasSize(2);
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: default, namespace: default}
        spec:
          egress:
          - hosts: ["./*"]
        """);
    istiod.push();
    PushContext scoped = istiod.discovery.current();
    assertThat(scoped.servicesVisibleTo(proxy)).extracting(s -> s.hostname()).containsExactly(FQDN);
    assertThat(
            new GrpcListenerGenerator()
                .generate(proxy, scoped, Set.of("payments.billing.svc.cluster.local:7070")))
        .isEmpty();
    // A workload-specific Sidecar wins over the namespace default.
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: Sidecar
        metadata: {name: client, namespace: default}
        spec:
          workloadSelector: {labels: {app: client}}
          egress:
          - hosts: ["billing/*"]
        """);
    istiod.push();
    var node = Meshes.grpcNode().toBuilder();
    node.getMetadataBuilder()
        .putFields(
            "LABELS",
            com.google.protobuf.Value.newBuilder()
                .setStructValue(
                    com.google.protobuf.Struct.newBuilder()
                        .putFields(
                            "app",
                            com.google.protobuf.Value.newBuilder()
                                .setStringValue("client")
                                .build()))
                .build());
    Proxy labelled = Proxy.fromNode(node.getId(), node.getMetadata(), Locality.UNKNOWN);
    assertThat(istiod.discovery.current().servicesVisibleTo(labelled))
        .extracting(s -> s.hostname())
        .containsExactly("payments.billing.svc.cluster.local");
  }

  @Test
  void resourcesAreBuiltOncePerPushAndSharedAcrossLikeProxies() throws Exception {
    String cla = "outbound|50051|v1|" + FQDN;
    var other =
        Meshes.grpcNode().toBuilder()
            .setId("sidecar~10.0.0.8~client-2.default~default.svc.cluster.local")
            .build();
    Proxy twin = Proxy.fromNode(other.getId(), other.getMetadata(), Locality.UNKNOWN);
    Proxy elsewhere =
        Proxy.fromNode(other.getId(), other.getMetadata(), new Locality("eu", "z", ""));
    XdsResource a = new EndpointGenerator().generate(proxy, push, Set.of(cla)).get(0);
    XdsResource b = new EndpointGenerator().generate(twin, push, Set.of(cla)).get(0);
    XdsResource c = new EndpointGenerator().generate(elsewhere, push, Set.of(cla)).get(0);
    assertThat(b).isSameAs(a); // same namespace, labels and locality: shared
    assertThat(c).isNotSameAs(a); // another locality may need other priorities
    // A new push context starts with an empty cache.
    istiod.push();
    XdsResource d =
        new EndpointGenerator().generate(proxy, istiod.discovery.current(), Set.of(cla)).get(0);
    assertThat(d).isNotSameAs(a);
    assertThat(d).isEqualTo(a);
  }

  @Test
  void clustersAreSharedByClientsThatSeeTheSameServiceAndRule() throws Exception {
    // a rule only namespace "other" sees: its clients get their own greeter clusters
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: DestinationRule
        metadata: {name: greeter-for-other, namespace: other}
        spec:
          host: greeter.default.svc.cluster.local
          exportTo: ["."]
          trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}
        """);
    istiod.push();
    push = istiod.discovery.current();
    String name = "outbound|50051||" + FQDN;
    Proxy labelled = grpcClient("default", "client-2", "web");
    Proxy inOther = grpcClient("other", "client-3", "web");
    GrpcClusterGenerator g = new GrpcClusterGenerator();
    XdsResource a = g.generate(proxy, push, Set.of(name)).get(0);
    assertThat(g.generate(labelled, push, Set.of(name)).get(0)).isSameAs(a);
    XdsResource c = g.generate(inOther, push, Set.of(name)).get(0);
    assertThat(c).isNotSameAs(a);
    assertThat(unpack(c, Cluster.class).getLbPolicy()).isEqualTo(Cluster.LbPolicy.LEAST_REQUEST);
    assertThat(unpack(a, Cluster.class).getLbPolicy()).isEqualTo(Cluster.LbPolicy.ROUND_ROBIN);
  }

  private static Proxy grpcClient(String namespace, String pod, String app) throws Exception {
    var node =
        Meshes.grpcNode().toBuilder()
            .setId(
                "sidecar~10.0.0.20~"
                    + pod
                    + "."
                    + namespace
                    + "~"
                    + namespace
                    + ".svc.cluster.local");
    node.getMetadataBuilder()
        .putFields(
            "NAMESPACE", com.google.protobuf.Value.newBuilder().setStringValue(namespace).build())
        .putFields(
            "LABELS",
            com.google.protobuf.Value.newBuilder()
                .setStructValue(
                    com.google.protobuf.Struct.newBuilder()
                        .putFields(
                            "app",
                            com.google.protobuf.Value.newBuilder().setStringValue(app).build()))
                .build());
    return Proxy.fromNode(node.getId(), node.getMetadata(), Locality.UNKNOWN);
  }
}
