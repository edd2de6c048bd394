package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Any;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.admin.v3.BootstrapConfigDump;
import io.envoyproxy.envoy.admin.v3.ClustersConfigDump;
import io.envoyproxy.envoy.admin.v3.EcdsConfigDump;
import io.envoyproxy.envoy.admin.v3.ListenersConfigDump;
import io.envoyproxy.envoy.admin.v3.RoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.ScopedRoutesConfigDump;
import io.envoyproxy.envoy.admin.v3.SecretsConfigDump;
import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * istiod's debug types over ADS: {@code istio.io/debug/config_dump} (istioctl proxy-status
 * &lt;pod&gt;) and {@code istio.io/debug} (istioctl x internal-debug), which needs a caller
 * verified on the TLS port.
 */
class DebugRequestsTest {
  private static final String ISTIOCTL_NODE =
      "sidecar~127.0.0.1~istioctl.istio-system~istio-system.svc.cluster.local";
  private FakeIstiod istiod;
  private final List<AutoCloseable> cleanup = new ArrayList<>();
  private final List<String> asked = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER, Meshes.greeterSplit(80, 20));
    istiod.discovery.serveHttpDebug(
        "istio-system",
        name -> {
          asked.add(name);
          return "{\"asked\":\"" + name + "\"}";
        });
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : cleanup) {
      c.close();
    }
    istiod.close();
  }

  @Test
  void configDumpHoldsWhatTheProxyWasSentInEnvoysOrder() throws Exception {
    FakeIstiod.AdsClient proxy = istiod.connect(Meshes.grpcNode());
    proxy.request(TypeUrls.CLUSTER);
    DiscoveryResponse clusters = proxy.next();
    proxy.ack(clusters);
    proxy.request(TypeUrls.LISTENER);
    proxy.ack(proxy.next());

    FakeIstiod.AdsClient istioctl = istiod.connect(node(ISTIOCTL_NODE));
    istioctl.request(DebugRequests.CONFIG_DUMP, "client-1.default");
    DiscoveryResponse r = istioctl.next();

    assertThat(r.getTypeUrl()).isEqualTo(DebugRequests.CONFIG_DUMP);
    assertThat(r.getResourcesList())
        .extracting(Any::getTypeUrl)
        .containsExactly(
            typeUrl(BootstrapConfigDump.getDefaultInstance()),
            typeUrl(ClustersConfigDump.getDefaultInstance()),
            typeUrl(ListenersConfigDump.getDefaultInstance()),
            typeUrl(ScopedRoutesConfigDump.getDefaultInstance()),
            typeUrl(RoutesConfigDump.getDefaultInstance()),
            typeUrl(SecretsConfigDump.getDefaultInstance()),
            typeUrl(EcdsConfigDump.getDefaultInstance()));
    ClustersConfigDump dumped = r.getResources(1).unpack(ClustersConfigDump.class);
    assertThat(names(dumped)).isNotEmpty().isEqualTo(clusterNames(clusters));
    ListenersConfigDump listeners = r.getResources(2).unpack(ListenersConfigDump.class);
    assertThat(listeners.getDynamicListenersList()).isNotEmpty();
    // routes were never subscribed to, so none are dumped
    assertThat(r.getResources(4).unpack(RoutesConfigDump.class).getDynamicRouteConfigsCount())
        .isZero();
    // and the debug request started no watch: the next push does not answer it again
    istiod.push();
    istioctl.expectNothing(200);
  }

  @Test
  void configDumpOfAProxyNotConnectedHereIsEmpty() throws Exception {
    FakeIstiod.AdsClient istioctl = istiod.connect(node(ISTIOCTL_NODE));
    istioctl.request(DebugRequests.CONFIG_DUMP, "nobody.default");
    assertThat(istioctl.next().getResourcesList()).isEmpty();
  }

  @Test
  void configDumpOverDeltaToo() throws Exception {
    FakeIstiod.AdsClient proxy = istiod.connect(Meshes.grpcNode());
    proxy.request(TypeUrls.CLUSTER);
    DiscoveryResponse clusters = proxy.next();
    FakeIstiod.DeltaClient istioctl = istiod.connectDelta(node(ISTIOCTL_NODE));
    istioctl.subscribe(DebugRequests.CONFIG_DUMP, "client-1.default");
    DeltaDiscoveryResponse r = istioctl.next();
    ClustersConfigDump dumped = r.getResources(1).getResource().unpack(ClustersConfigDump.class);
    assertThat(names(dumped)).isEqualTo(clusterNames(clusters));
  }

  @Test
  void httpDebugNeedsAVerifiedCaller() throws Exception {
    FakeIstiod.AdsClient plaintext = istiod.connect(node(ISTIOCTL_NODE));
    plaintext.request(DebugRequests.DEBUG, "syncz");
    Awaitility.await().until(() -> plaintext.error != null);
    assertThat(Status.fromThrowable(plaintext.error).getCode())
        .isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(asked).isEmpty();
  }

  @Test
  void aCallerInIstiodsNamespaceGetsAnyDebugBody() throws Exception {
    Stream s = authenticated("spiffe://cluster.local/ns/istio-system/sa/default", ISTIOCTL_NODE);
    s.send(DebugRequests.DEBUG, "adsz?proxyID=x");
    DiscoveryResponse r = s.responses.poll(5, TimeUnit.SECONDS);
    assertThat(r).isNotNull();
    assertThat(r.getResourcesList()).hasSize(1);
    assertThat(r.getResources(0).getTypeUrl()).isEqualTo("istio.io/debug");
    assertThat(r.getResources(0).getValue().toString(StandardCharsets.UTF_8))
        .isEqualTo("{\"asked\":\"adsz?proxyID=x\"}");
    assertThat(asked).containsExactly("adsz?proxyID=x");
  }

  @Test
  void aCallerOfAnotherNamespaceGetsOnlyPerProxyPaths() throws Exception {
    String app = "sidecar~127.0.0.1~istioctl.apps~apps.svc.cluster.local";
    Stream allowed = authenticated("spiffe://cluster.local/ns/apps/sa/default", app);
    allowed.send(DebugRequests.DEBUG, "config_dump?proxyID=client-1.default");
    assertThat(allowed.responses.poll(5, TimeUnit.SECONDS)).isNotNull();

    Stream denied = authenticated("spiffe://cluster.local/ns/apps/sa/default", app);
    denied.send(DebugRequests.DEBUG, "syncz");
    Awaitility.await().until(() -> denied.error != null);
    assertThat(Status.fromThrowable(denied.error).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(Status.fromThrowable(denied.error).getDescription())
        .contains("spiffe://cluster.local/ns/apps/sa/default");
    assertThat(asked).containsExactly("config_dump?proxyID=client-1.default");
  }

  @Test
  void anIdentityThatDoesNotMatchTheNodeIsNotVerified() throws Exception {
    // authenticated, but as another namespace than the node claims: no verified identity
    Stream s = authenticated("spiffe://cluster.local/ns/apps/sa/default", ISTIOCTL_NODE);
    s.send(DebugRequests.DEBUG, "config_dump?proxyID=x");
    Awaitility.await().until(() -> s.error != null);
    assertThat(Status.fromThrowable(s.error).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void exactlyOneDebugNameIsRequired() throws Exception {
    Stream s = authenticated("spiffe://cluster.local/ns/istio-system/sa/default", ISTIOCTL_NODE);
    s.send(DebugRequests.DEBUG, "syncz", "adsz");
    Awaitility.await().until(() -> s.error != null);
    assertThat(Status.fromThrowable(s.error).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
  }

  @Test
  void spiffeIdentitiesAreParsedStrictly() {
    assertThat(XdsCaller.parse("spiffe://td/ns/a/sa/b"))
        .contains(new XdsCaller.Identity("td", "a", "b"));
    assertThat(XdsCaller.parse("spiffe://td/ns/a/sa/")).isEmpty();
    assertThat(XdsCaller.parse("spiffe://td/ns/a/sa/b/c")).isEmpty();
    assertThat(XdsCaller.parse("https://td/ns/a/sa/b")).isEmpty();
  }

  private static String typeUrl(com.google.protobuf.Message m) {
    return "type.googleapis.com/" + m.getDescriptorForType().getFullName();
  }

  private static Set<String> names(ClustersConfigDump dump) throws Exception {
    Set<String> out = new java.util.TreeSet<>();
    for (var c : dump.getDynamicActiveClustersList()) {
      out.add(c.getCluster().unpack(Cluster.class).getName());
    }
    return out;
  }

  private static Set<String> clusterNames(DiscoveryResponse r) {
    return r.getResourcesList().stream()
        .map(
            a -> {
              try {
                return a.unpack(Cluster.class).getName();
              } catch (Exception e) {
                throw new AssertionError(e);
              }
            })
        .collect(Collectors.toCollection(java.util.TreeSet::new));
  }

  private static Node node(String id) {
    return Node.newBuilder()
        .setId(id)
        .setMetadata(
            Struct.newBuilder()
                .putFields("GENERATOR", Value.newBuilder().setStringValue("event").build()))
        .build();
  }

  /** A stream on a server whose caller is authenticated as {@code identity}. */
  private Stream authenticated(String identity, String nodeId) throws Exception {
    ServerInterceptor asCaller =
        new ServerInterceptor() {
          @Override
          public <Q, R> ServerCall.Listener<Q> interceptCall(
              ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
            Context c = Context.current().withValue(XdsCaller.IDENTITIES, List.of(identity));
            return Contexts.interceptCall(c, call, headers, next);
          }
        };
    String name = InProcessServerBuilder.generateName();
    Server server =
        InProcessServerBuilder.forName(name)
            .directExecutor()
            .addService(
                ServerInterceptors.intercept(
                    new AdsService(istiod.discovery).withPeerAddress(), asCaller))
            .build()
            .start();
    ManagedChannel channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    cleanup.add(() -> channel.shutdownNow());
    cleanup.add(() -> server.shutdownNow());
    return new Stream(channel, node(nodeId));
  }

  private static final class Stream {
    final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    volatile Throwable error;
    private final StreamObserver<DiscoveryRequest> requests;
    private final Node node;

    Stream(ManagedChannel channel, Node node) {
      this.node = node;
      requests =
          AggregatedDiscoveryServiceGrpc.newStub(channel)
              .streamAggregatedResources(
                  new StreamObserver<>() {
                    @Override
                    public void onNext(DiscoveryResponse r) {
                      responses.add(r);
                    }

                    @Override
                    public void onError(Throwable t) {
                      error = t;
                    }

                    @Override
                    public void onCompleted() {}
                  });
    }

    void send(String type, String... names) {
      requests.onNext(
          DiscoveryRequest.newBuilder()
              .setNode(node)
              .setTypeUrl(type)
              .addAllResourceNames(List.of(names))
              .build());
    }
  }
}
