package io.jistiod.pilot.xds;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.jistiod.pilot.grpcgen.GrpcClusterGenerator;
import io.jistiod.pilot.testing.FakeIstiod;
import io.jistiod.pilot.testing.Meshes;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A push that runs out of memory (gRPC's direct buffers for a response, at 1000 slow proxies) must
 * cost that one stream, not the push worker: with every worker dead, nobody gets pushes again.
 */
class PushWorkerFailureTest {
  private FakeIstiod istiod;

  @BeforeEach
  void setUp() throws Exception {
    // one worker: if it dies, no later push is delivered at all
    istiod = new FakeIstiod(DiscoveryServer.DEFAULT_SEND_TIMEOUT, 1, null, Meshes.GREETER);
  }

  @AfterEach
  void tearDown() {
    istiod.close();
  }

  @Test
  void outOfMemoryEndsThatStreamAndTheWorkerKeepsPushing() throws Exception {
    FakeIstiod.AdsClient victim = istiod.connect(Meshes.grpcNode());
    victim.request(TypeUrls.CLUSTER);
    victim.ack(victim.next());

    AtomicBoolean failOnce = new AtomicBoolean(true);
    GrpcClusterGenerator real = new GrpcClusterGenerator();
    istiod.generators.register(
        "grpc",
        TypeUrls.CLUSTER,
        (proxy, push, names) -> {
          if (failOnce.getAndSet(false)) {
            throw new OutOfMemoryError("Cannot reserve 2097152 bytes of direct buffer memory");
          }
          return real.generate(proxy, push, names);
        });
    istiod.apply(Meshes.GREETER.replace("LEAST_REQUEST", "ROUND_ROBIN"));
    istiod.push();

    // the stream that failed is ended, so its client reconnects and is answered afresh
    await().atMost(Duration.ofSeconds(5)).until(() -> victim.error != null);
    assertThat(Status.fromThrowable(victim.error).getCode())
        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    // and the worker is alive: a new client gets the next push
    FakeIstiod.AdsClient next = istiod.connect(Meshes.grpcNode());
    next.request(TypeUrls.CLUSTER);
    next.ack(next.next());
    istiod.apply(Meshes.GREETER);
    istiod.push();
    DiscoveryResponse pushed = next.next();
    assertThat(pushed.getTypeUrl()).isEqualTo(TypeUrls.CLUSTER);
    assertThat(pushed.getResourcesCount()).isPositive();
  }
}
