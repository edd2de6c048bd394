package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The discovery server tells its {@link StreamLifecycle} when a stream opens (before serving it),
 * when a VM agent reports health, and when the stream ends; a refusal ends the stream with its
 * status, unserved.
 */
class StreamLifecycleTest {
  private FakeIstiod istiod;
  private final List<String> events = new CopyOnWriteArrayList<>();
  private volatile Status refuse;

  @BeforeEach
  void setUp() throws Exception {
    istiod = new FakeIstiod(Meshes.GREETER);
    istiod.discovery.lifecycle(
        new StreamLifecycle() {
          @Override
          public void connected(Stream s) {
            events.add(
                "connected "
                    + s.proxy().id()
                    + " locality="
                    + s.nodeHasLocality()
                    + ":"
                    + s.proxy().locality().region()
                    + " identity="
                    + s.identity().isPresent());
            if (refuse != null) {
              throw refuse.asRuntimeException();
            }
          }

          @Override
          public void disconnected(String connectionId) {
            events.add("disconnected " + connectionId);
          }

          @Override
          public void healthReported(String connectionId, boolean healthy, String message) {
            events.add("health " + connectionId + " " + healthy + " " + message);
          }
        });
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  private static Node vm(boolean locality) {
    Node.Builder n = Meshes.grpcNode().toBuilder();
    if (locality) {
      n.setLocality(Locality.newBuilder().setRegion("r1"));
    }
    return n.build();
  }

  @Test
  void streamEventsInOrderAndHealthIsNeverAnswered() throws Exception {
    FakeIstiod.AdsClient c = istiod.connect(vm(true));
    // a probe before the first xDS request is skipped, as istiod does
    c.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.HEALTH));
    assertThat(events).isEmpty();
    // (the fake client put the node on the probe: the real first request carries it again)
    c.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.CLUSTER).setNode(vm(true)));
    c.next();
    c.send(DiscoveryRequest.newBuilder().setTypeUrl(TypeUrls.HEALTH));
    c.send(
        DiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.HEALTH)
            .setErrorDetail(com.google.rpc.Status.newBuilder().setCode(13).setMessage("down")));
    c.expectNothing(200);
    c.close();
    String id = "client-1.default-1";
    assertThat(events)
        .containsExactly(
            "connected client-1.default locality=true:r1 identity=false",
            "health " + id + " true ",
            "health " + id + " false down",
            "disconnected " + id);
    assertThat(c.error).isNull();
  }

  @Test
  void deltaStreamsReportHealthToo() throws Exception {
    FakeIstiod.DeltaClient c = istiod.connectDelta(vm(false));
    c.subscribe(TypeUrls.CLUSTER);
    c.next();
    c.send(
        DeltaDiscoveryRequest.newBuilder()
            .setTypeUrl(TypeUrls.HEALTH)
            .setErrorDetail(com.google.rpc.Status.newBuilder().setMessage("503")));
    assertThat(events)
        .containsExactly(
            "connected client-1.default locality=false: identity=false",
            "health client-1.default-1 false 503");
  }

  @Test
  void aRefusedStreamEndsWithTheRefusalAndIsNeverServed() throws Exception {
    refuse = Status.FAILED_PRECONDITION.withDescription("no WorkloadGroup");
    FakeIstiod.AdsClient c = istiod.connect(vm(false));
    c.request(TypeUrls.CLUSTER);
    c.expectNothing(200);
    assertThat(c.error).isInstanceOf(StatusRuntimeException.class);
    assertThat(((StatusRuntimeException) c.error).getStatus().getCode())
        .isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(((StatusRuntimeException) c.error).getStatus().getDescription())
        .isEqualTo("no WorkloadGroup");
    assertThat(istiod.discovery.connectedCount()).isZero();
    c.close();
    // never registered: no disconnect follows
    assertThat(events).hasSize(1);
  }
}
