package io.jistiod.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import io.jistiod.istiod.Istiod;
import io.jistiod.istiod.IstiodOptions;
import io.jistiod.it.support.DeltaAdsClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop (istiod's SIGTERM): readiness goes first, then GOAWAY, every ADS stream is asked
 * to reconnect elsewhere (UNAVAILABLE) at once rather than cut at the end, and in-flight calls get
 * the shutdown duration before the port closes.
 */
class GracefulShutdownTest {
  private static final Path SAMPLE =
      Path.of("..").toAbsolutePath().normalize().resolve("samples/mesh");

  @Test
  void readinessGoesFirstThenStreamsAreToldToReconnectAndCallsGetTheShutdownDuration()
      throws Exception {
    Istiod istiod =
        new Istiod(
            IstiodOptions.defaults(SAMPLE)
                .withAddresses("127.0.0.1:0", "127.0.0.1:0", "127.0.0.1:0"));
    istiod.shutdownDuration(Duration.ofSeconds(4));
    istiod.start();
    ManagedChannel channel =
        ManagedChannelBuilder.forAddress("127.0.0.1", istiod.grpcPort()).usePlaintext().build();
    try {
      DeltaAdsClient proxy =
          new DeltaAdsClient(
              channel,
              Node.newBuilder()
                  .setId("sidecar~10.1.2.3~app-1.default~default.svc.cluster.local")
                  .build());
      Awaitility.await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> !proxy.resources(DeltaAdsClient.CDS).isEmpty());
      // an in-flight call that does not end by itself: the drain must wait for it
      List<Throwable> reflectionEnd = new CopyOnWriteArrayList<>();
      ServerReflectionGrpc.newStub(channel)
          .serverReflectionInfo(
              new StreamObserver<ServerReflectionResponse>() {
                @Override
                public void onNext(ServerReflectionResponse r) {}

                @Override
                public void onError(Throwable t) {
                  reflectionEnd.add(t);
                }

                @Override
                public void onCompleted() {}
              });
      String ready = "http://127.0.0.1:" + istiod.httpPort() + "/ready";
      assertThat(status(ready)).isEqualTo(200);

      long started = System.nanoTime();
      CompletableFuture<Void> closing = CompletableFuture.runAsync(istiod::close);
      // the ADS stream is ended at once with UNAVAILABLE, while the drain still waits ...
      Awaitility.await().atMost(Duration.ofSeconds(3)).until(() -> proxy.error() != null);
      Status ended = Status.fromThrowable(proxy.error());
      assertThat(ended.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
      assertThat(ended.getDescription()).contains("shutting down");
      // ... and readiness already says no
      assertThat(closing).isNotDone();
      assertThat(status(ready)).isEqualTo(503);

      // the drain ends after the shutdown duration, cutting what was still in flight
      closing.get(30, TimeUnit.SECONDS);
      assertThat(Duration.ofNanos(System.nanoTime() - started))
          .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
      Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> !reflectionEnd.isEmpty());
    } finally {
      channel.shutdownNow();
      istiod.close();
    }
  }

  private static int status(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }
}
