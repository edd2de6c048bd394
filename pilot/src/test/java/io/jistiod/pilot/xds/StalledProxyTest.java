package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.cluster.v3.Cluster;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * XDS-20: a proxy that stops reading delays no one else, gets no backlog, is timed out with Istio's
 * {@code pilot_xds_write_timeout}, and leaves nothing behind when it goes.
 *
 * <p>The stalled proxy is a raw gRPC call with manual flow control: it asks for exactly one message
 * and then never for another, so its stream is never ready again (the in-process transport reports
 * readiness from the client's outstanding requests, as HTTP/2 does from its window).
 */
class StalledProxyTest {
  private final ExecutorService grpcThreads = Executors.newCachedThreadPool();
  private FakeIstiod istiod;

  @AfterEach
  void tearDown() {
    if (istiod != null) {
      istiod.close();
    }
    grpcThreads.shutdownNow();
  }

  @Test
  void aStalledProxyIsTimedOutCountedAndForgottenWhileOthersConverge() throws Exception {
    istiod = new FakeIstiod(Duration.ofMillis(300), 2, grpcThreads, Meshes.GREETER);
    RawClient<DiscoveryRequest, DiscoveryResponse> stalled =
        RawClient.open(istiod, AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod());
    stalled.send(cdsWildcard(true));
    assertThat(clusterNames(stalled.next())).contains(cluster("greeter"));

    List<FakeIstiod.AdsClient> normal = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      FakeIstiod.AdsClient c = istiod.connect(Meshes.grpcNode());
      c.request(TypeUrls.CLUSTER);
      assertThat(clusterNames(c.next())).contains(cluster("greeter"));
      normal.add(c);
    }

    istiod.apply(service("added"));
    istiod.push();

    for (FakeIstiod.AdsClient c : normal) {
      assertThat(clusterNames(c.next())).contains(cluster("added"));
    }
    Status closed = stalled.awaitClose();
    assertThat(closed.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(writeTimeouts()).isEqualTo(1);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.discovery.connectedCount() == 3 && istiod.discovery.queuedCount() == 0);
    assertThat(istiod.discovery.connectionsSnapshot()).hasSize(3);

    // The others keep being served after the stalled one is gone.
    istiod.apply(service("later"));
    istiod.push();
    for (FakeIstiod.AdsClient c : normal) {
      assertThat(clusterNames(c.next())).contains(cluster("later"));
      c.close();
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.discovery.connectedCount() == 0 && istiod.discovery.queuedCount() == 0);
    assertThat(istiod.discovery.connectionsSnapshot()).isEmpty();
  }

  @Test
  void aStalledProxyGetsNoBacklogAndItsWorkerIsFreedWhenItLeaves() throws Exception {
    // A timeout far beyond the test: the stalled stream holds its worker until the client leaves.
    istiod = new FakeIstiod(Duration.ofMinutes(10), 2, grpcThreads, Meshes.GREETER);
    RawClient<DiscoveryRequest, DiscoveryResponse> stalled =
        RawClient.open(istiod, AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod());
    stalled.send(cdsWildcard(true));
    stalled.next();
    FakeIstiod.AdsClient normal = istiod.connect(Meshes.grpcNode());
    normal.request(TypeUrls.CLUSTER);
    normal.next();

    // Five changes while the stalled proxy reads nothing; the other proxy sees every one.
    for (int i = 1; i <= 5; i++) {
      istiod.apply(service("svc" + i));
      istiod.push();
      assertThat(clusterNames(normal.next())).contains(cluster("svc" + i));
    }
    assertThat(stalled.received).isEmpty();

    // When it reads again it gets the write that was waiting plus one merged push with the latest
    // config, not one response per change.
    stalled.call.request(100);
    List<DiscoveryResponse> got = new ArrayList<>();
    do {
      got.add(stalled.next());
    } while (!clusterNames(got.get(got.size() - 1)).contains(cluster("svc5")));
    assertThat(got).hasSizeLessThanOrEqualTo(2);

    // Stalled again, with a write waiting; then it goes away: its worker and state are released.
    istiod.apply(service("svc6"));
    istiod.push();
    assertThat(clusterNames(normal.next())).contains(cluster("svc6"));
    stalled.call.cancel("client leaves", null);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.discovery.connectedCount() == 1 && istiod.discovery.queuedCount() == 0);
    assertThat(writeTimeouts()).isZero();

    // Both workers are free: pushes keep flowing.
    istiod.apply(service("svc7"));
    istiod.push();
    assertThat(clusterNames(normal.next())).contains(cluster("svc7"));
  }

  @Test
  void aStalledDeltaProxyIsTimedOutToo() throws Exception {
    istiod = new FakeIstiod(Duration.ofMillis(300), 2, grpcThreads, Meshes.GREETER);
    RawClient<DeltaDiscoveryRequest, DeltaDiscoveryResponse> stalled =
        RawClient.open(istiod, AggregatedDiscoveryServiceGrpc.getDeltaAggregatedResourcesMethod());
    stalled.send(
        DeltaDiscoveryRequest.newBuilder()
            .setNode(Meshes.grpcNode())
            .setTypeUrl(TypeUrls.CLUSTER)
            .build());
    stalled.next();

    istiod.apply(service("added"));
    istiod.push();

    assertThat(stalled.awaitClose().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(writeTimeouts()).isEqualTo(1);
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> istiod.discovery.connectedCount() == 0 && istiod.discovery.queuedCount() == 0);
  }

  @Test
  void aPushIsNotHeldUpByAStalledProxyTheChangeCannotAffect() throws Exception {
    istiod = new FakeIstiod(Duration.ofMinutes(10), 2, grpcThreads, Meshes.GREETER);
    RawClient<DiscoveryRequest, DiscoveryResponse> stalled =
        RawClient.open(istiod, AggregatedDiscoveryServiceGrpc.getStreamAggregatedResourcesMethod());
    stalled.send(cdsWildcard(true));
    stalled.next();
    // a push to the stalled proxy now waits in its write, holding the connection's lock
    istiod.apply(service("svc1"));
    istiod.push();
    Thread.sleep(200);

    // a service the stalled proxy cannot see: deciding that must not wait for its lock
    istiod.apply(
        """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: hidden, namespace: other}
        spec:
          hosts: [hidden.other.svc.cluster.local]
          exportTo: [.]
          resolution: STATIC
          ports: [{name: grpc, number: 50051, protocol: GRPC}]
          endpoints: [{address: 10.2.0.1}]
        """);
    var push =
        java.util.concurrent.CompletableFuture.runAsync(
            () ->
                istiod.push(
                    io.jistiod.pilot.push.PushRequest.full(
                        "config",
                        io.jistiod.pilot.push.ConfigKey.service(
                            "hidden.other.svc.cluster.local", "other"),
                        System.nanoTime())));
    push.get(2, java.util.concurrent.TimeUnit.SECONDS);
    stalled.call.cancel("client leaves", null);
  }

  private double writeTimeouts() {
    var c = istiod.metrics.find("pilot_xds_write_timeout").counter();
    return c == null ? -1 : c.count();
  }

  private static DiscoveryRequest cdsWildcard(boolean withNode) {
    DiscoveryRequest.Builder b = DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER);
    if (withNode) {
      b.setNode(Meshes.grpcNode());
    }
    return b.build();
  }

  private static String cluster(String name) {
    return "outbound|50051||" + name + ".default.svc.cluster.local";
  }

  private static List<String> clusterNames(DiscoveryResponse r) throws Exception {
    List<String> names = new ArrayList<>();
    for (var any : r.getResourcesList()) {
      names.add(any.unpack(Cluster.class).getName());
    }
    return names;
  }

  private static String service(String name) {
    return """
        apiVersion: networking.istio.io/v1
        kind: ServiceEntry
        metadata: {name: %s, namespace: default}
        spec:
          hosts: [%s.default.svc.cluster.local]
          resolution: STATIC
          ports: [{name: grpc, number: 50051, protocol: GRPC}]
          endpoints: [{address: 10.1.0.1}]
        """
        .formatted(name, name);
  }

  /** A client call with manual flow control: one message requested at the start, then none. */
  static final class RawClient<Q, R> extends ClientCall.Listener<R> {
    final BlockingQueue<R> received = new LinkedBlockingQueue<>();
    final BlockingQueue<Status> closed = new LinkedBlockingQueue<>();
    ClientCall<Q, R> call;

    static <Q, R> RawClient<Q, R> open(FakeIstiod istiod, MethodDescriptor<Q, R> method) {
      RawClient<Q, R> c = new RawClient<>();
      c.call = istiod.channel().newCall(method, CallOptions.DEFAULT);
      c.call.start(c, new Metadata());
      c.call.request(1);
      return c;
    }

    void send(Q message) {
      call.sendMessage(message);
    }

    R next() throws InterruptedException {
      R r = received.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no response within 5 s; closed: " + closed.peek());
      }
      return r;
    }

    Status awaitClose() throws InterruptedException {
      Status s = closed.poll(10, TimeUnit.SECONDS);
      if (s == null) {
        throw new AssertionError("the stream was not closed within 10 s");
      }
      return s;
    }

    @Override
    public void onMessage(R message) {
      received.add(message);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      closed.add(status);
    }
  }
}
