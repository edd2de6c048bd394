package io.jistiod.istiod.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.jistiod.citadel.server.AuthenticationResult;
import io.jistiod.citadel.server.Authenticator;
import io.jistiod.citadel.server.Caller;
import io.jistiod.pilot.xds.XdsCaller;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** XDS-02 on an in-process server: the interceptor in front of a stand-in ADS service. */
class XdsAuthInterceptorTest {
  private static final Metadata.Key<String> IDENTITY =
      Metadata.Key.of("test-identity", Metadata.ASCII_STRING_MARSHALLER);

  /** Vouches for whatever identity the test header names. */
  private static final Authenticator HEADER =
      new Authenticator() {
        @Override
        public String name() {
          return "HeaderAuthenticator";
        }

        @Override
        public AuthenticationResult authenticate(io.jistiod.citadel.server.CallInfo call) {
          return call.header("test-identity")
              .map(id -> AuthenticationResult.success(new Caller(name(), List.of(id))))
              .orElse(AuthenticationResult.failure("no test-identity header"));
        }
      };

  private final List<Object> seen = new CopyOnWriteArrayList<>();
  private final List<Caller> callers = new CopyOnWriteArrayList<>();
  private Server server;
  private ManagedChannel channel;

  /** Answers every request with an empty response, recording it and the caller it ran as. */
  private final class EchoAds
      extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {
    @Override
    public StreamObserver<DiscoveryRequest> streamAggregatedResources(
        StreamObserver<DiscoveryResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(DiscoveryRequest request) {
          seen.add(request);
          callers.add(XdsAuthInterceptor.CALLER.get());
          responses.onNext(DiscoveryResponse.newBuilder().setNonce("n").build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
        StreamObserver<DeltaDiscoveryResponse> responses) {
      return new StreamObserver<>() {
        @Override
        public void onNext(DeltaDiscoveryRequest request) {
          seen.add(request);
          responses.onNext(DeltaDiscoveryResponse.newBuilder().setNonce("n").build());
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          responses.onCompleted();
        }
      };
    }
  }

  private void start(boolean identityCheck) throws Exception {
    String name = InProcessServerBuilder.generateName();
    server =
        InProcessServerBuilder.forName(name)
            .addService(
                ServerInterceptors.intercept(
                    new EchoAds(), new XdsAuthInterceptor(List.of(HEADER), identityCheck)))
            .build()
            .start();
    channel = InProcessChannelBuilder.forName(name).build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  private static Node node(String namespace, String serviceAccount) {
    Struct.Builder meta = Struct.newBuilder();
    if (namespace != null) {
      meta.putFields("NAMESPACE", Value.newBuilder().setStringValue(namespace).build());
    }
    if (serviceAccount != null) {
      meta.putFields("SERVICE_ACCOUNT", Value.newBuilder().setStringValue(serviceAccount).build());
    }
    return Node.newBuilder()
        .setId("sidecar~10.0.0.1~app-1.default~default.svc.cluster.local")
        .setMetadata(meta)
        .build();
  }

  /** Opens a SotW stream as {@code identity} (null: no credentials), sends one request. */
  private Status sotw(String identity, Node node) throws Exception {
    Metadata headers = new Metadata();
    if (identity != null) {
      headers.put(IDENTITY, identity);
    }
    var stub =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    CompletableFuture<Status> outcome = new CompletableFuture<>();
    StreamObserver<DiscoveryRequest> requests =
        stub.streamAggregatedResources(
            new StreamObserver<>() {
              @Override
              public void onNext(DiscoveryResponse response) {
                outcome.complete(Status.OK);
              }

              @Override
              public void onError(Throwable t) {
                outcome.complete(Status.fromThrowable(t));
              }

              @Override
              public void onCompleted() {
                outcome.complete(Status.OK);
              }
            });
    requests.onNext(
        DiscoveryRequest.newBuilder()
            .setNode(node)
            .setTypeUrl("type.googleapis.com/envoy.config.listener.v3.Listener")
            .build());
    Status status = outcome.get(5, TimeUnit.SECONDS);
    requests.onCompleted();
    return status;
  }

  private static String spiffe(String ns, String sa) {
    return "spiffe://cluster.local/ns/" + ns + "/sa/" + sa;
  }

  @Test
  void unauthenticatedStreamsAreRefused() throws Exception {
    start(true);
    Status status = sotw(null, node("default", "app"));
    assertThat(status.getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(status.getDescription()).isEqualTo("authentication failure");
    assertThat(seen).isEmpty();
  }

  @Test
  void anIdentityMatchingTheNodeIsServedAndVisibleInTheContext() throws Exception {
    start(true);
    assertThat(sotw(spiffe("default", "app"), node("default", "app")).isOk()).isTrue();
    assertThat(seen).hasSize(1);
    assertThat(callers.get(0).identities()).containsExactly(spiffe("default", "app"));
  }

  @Test
  void anotherNamespaceIsDenied() throws Exception {
    start(true);
    Status status = sotw(spiffe("other", "app"), node("default", "app"));
    assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(status.getDescription()).contains("default/app");
    assertThat(seen).isEmpty();
  }

  @Test
  void anotherServiceAccountIsDenied() throws Exception {
    start(true);
    assertThat(sotw(spiffe("default", "other"), node("default", "app")).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(seen).isEmpty();
  }

  @Test
  void withoutNamespaceMetadataTheNodeIdsDomainDecides() throws Exception {
    start(true);
    // Node id domain default.svc.cluster.local -> namespace default; no SERVICE_ACCOUNT: any SA.
    assertThat(sotw(spiffe("default", "anything"), node(null, null)).isOk()).isTrue();
    assertThat(sotw(spiffe("other", "anything"), node(null, null)).getCode())
        .isEqualTo(Status.Code.PERMISSION_DENIED);
  }

  @Test
  void aNodePilotCannotParseIsLeftToPilot() throws Exception {
    start(true);
    Node broken = Node.newBuilder().setId("not-a-node-id").build();
    assertThat(sotw(spiffe("default", "app"), broken).isOk()).isTrue();
    assertThat(seen).hasSize(1);
  }

  @Test
  void theCheckCanBeTurnedOff() throws Exception {
    start(false);
    assertThat(sotw(spiffe("other", "x"), node("default", "app")).isOk()).isTrue();
    assertThat(sotw(null, node("default", "app")).getCode()).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void deltaStreamsAreCheckedToo() throws Exception {
    start(true);
    Metadata headers = new Metadata();
    headers.put(IDENTITY, spiffe("other", "app"));
    CompletableFuture<Status> outcome = new CompletableFuture<>();
    StreamObserver<DeltaDiscoveryRequest> requests =
        AggregatedDiscoveryServiceGrpc.newStub(channel)
            .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
            .deltaAggregatedResources(
                new StreamObserver<>() {
                  @Override
                  public void onNext(DeltaDiscoveryResponse response) {
                    outcome.complete(Status.OK);
                  }

                  @Override
                  public void onError(Throwable t) {
                    outcome.complete(Status.fromThrowable(t));
                  }

                  @Override
                  public void onCompleted() {
                    outcome.complete(Status.OK);
                  }
                });
    requests.onNext(DeltaDiscoveryRequest.newBuilder().setNode(node("default", "app")).build());
    assertThat(outcome.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    assertThat(seen).isEmpty();
  }

  @Test
  void spiffeIdsParse() {
    // the interceptor and Pilot's debug requests read identities with the same parser
    assertThat(XdsCaller.parse(spiffe("ns", "sa")))
        .contains(new XdsCaller.Identity("cluster.local", "ns", "sa"));
    assertThat(XdsCaller.parse("spiffe://td/ns/a/sa/b/extra")).isEmpty();
    assertThat(XdsCaller.parse("spiffe://td/ns//sa/b")).isEmpty();
    assertThat(XdsCaller.parse("https://td/ns/a/sa/b")).isEmpty();
  }
}
