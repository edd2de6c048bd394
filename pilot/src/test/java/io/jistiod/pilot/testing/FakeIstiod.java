package io.jistiod.pilot.testing;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import io.jistiod.galley.config.Config;
import io.jistiod.galley.config.IstioKinds;
import io.jistiod.galley.config.MemoryConfigStore;
import io.jistiod.galley.parse.ConfigParser;
import io.jistiod.galley.parse.ParseResult;
import io.jistiod.pilot.envoy.EnvoyGenerators;
import io.jistiod.pilot.envoy.secret.CredentialSource;
import io.jistiod.pilot.grpcgen.GrpcClusterGenerator;
import io.jistiod.pilot.grpcgen.GrpcListenerGenerator;
import io.jistiod.pilot.grpcgen.GrpcRouteGenerator;
import io.jistiod.pilot.push.PushContextBuilder;
import io.jistiod.pilot.push.PushRequest;
import io.jistiod.pilot.serviceentry.ConfigChangePushes;
import io.jistiod.pilot.serviceentry.ServiceEntryRegistry;
import io.jistiod.pilot.xds.AdsService;
import io.jistiod.pilot.xds.DiscoveryServer;
import io.jistiod.pilot.xds.GeneratorRegistry;
import io.jistiod.pilot.xds.TypeUrls;
import io.jistiod.pilot.xds.XdsMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The whole Pilot serving path in one process: a memory config store, the ServiceEntry registry,
 * push contexts, generators and the ADS server on an in-process gRPC channel. Pushes are explicit
 * ({@link #push()}), so tests decide when config takes effect.
 */
public final class FakeIstiod implements AutoCloseable {
  public final MemoryConfigStore store = new MemoryConfigStore();
  public final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  public final DiscoveryServer discovery;

  /** Every generator, each call counted by type URL in {@link #generated}. */
  public final GeneratorRegistry generators;

  /** Generator calls by type URL since the last {@link #resetCounts()}. */
  public final Map<String, AtomicInteger> generated = new ConcurrentHashMap<>();

  /** The names the last call of each type's generator was asked for (empty: all). */
  public final Map<String, java.util.Set<String>> lastAsked = new ConcurrentHashMap<>();

  private final AtomicReference<PushRequest> pending = new AtomicReference<>();
  private final Server server;
  private final ManagedChannel channel;
  private final ConfigParser parser = new ConfigParser(IstioKinds.ALL, "default");

  public FakeIstiod(String... yamlDocs) throws IOException {
    this(DiscoveryServer.DEFAULT_SEND_TIMEOUT, 2, null, yamlDocs);
  }

  /**
   * A server whose gRPC handlers run on {@code serverExecutor} (null: on the caller's thread), with
   * the given push workers and xDS send timeout.
   */
  public FakeIstiod(
      java.time.Duration sendTimeout,
      int workers,
      java.util.concurrent.Executor serverExecutor,
      String... yamlDocs)
      throws IOException {
    this(CredentialSource.NONE, sendTimeout, workers, serverExecutor, yamlDocs);
  }

  /** A server whose gateways get their SDS credentials from {@code credentials}. */
  public FakeIstiod(CredentialSource credentials, String... yamlDocs) throws IOException {
    this(credentials, DiscoveryServer.DEFAULT_SEND_TIMEOUT, 2, null, yamlDocs);
  }

  private FakeIstiod(
      CredentialSource credentials,
      java.time.Duration sendTimeout,
      int workers,
      java.util.concurrent.Executor serverExecutor,
      String... yamlDocs)
      throws IOException {
    for (String yaml : yamlDocs) {
      apply(yaml);
    }
    store.markSynced();
    generators =
        EnvoyGenerators.registerDefaults(
                new GeneratorRegistry()
                    .register("grpc", TypeUrls.LISTENER, new GrpcListenerGenerator())
                    .register("grpc", TypeUrls.ROUTE, new GrpcRouteGenerator())
                    .register("grpc", TypeUrls.CLUSTER, new GrpcClusterGenerator()),
                credentials)
            .decorate(
                (type, g) ->
                    (proxy, push, names) -> {
                      generated.computeIfAbsent(type, t -> new AtomicInteger()).incrementAndGet();
                      lastAsked.put(type, java.util.Set.copyOf(names));
                      return g.generate(proxy, push, names);
                    });
    // changes after startup become pushes as istiod's config handler makes them, on pushChanges()
    ConfigChangePushes changes = new ConfigChangePushes(store);
    store.addHandler(
        e ->
            changes
                .pushFor(e, System.nanoTime())
                .ifPresent(r -> pending.accumulateAndGet(r, (a, b) -> a == null ? b : a.merge(b))));
    discovery =
        new DiscoveryServer(
            generators,
            new PushContextBuilder(
                store, List.of(new ServiceEntryRegistry(store)), "cluster.local"),
            new XdsMetrics(metrics, "test"),
            workers,
            sendTimeout);
    discovery.start(System.nanoTime());
    String name = InProcessServerBuilder.generateName();
    InProcessServerBuilder builder = InProcessServerBuilder.forName(name);
    if (serverExecutor == null) {
      builder.directExecutor();
    } else {
      builder.executor(serverExecutor);
    }
    server = builder.addService(new AdsService(discovery).withPeerAddress()).build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** The client side of the in-process connection, for tests that drive calls by hand. */
  public ManagedChannel channel() {
    return channel;
  }

  /** Parses YAML into the store; fails the test on any error. */
  public void apply(String yaml) {
    ParseResult r = parser.parse(yaml, "test");
    if (!r.errors().isEmpty()) {
      throw new IllegalArgumentException(r.errors().toString());
    }
    for (Config c : r.configs()) {
      store.put(c);
    }
  }

  /** A full push, as the debouncer would trigger after a config change. */
  public void push() {
    discovery.push(PushRequest.fullForAll("config", System.nanoTime()));
  }

  /**
   * Pushes the config changes applied since the last one, merged as the debouncer merges them and
   * typed as istiod's handlers type them; returns the request, or null if nothing asked for a push.
   */
  public PushRequest pushChanges() {
    PushRequest r = pending.getAndSet(null);
    if (r != null) {
      discovery.push(r);
    }
    return r;
  }

  /** Pushes {@code request} as the debouncer would hand it over. */
  public void push(PushRequest request) {
    discovery.push(request);
  }

  /** Generator calls of {@code typeUrl} since the last reset. */
  public int generated(String typeUrl) {
    AtomicInteger n = generated.get(typeUrl);
    return n == null ? 0 : n.get();
  }

  public void resetCounts() {
    generated.clear();
  }

  /** Waits until every queued push has been written. */
  public void awaitPushes() throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (discovery.pushesInFlight() > 0) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("pushes still queued after 10 s");
      }
      Thread.sleep(5);
    }
  }

  /** An endpoints-only push, as an EndpointSlice change triggers. */
  public void pushEndpoints() {
    discovery.push(PushRequest.incremental("endpoint", java.util.Set.of(), System.nanoTime()));
  }

  /** Opens a state-of-the-world ADS stream. */
  public AdsClient connect(Node node) {
    return new AdsClient(AggregatedDiscoveryServiceGrpc.newStub(channel), node);
  }

  /** Opens a delta (incremental) ADS stream. */
  public DeltaClient connectDelta(Node node) {
    return new DeltaClient(AggregatedDiscoveryServiceGrpc.newStub(channel), node);
  }

  public double counter(String name, String type) {
    var c = metrics.find(name).tag("type", type).counter();
    return c == null ? 0 : c.count();
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
    discovery.close();
  }

  /** A raw ADS client that records responses and lets the test write any request. */
  public static final class AdsClient {
    public final BlockingQueue<DiscoveryResponse> responses = new LinkedBlockingQueue<>();
    public volatile Throwable error;
    private final StreamObserver<DiscoveryRequest> requests;
    private final Node node;
    private boolean first = true;

    AdsClient(AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub, Node node) {
      this.node = node;
      this.requests =
          stub.streamAggregatedResources(
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

    /** Sends a request; the node is attached to the first one only, as Envoy does. */
    public void send(DiscoveryRequest.Builder request) {
      if (first) {
        request.setNode(node);
        first = false;
      }
      requests.onNext(request.build());
    }

    public void request(String typeUrl, String... names) {
      send(DiscoveryRequest.newBuilder().setTypeUrl(typeUrl).addAllResourceNames(List.of(names)));
    }

    /** ACKs a response, keeping the given names. */
    public void ack(DiscoveryResponse r, String... names) {
      send(
          DiscoveryRequest.newBuilder()
              .setTypeUrl(r.getTypeUrl())
              .setVersionInfo(r.getVersionInfo())
              .setResponseNonce(r.getNonce())
              .addAllResourceNames(List.of(names)));
    }

    public DiscoveryResponse next() throws InterruptedException {
      DiscoveryResponse r = responses.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no response within 5 s" + (error == null ? "" : ": " + error));
      }
      return r;
    }

    /** Asserts that nothing arrives within {@code millis}. */
    public void expectNothing(long millis) throws InterruptedException {
      DiscoveryResponse r = responses.poll(millis, TimeUnit.MILLISECONDS);
      if (r != null) {
        throw new AssertionError(
            "unexpected response: " + r.getTypeUrl() + " " + r.getVersionInfo());
      }
    }

    public void close() {
      requests.onCompleted();
    }
  }

  /** A raw delta ADS client. */
  public static final class DeltaClient {
    public final BlockingQueue<DeltaDiscoveryResponse> responses = new LinkedBlockingQueue<>();
    public volatile Throwable error;
    private final StreamObserver<DeltaDiscoveryRequest> requests;
    private final Node node;
    private boolean first = true;

    public DeltaClient(
        AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceStub stub, Node node) {
      this.node = node;
      this.requests =
          stub.deltaAggregatedResources(
              new StreamObserver<>() {
                @Override
                public void onNext(DeltaDiscoveryResponse r) {
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

    public void send(DeltaDiscoveryRequest.Builder request) {
      if (first) {
        request.setNode(node);
        first = false;
      }
      requests.onNext(request.build());
    }

    public void subscribe(String typeUrl, String... names) {
      send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(typeUrl)
              .addAllResourceNamesSubscribe(List.of(names)));
    }

    public void ack(DeltaDiscoveryResponse r) {
      send(
          DeltaDiscoveryRequest.newBuilder()
              .setTypeUrl(r.getTypeUrl())
              .setResponseNonce(r.getNonce()));
    }

    public DeltaDiscoveryResponse next() throws InterruptedException {
      DeltaDiscoveryResponse r = responses.poll(5, TimeUnit.SECONDS);
      if (r == null) {
        throw new AssertionError("no response within 5 s" + (error == null ? "" : ": " + error));
      }
      return r;
    }

    public void expectNothing(long millis) throws InterruptedException {
      DeltaDiscoveryResponse r = responses.poll(millis, TimeUnit.MILLISECONDS);
      if (r != null) {
        throw new AssertionError("unexpected response: " + r);
      }
    }
  }
}
