package io.jistiod.pilot.xds;

import io.envoyproxy.envoy.config.core.v3.Node;
import io.envoyproxy.envoy.service.discovery.v3.AggregatedDiscoveryServiceGrpc;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DeltaDiscoveryResponse;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryRequest;
import io.envoyproxy.envoy.service.discovery.v3.DiscoveryResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.jistiod.pilot.model.Locality;
import io.jistiod.pilot.model.NodeParseException;
import io.jistiod.pilot.model.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gRPC service {@code envoy.service.discovery.v3.AggregatedDiscoveryService}: turns streams
 * into {@link Connection}s of the {@link DiscoveryServer}.
 */
public final class AdsService
    extends AggregatedDiscoveryServiceGrpc.AggregatedDiscoveryServiceImplBase {

  /**
   * Puts each stream's remote address into its context ({@link XdsCaller#PEER}), where the stream
   * reads it for istiod's debug endpoints; servers add it in front of this service.
   */
  public static final io.grpc.ServerInterceptor PEER_ADDRESS =
      new io.grpc.ServerInterceptor() {
        @Override
        public <Q, R> io.grpc.ServerCall.Listener<Q> interceptCall(
            io.grpc.ServerCall<Q, R> call,
            io.grpc.Metadata headers,
            io.grpc.ServerCallHandler<Q, R> next) {
          io.grpc.Context context =
              io.grpc.Context.current()
                  .withValue(
                      XdsCaller.PEER,
                      call.getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
          return io.grpc.Contexts.interceptCall(context, call, headers, next);
        }
      };

  /** This service behind {@link #PEER_ADDRESS}: what a server adds. */
  public io.grpc.ServerServiceDefinition withPeerAddress() {
    return io.grpc.ServerInterceptors.intercept(this, PEER_ADDRESS);
  }

  private static final Logger log = LoggerFactory.getLogger(AdsService.class);

  /** How long a new stream may wait for admission before it is refused (istiod: 1 s). */
  private static final long MAX_ADMISSION_WAIT_NANOS = 1_000_000_000L;

  private final DiscoveryServer server;
  private final StreamRateLimiter admission;

  public AdsService(DiscoveryServer server) {
    this(server, StreamRateLimiter.defaultRate());
  }

  /**
   * @param streamsPerSecond new streams admitted per second (PILOT_MAX_REQUESTS_PER_SECOND)
   */
  public AdsService(DiscoveryServer server, double streamsPerSecond) {
    this.server = server;
    this.admission = new StreamRateLimiter(streamsPerSecond, System::nanoTime);
  }

  @Override
  public StreamObserver<DiscoveryRequest> streamAggregatedResources(
      StreamObserver<DiscoveryResponse> responses) {
    return new Stream<DiscoveryRequest, DiscoveryResponse, Connection>(responses) {
      @Override
      Node node(DiscoveryRequest request) {
        return request.hasNode() ? request.getNode() : null;
      }

      @Override
      String typeUrl(DiscoveryRequest request) {
        return request.getTypeUrl();
      }

      @Override
      Connection connect(Proxy proxy) {
        return server.connect(proxy, hasLocality, peer, identities, sender);
      }

      @Override
      void handle(Connection connection, DiscoveryRequest request) {
        connection.onRequest(request);
      }
    };
  }

  @Override
  public StreamObserver<DeltaDiscoveryRequest> deltaAggregatedResources(
      StreamObserver<DeltaDiscoveryResponse> responses) {
    return new Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse, DeltaConnection>(responses) {
      @Override
      Node node(DeltaDiscoveryRequest request) {
        return request.hasNode() ? request.getNode() : null;
      }

      @Override
      String typeUrl(DeltaDiscoveryRequest request) {
        return request.getTypeUrl();
      }

      @Override
      DeltaConnection connect(Proxy proxy) {
        return server.connectDelta(proxy, hasLocality, peer, identities, sender);
      }

      @Override
      void handle(DeltaConnection connection, DeltaDiscoveryRequest request) {
        connection.onRequest(request);
      }
    };
  }

  /**
   * One ADS stream, either flavour: the first request is admitted (ready, node present, rate) and
   * its node parsed into a connection; every request then goes to that connection. gRPC calls these
   * methods serially for a stream.
   */
  private abstract class Stream<Q, R, C extends ProxyConnection> implements StreamObserver<Q> {
    final StreamSender<R> sender;
    final java.util.List<String> identities = XdsCaller.IDENTITIES.get();
    final java.net.SocketAddress peer = XdsCaller.PEER.get();
    private C connection;
    private boolean failed;

    /** Whether the first request's node carried a locality. */
    boolean hasLocality;

    /** Runs inside the service method, as {@link StreamSender} requires. */
    Stream(StreamObserver<R> responses) {
      this.sender = new StreamSender<>(responses, server.sendBudget());
    }

    abstract Node node(Q request);

    abstract String typeUrl(Q request);

    abstract C connect(Proxy proxy);

    abstract void handle(C connection, Q request);

    @Override
    public void onNext(Q request) {
      if (failed) {
        return;
      }
      if (connection == null) {
        if (TypeUrls.HEALTH.equals(typeUrl(request))) {
          // an agent may probe before Envoy's first request: istiod skips it, as it does here
          log.warn("ADS: {} sent a health report before its first xDS request", peer);
          return;
        }
        Node node = node(request);
        Status refusal = admit(node);
        if (refusal != null) {
          fail(refusal);
          return;
        }
        try {
          Proxy proxy = proxy(node);
          if (proxy.type() == Proxy.NodeType.ZTUNNEL && !server.servesZtunnel()) {
            // istiod's words, and its status: a plain error, so UNKNOWN
            fail(Status.UNKNOWN.withDescription("ztunnel requires PILOT_ENABLE_AMBIENT=true"));
            return;
          }
          hasLocality = node.hasLocality();
          connection = connect(proxy);
        } catch (io.grpc.StatusRuntimeException e) {
          // refused by the stream lifecycle (a VM whose registration failed)
          log.warn("ADS: refused node {}: {}", node.getId(), e.getStatus().getDescription());
          fail(e.getStatus());
          return;
        } catch (NodeParseException e) {
          log.warn("ADS: refused node {}: {}", node.getId(), e.getMessage());
          fail(Status.INVALID_ARGUMENT.withDescription(e.getMessage()));
          return;
        }
      }
      handle(connection, request);
    }

    @Override
    public void onError(Throwable t) {
      // The client went away (or gRPC failed the call): release any write waiting on it.
      sender.abandon();
      if (connection != null) {
        server.disconnect(connection);
      }
    }

    @Override
    public void onCompleted() {
      // End our side first: disconnecting abandons the stream, after which it cannot be ended.
      sender.complete();
      if (connection != null) {
        server.disconnect(connection);
      }
    }

    private void fail(Status status) {
      failed = true;
      sender.fail(status);
    }
  }

  /** Why a stream's first request cannot be served, or null if it can. */
  private Status admit(Node node) {
    if (!server.isReady()) {
      return Status.UNAVAILABLE.withDescription(
          "server is not ready to serve discovery information");
    }
    if (node == null || node.getId().isEmpty()) {
      return Status.INVALID_ARGUMENT.withDescription("missing node information");
    }
    return null;
  }

  private static Proxy proxy(Node node) throws NodeParseException {
    Locality locality =
        new Locality(
            node.getLocality().getRegion(),
            node.getLocality().getZone(),
            node.getLocality().getSubZone());
    return Proxy.fromNode(node.getId(), node.getMetadata(), locality, node.getCluster());
  }
}
